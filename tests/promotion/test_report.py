"""``promote report`` on a repository with a scripted history: every number against the
script's truth (``report_history.TRUTH``), the order, the three formats, the command line.

Regenerate the Markdown golden file after an intended change with
``FLEDGE_UPDATE_GOLDEN=1 python -m pytest tests/promotion/test_report.py``.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import report_history as rh
from promote_helpers import REPO, needs_git_history, promote

from fledge_promote import Repo, UsageError, load_config
from fledge_promote.report._cli import build_report

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2025, 1, 1) + dt.timedelta(days=rh.TODAY_DAY)


@pytest.fixture
def scripted(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The scripted repository and the hash of each step, by label."""
    root = tmp_path / "scripted"
    return root, rh.build(root, rh.script())


def report(root: Path, names=None, **kw) -> dict:
    config, _ = load_config(root)
    return json.loads(build_report(Repo(root), config, names, fmt="json", today=TODAY, **kw))


def by_feature(data: dict) -> dict[str, dict]:
    return {f["feature"]: f for f in data["features"]}


def labels(shas: dict[str, str], commits: list[str]) -> list[str]:
    back = {sha: label for label, sha in shas.items()}
    return [back[c] for c in commits]


def method_lines(source: str, class_name: str) -> dict[str, int]:
    """Lines of each method of ``class_name``, counted with ast (independently of LibCST)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return {f.name: f.end_lineno - f.lineno + 1 for f in node.body
                    if isinstance(f, ast.FunctionDef)}
    raise AssertionError(f"no class {class_name}")


@pytest.mark.parametrize("name", sorted(rh.TRUTH))
def test_report_numbers_match_the_script(scripted, name):
    root, shas = scripted
    truth = rh.TRUTH[name]
    got = by_feature(report(root))[name]
    history = got["history"]
    assert labels(shas, history["commits"]["commits"]) == truth["commits"]
    assert history["commits"]["count"] == len(truth["commits"])
    assert labels(shas, history["own_work"]["commits"]) == truth["own"]
    assert history["own_work"]["count"] == len(truth["own"])
    assert labels(shas, history["sweeps"]["commits"]) == truth["sweeps"]
    assert history["sweeps"]["count"] == len(truth["sweeps"])
    last_label, last_day = truth["last_own"]
    assert history["last_own_work"]["commit"] == shas[last_label]
    assert history["days_since_own_work"] == rh.TODAY_DAY - last_day
    landed_label, landed_day = truth["landed"]
    assert got["age"]["landed"]["commit"] == shas[landed_label]
    assert got["age"]["landed"]["date"] == str(dt.date(2025, 1, 1) + dt.timedelta(landed_day))
    assert got["age"]["days"] == rh.TODAY_DAY - landed_day
    assert [(m["from"], m["to"], labels(shas, [m["commit"]])[0])
            for m in got["age"]["moves"]] == truth["moves"]
    authors = got["owners"]["authors"]
    assert [a["name"] for a in authors] == truth["authors"]
    assert {a["name"]: a["own_work"] for a in authors} == truth["author_commits"]
    assert got["owners"]["codeowners"] == truth["codeowners"]
    upkeep = got["upkeep"]
    assert labels(shas, upkeep["cochanges"]["commits"]) == truth["cochanges"]
    parent_source = (root / "trl/trainer/base_trainer.py").read_text()
    expected_lines = method_lines(parent_source, "BaseTrainer")
    assert [(p["subclass"], p["parent"], p["module"], p["file"],
             [o["method"] for o in p["overrides"]]) for p in upkeep["parents"]] == [
        tuple(t) for t in truth["parents"]]
    for parent, (*_, methods) in zip(upkeep["parents"], truth["parents"], strict=True):
        assert parent["in_repo"] is True
        assert parent["methods"] == len(expected_lines)
        assert [o["lines"] for o in parent["overrides"]] == [expected_lines[m] for m in methods]
        assert parent["overridden_lines"] == sum(expected_lines[m] for m in methods)
    assert upkeep["overridden_methods"] == sum(len(t[-1]) for t in truth["parents"])
    assert got["overlap"]["subclasses"] == sorted({f"{t[2]}.{t[1]}" for t in truth["parents"]})
    assert got["consumers"]["by_kind"] == truth["consumers"]
    assert got["consumers"]["count"] == sum(map(len, truth["consumers"].values()))
    assert got["tests"]["count"] == truth["tests"]
    assert len(got["tests"]["files"]) == truth["test_files"]
    assert got["docs"] == {"page": truth["docs"], "exists": True}
    assert got["checks"] is None and got["usage"] is None  # no data: never a guess


def test_feature_moved_out_is_not_reported_but_still_makes_sweeps(scripted):
    root, shas = scripted
    data = report(root)
    assert sorted(f["feature"] for f in data["features"]) == ["alpha", "beta", "gamma"]
    # c10 touched alpha and delta (gone from the folder since c13): a sweep for alpha.
    assert shas["c10"] in by_feature(data)["alpha"]["history"]["sweeps"]["commits"]
    assert set(data["commits"]) >= {shas["c10"], shas["c11"]}
    assert data["commits"][shas["c11"]]["author"] == "Eve"


def test_report_reads_git_log_once(scripted, monkeypatch):
    root, _ = scripted
    calls = []
    original = Repo.git

    def counting(self, *args, **kw):
        calls.append(args)
        return original(self, *args, **kw)

    monkeypatch.setattr(Repo, "git", counting)
    report(root)
    assert sum("log" in args for args in calls) == 1


def test_the_split_is_configurable(scripted):
    root, shas = scripted
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "own_work_max_other_files = 14\n"
                         "own_work_max_features = 2\n")
    got = by_feature(report(root))
    # c14 changed fourteen files beside beta (its change is not most of the code): within
    # 14, a follow-up now.
    assert labels(shas, got["beta"]["history"]["sweeps"]["commits"]) == ["c09"]
    rules = {labels(shas, [c["commit"]])[0]: c["rule"]
             for c in got["beta"]["history"]["classified"]}
    assert rules == {"c15": "focused", "c14": "follow-up", "c09": "many-features",
                     "c04": "created"}
    # c10 (alpha, delta) and c18 (alpha, gamma) touched two features: within 2, own work
    # now; c09 touched three.
    assert labels(shas, got["alpha"]["history"]["own_work"]["commits"]) == [
        "c18", "c16", "c10", "c08", "c07", "c06", "c03"]
    assert labels(shas, got["alpha"]["history"]["sweeps"]["commits"]) == ["c09"]
    assert got["alpha"]["neglect"]["signals"] == ["upkeep", "unused"]


def write_usage(root: Path, extra: str = "") -> None:
    (root / "usage.csv").write_text(
        "feature,period,runs,source\n"
        "alpha,2025-03,100,telemetry\n"
        "alpha,2025-04-01/2025-04-10,20,telemetry\n"
        "alpha,2024-12,500,telemetry\n"
        "beta,2025-04-02,0,hub\n"
        "unknown,2025-04,7,hub\n")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'usage_file = "usage.csv"\n' + extra)


def test_default_order_is_most_neglected_first(scripted):
    root, _ = scripted
    write_usage(root, "report_recent_days = 40\n")
    data = report(root)
    got = {f["feature"]: f["neglect"]["signals"] for f in data["features"]}
    # gamma: last own work 48 days ago (> 40) and no usage data; beta: 0 runs; alpha: its
    # parent changed with it in 3 commits (>= 2). Ties (beta, alpha) go by days since own
    # work: beta 35, alpha 30.
    assert got == {"gamma": ["stale", "unused"], "beta": ["unused"], "alpha": ["upkeep"]}
    assert [f["feature"] for f in data["features"]] == ["gamma", "beta", "alpha"]
    assert data["thresholds"]["report_recent_days"] == 40


@pytest.mark.parametrize(("sort", "expected"), [
    ("age", ["beta", "alpha", "gamma"]),
    ("-age", ["gamma", "alpha", "beta"]),
    ("own", ["beta", "gamma", "alpha"]),
    ("-sweeps", ["alpha", "beta", "gamma"]),
    ("usage", ["beta", "alpha", "gamma"]),  # gamma has no data: last, either way
    ("-usage", ["alpha", "beta", "gamma"]),
    ("upkeep", ["alpha", "gamma", "beta"]),  # beta subclasses nothing: no data
    ("feature", ["alpha", "beta", "gamma"]),
    ("last-own", ["gamma", "beta", "alpha"]),
    ("owner", ["beta", "alpha", "gamma"]),  # Bob, Cy, Eve
])
def test_sort_by_any_column(scripted, sort, expected):
    root, _ = scripted
    write_usage(root)
    data = report(root, sort=sort)
    assert [f["feature"] for f in data["features"]] == expected
    assert data["order"] == sort


def test_json_follows_its_schema(scripted):
    root, _ = scripted
    write_usage(root)
    schema = json.loads((Path(__file__).parent / "report_schema.json").read_text())
    data = report(root)
    jsonschema.validate(data, schema)
    usage = by_feature(data)["alpha"]["usage"]
    assert usage["runs"] == 120 and usage["total"] == 620
    assert usage["latest_period"] == "2025-04-01/2025-04-10"


def golden(name: str, text: str, shas: dict[str, str]) -> None:
    for label, sha in shas.items():
        text = text.replace(sha, f"<{label}>").replace(sha[:7], f"<{label}>")
    path = GOLDEN / name
    if os.environ.get("FLEDGE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with FLEDGE_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_markdown_matches_golden(scripted):
    root, shas = scripted
    write_usage(root)
    config, _ = load_config(root)
    text = build_report(Repo(root), config, fmt="markdown", today=TODAY)
    golden("report.md", text, shas)
    assert "- **Usage**: 120 runs in the last 90 days" in text


def test_table_fits_80_columns(scripted):
    root, _ = scripted
    done = promote(root, "report", "--all", "--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["feature", "age", "own", "sweeps", "last", "own", "upkeep",
                                "usage", "neglect"]
    rows = {line.split()[0]: line.split() for line in lines if line[:1].isalpha()
            and line.split()[0] in rh.TRUTH}
    assert rows["alpha"][:5] == ["alpha", "90d", "5", "3", "2025-03-12"]
    assert rows["beta"][5] == "-" and rows["beta"][6:8] == ["no", "data"]
    assert "reading git log (once" in done.stderr
    out = root / "build" / "report.md"
    markdown = promote(root, "report", "--all", "--format", "markdown", "-q", "--today",
                       TODAY.isoformat(), "--output", str(out))
    assert markdown.returncode == 0 and out.read_text() == markdown.stdout
    quiet = promote(root, "report", "alpha", "--json", "-q", "--today", TODAY.isoformat())
    assert quiet.stderr == "" and [f["feature"] for f in json.loads(quiet.stdout)[
        "features"]] == ["alpha"]


@pytest.mark.parametrize(("args", "words"), [
    (["report"], "name one or more features, or pass --all"),
    (["report", "nope"], "no experimental feature named 'nope'"),
    (["report", "--all", "--sort", "colour"], "--sort 'colour' is not a column"),
    (["report", "--all", "--today", "yesterday"], "write it as YYYY-MM-DD"),
])
def test_usage_errors_exit_2(scripted, args, words):
    root, _ = scripted
    done = promote(root, *args)
    assert done.returncode == 2
    assert words in done.stderr


def test_not_a_git_repository(tmp_path):
    (tmp_path / "pkg" / "exp").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1.0"\n[tool.fledge.promote]\nsource_root = "."\n'
        'experimental_package = "pkg.exp"\nmanifests = "none"\n')
    config, _ = load_config(tmp_path)
    with pytest.raises(UsageError, match="not the top of a git work tree"):
        build_report(Repo(tmp_path), config)


def test_last_check_verdicts_come_from_the_report_file(scripted):
    root, _ = scripted
    (root / "build").mkdir()
    (root / "build/promote-check.json").write_text(json.dumps({"ready": False, "features": [
        {"feature": "alpha", "ready": False, "results": [
            {"check": "tests-pass", "verdict": "pass"},
            {"check": "coverage", "verdict": "fail"}]}]}))
    got = by_feature(report(root))
    assert got["alpha"]["checks"] == {"ready": False, "file": "build/promote-check.json",
                                      "verdicts": {"tests-pass": "pass", "coverage": "fail"}}
    assert got["beta"]["checks"] is None


@needs_git_history
def test_report_on_this_repository():
    config, _ = load_config(REPO)
    data = json.loads(build_report(Repo(REPO), config, fmt="json"))
    names = {f["feature"] for f in data["features"]}
    assert {"bema_for_ref_model", "grpo_with_replay_buffer"} <= names
    for feature in data["features"]:
        history = feature["history"]
        assert history["commits"]["count"] == (history["own_work"]["count"]
                                               + history["sweeps"]["count"]) > 0
        assert feature["age"]["days"] >= 0
        assert feature["tests"]["count"] > 0 and feature["docs"]["exists"]
    grpo = by_feature(data)["grpo_with_replay_buffer"]
    # It subclasses TRL's GRPOTrainer, found in the installed trl by static analysis.
    parents = {p["parent"]: p for p in grpo["upkeep"]["parents"]}
    assert parents["GRPOTrainer"]["module"] == "trl.trainer.grpo_trainer"
    assert parents["GRPOTrainer"]["in_repo"] is False
    assert parents["GRPOTrainer"]["overridden_methods"] >= 1


def test_a_shallow_clone_is_named_as_a_problem(scripted, tmp_path):
    root, _ = scripted
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "3", f"file://{root}", str(clone)],
                   check=True, capture_output=True)
    data = report(clone)
    assert data["problems"][0].startswith("this is a shallow clone")
    # c18, and c17, which the clone's cut shows adding every file: hence the warning.
    assert by_feature(data)["alpha"]["history"]["commits"]["count"] == 2


def test_landing_beside_the_parent_is_not_a_cochange(tmp_path):
    exp = "trl/experimental"
    base = rh.script()[0]
    steps = [base, rh.Step("land", 5, "Ada", {
        f"{exp}/alpha/__init__.py": "from .alpha_trainer import AlphaTrainer\n",
        f"{exp}/alpha/alpha_trainer.py": rh.alpha(1, "core_trainer"),
        "trl/trainer/core_trainer.py": rh.BASE_V1 + "\n# for alpha\n"}),
        rh.Step("adapt", 9, "Ada", {
            f"{exp}/alpha/alpha_trainer.py": rh.alpha(2, "core_trainer"),
            "trl/trainer/core_trainer.py": rh.BASE_V1 + "\n# v2\n"})]
    shas = rh.build(tmp_path / "r", steps)
    alpha = by_feature(report(tmp_path / "r"))["alpha"]
    assert labels(shas, alpha["upkeep"]["cochanges"]["commits"]) == ["adapt"]
    assert labels(shas, alpha["history"]["own_work"]["commits"]) == ["adapt", "land"]


def test_standard_library_bases_are_not_stable_parents(tmp_path):
    steps = [*rh.script(), rh.Step("c20", 90, "Ada", {"trl/experimental/beta/kinds.py": (
        "import enum\nfrom typing import Generic, TypeVar\n\nT = TypeVar('T')\n\n\n"
        "class Kind(enum.Enum):\n    A = 1\n\n    def __str__(self):\n        return 'k'\n\n\n"
        "class Box(Generic[T]):\n    pass\n")})]
    rh.build(tmp_path / "r", steps)
    beta = by_feature(report(tmp_path / "r", ["beta"]))["beta"]
    assert beta["upkeep"]["parents"] == [] and beta["overlap"]["subclasses"] == []
