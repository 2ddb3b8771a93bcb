"""``promote report`` on TRL's real package (``trl_copy``): as the tests build it, one commit,
and with a TRL-like history scripted over its real files: features landing one by one,
three siblings created in one commit with their pages, the navigation and the paper index, a
trainer moved in from the stable package, follow-up fixes, and sweeps across every feature.
The order must separate: no two features tie unless the figures the score reads are the
same, and every row says what weighs most in its place."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import subprocess
from pathlib import Path

import pytest
import report_history as rh
from promote_helpers import promote
from trl_copy import build_trl_copy

from fledge_promote import Repo, load_config
from fledge_promote.report._cli import build_report

pytestmark = pytest.mark.slow

SIBLINGS = ("distillation", "gkd", "gold")
MOVED = "orpo"
TODAY_DAY = 730
SWEEPS = {400: "lint", 550: "typing", 650: "renamed argument"}


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root, _ = build_trl_copy(tmp_path_factory.mktemp("trl-report") / "trl")
    return root


def files_of(root: Path) -> dict[str, str]:
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                            check=True).stdout.split()
    return {rel: (root / rel).read_text(encoding="utf-8") for rel in listed}


def features_of(files: dict[str, str]) -> list[str]:
    return sorted({rel.split("/")[2] for rel in files if re.match(
        r"trl/experimental/\w+/__init__\.py$", rel)})


def page(name: str) -> str:
    return f"docs/source/{name}_trainer.md"


def history(files: dict[str, str]) -> tuple[list[rh.Step], dict[str, dict[str, str]]]:
    """The steps, and what each commit is to each feature (label: rule)."""
    names = features_of(files)
    own = {n: sorted(rel for rel in files if rel.startswith(f"trl/experimental/{n}/"))
           for n in names}
    tests = {n: [rel for rel in files if rel == f"tests/experimental/test_{n}_trainer.py"]
             for n in names}
    pages = {n: files.get(page(n), f"# {n}\n\nThe {n} trainer.\n") for n in names}
    held = {rel for n in names for rel in [*own[n], *tests[n], page(n)]}
    text = {rel: body for rel, body in files.items() if rel not in held}
    moved_from = {rel: rel.replace(f"experimental/{MOVED}/", "trainer/")
                  for rel in own[MOVED] if rel.endswith("_trainer.py")}
    steps = [rh.Step("base", 0, "Root", {**text, **{old: files[new] for new, old in
                                                    moved_from.items()}})]
    truth: dict[str, dict[str, str]] = {n: {} for n in names}
    truth[MOVED]["base"] = "created"
    state = dict(files)
    landing: dict[str, float] = {}
    rest = [n for n in names if n not in SIBLINGS]
    for i, name in enumerate(rest):
        landing[name] = 20 + 30 * i + (100 if i >= 5 else 0)
    for name in SIBLINGS:
        landing[name] = 300
    events: list[tuple[float, str, object]] = [(day, "land", n) for n, day in landing.items()
                                               if n not in SIBLINGS]
    events.append((300, "siblings", SIBLINGS))
    events += [(day, "sweep", kind) for day, kind in SWEEPS.items()]
    for i, name in enumerate(names):
        for k in range(1 + (i * 7) % 5):
            day = landing[name] + 13 * (k + 1) + i * 11 % 37
            if day < TODAY_DAY - 1 and day not in SWEEPS:
                events.append((day + 0.5, "fix", name))
    events.sort(key=lambda e: (e[0], e[1], str(e[2])))
    present: set[str] = set()
    for n, (day, kind, what) in enumerate(events):
        label = f"{kind}-{n}"
        write: dict[str, str] = {}
        move: dict[str, str] = {}
        if kind in ("land", "siblings"):
            group = what if kind == "siblings" else (what,)
            for name in group:
                for rel in [*own[name], *tests[name]]:
                    if rel in moved_from:
                        move[moved_from[rel]] = rel
                    write[rel] = files[rel]
                write[page(name)] = pages[name]
                truth[name][label] = "moved" if name == MOVED else "created"
                present.add(name)
            if kind == "siblings":  # the navigation, the paper index and an example too
                toc = text["docs/source/_toctree.yml"]
                write["docs/source/_toctree.yml"] = toc + "".join(
                    f"  - local: {n}_trainer\n    title: {n}\n" for n in group)
                write["docs/source/paper_index.md"] = text["docs/source/paper_index.md"] + \
                    "".join(f"\n### {n}\n\nSee [{n}]({n}_trainer).\n" for n in group)
                write["examples/scripts/gkd.py"] = "from trl.experimental.gkd import GKDTrainer\n"
        elif kind == "fix":
            rel = own[what][(n * 3) % len(own[what])]
            state[rel] += f"# fix {n}\n"
            write[rel] = state[rel]
            truth[what][label] = "focused"
        else:  # a sweep: one line in every feature present, and in stable code
            for name in sorted(present):
                rel = own[name][len(SWEEPS) % len(own[name])] if kind == "typing" else \
                    own[name][0]
                state[rel] += f"# {what}\n"
                write[rel] = state[rel]
                truth[name][label] = "many-features"
            for rel in ("trl/trainer/sft_trainer.py", "trl/trainer/dpo_trainer.py"):
                state[rel] = state.get(rel, text.get(rel, "")) + f"# {what}\n"
                write[rel] = state[rel]
        steps.append(rh.Step(label, day, f"Dev{n % 6}", write, move=move))
    return steps, truth


@pytest.fixture(scope="module")
def scripted(copy, tmp_path_factory) -> tuple[Path, dict[str, str], dict]:
    steps, truth = history(files_of(copy))
    root = tmp_path_factory.mktemp("trl-history") / "trl"
    shas = rh.build(root, steps)
    return root, shas, truth


def today(days: int) -> dt.date:
    return dt.date(2025, 1, 1) + dt.timedelta(days=days)


def report(root: Path, when: dt.date) -> dict:
    config, _ = load_config(root)
    return json.loads(build_report(Repo(root), config, fmt="json", today=when))


def assert_separates(data: dict) -> None:
    """No tie unless the score's figures are the same; the order is the score's."""
    features = data["features"]
    scores = [f["neglect"]["score"] for f in features]
    assert scores == sorted(scores, reverse=True)
    for a, b in itertools.combinations(features, 2):
        values = lambda f: {k: t["value"] for k, t in f["neglect"]["terms"].items()}  # noqa: E731
        if values(a) != values(b):
            assert a["neglect"]["score"] != b["neglect"]["score"], (a["feature"], b["feature"])
    for f in features:
        terms = f["neglect"]["terms"]
        assert 2 <= len(f["neglect"]["why"]) <= 3, f["feature"]
        points = [terms[t]["points"] for t in f["neglect"]["why"]]
        assert points == sorted(points, reverse=True)
        assert min(points) >= max((t["points"] for k, t in terms.items()
                                   if k not in f["neglect"]["why"]), default=0)
        assert abs(sum(t["points"] for t in terms.values()) - f["neglect"]["score"]) < 0.01


def assert_rows_explain(root: Path, when: dt.date, data: dict) -> None:
    done = promote(root, "report", "--all", "-q", "--today", when.isoformat())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    names = [f["feature"] for f in data["features"]]
    rows = [i for i, line in enumerate(lines) if line.split()[:1] and line.split()[0] in names]
    assert [lines[i].split()[0] for i in rows] == names
    for i, feature in zip(rows, data["features"], strict=True):
        why = " ".join(lines[i + 1:i + 4])
        assert why.lstrip().startswith(f"neglect {feature['neglect']['score']:.2f}/100: ")
        first = feature["neglect"]["terms"][feature["neglect"]["why"][0]]
        assert f"(+{first['points']:.1f})" in why


def test_the_copy_as_built(copy):
    data = report(copy, dt.date.today())
    assert len(data["features"]) >= 15
    for f in data["features"]:  # the one commit created every feature: its own work
        assert f["history"]["own_work"]["by_rule"]["created"] == [data["head"]]
        assert f["history"]["sweeps"]["count"] == 0
    assert_separates(data)
    assert len({f["neglect"]["score"] for f in data["features"]}) == len(data["features"])
    assert_rows_explain(copy, dt.date.today(), data)


def test_a_trl_like_history(scripted):
    root, shas, truth = scripted
    data = report(root, today(TODAY_DAY))
    back = {sha: label for label, sha in shas.items()}
    got = {f["feature"]: {back[c["commit"]]: c["rule"] for c in f["history"]["classified"]}
           for f in data["features"]}
    assert got == truth
    for name in SIBLINGS:  # created together, with pages, navigation, paper index, example
        feature = next(f for f in data["features"] if f["feature"] == name)
        created = feature["history"]["own_work"]["by_rule"]["created"]
        assert [back[c] for c in created] == [next(k for k, v in truth[name].items()
                                                   if v == "created")]
        assert feature["history"]["last_own_work"] is not None
    assert_separates(data)
    assert len({f["neglect"]["score"] for f in data["features"]}) == len(data["features"])
    assert_rows_explain(root, today(TODAY_DAY), data)
