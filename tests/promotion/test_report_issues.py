"""Issue evidence from a ``gh issue list --json`` export (``issues_file``): what names a
feature, the counts, the oldest open issue, the time to close, the score, the errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import report_history as rh
from promote_helpers import promote
from test_report import TODAY, by_feature, report

from fledge_promote import ConfigError, Repo, load_config
from fledge_promote.report._cli import build_report

GH = ("gh issue list --state all --limit 10000 --json "
      "number,title,state,labels,createdAt,closedAt,body")


def issue(number, title, created, closed=None, body="", labels=()):
    """One record the way the GitHub CLI writes it."""
    return {"number": number, "title": title, "state": "CLOSED" if closed else "OPEN",
            "labels": [{"id": f"LA_{i}", "name": name, "description": "", "color": "ededed"}
                       for i, name in enumerate(labels)],
            "createdAt": created, "closedAt": closed, "body": body}


ISSUES = [
    issue(1, "AlphaTrainer crashes in log()", "2025-01-20T09:00:00Z"),
    issue(2, "beta: wrong default", "2025-02-01T10:00:00Z", "2025-02-05T10:00:00Z"),
    issue(3, "Import fails", "2025-02-10T00:00:00Z", "2025-02-20T00:00:00Z",
          body="`import trl.experimental.alpha` raises"),
    issue(4, "Docs typo", "2025-02-15T00:00:00Z", body="on a page", labels=("gamma",)),
    issue(5, "alphabet soup in the README", "2025-02-16T00:00:00Z"),  # names no feature
    issue(6, "Slow", "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z",
          body="GammaTrainer takes an hour", labels=("bug",)),
    issue(7, "Beta and Alpha are both slow", "2025-03-01T00:00:00Z"),
    issue(8, "typo in alpha_trainer.py", "2025-03-01T00:00:00Z", "2025-03-03T00:00:00Z"),
    issue(9, "BaseTrainer is slow", "2025-03-05T00:00:00Z"),  # the stable class: no feature
]

#: What the report must find on the scripted repository (today: 2025-04-11).
EXPECTED = {
    "alpha": {"open": [1, 7], "closed": [3, 8], "oldest": (1, 81), "open_days": 81 + 41,
              "median": 6.0},
    "beta": {"open": [7], "closed": [2], "oldest": (7, 41), "open_days": 41, "median": 4.0},
    "gamma": {"open": [4], "closed": [6], "oldest": (4, 55), "open_days": 55, "median": 28.0},
}


@pytest.fixture
def scripted(tmp_path: Path) -> Path:
    root = tmp_path / "scripted"
    rh.build(root, rh.script())
    return root


def configure(root: Path, records, name: str = "build/issues.json") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(records if isinstance(records, str) else json.dumps(records, indent=1))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f'issues_file = "{name}"\n')
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_issue_counts(scripted, name):
    configure(scripted, ISSUES)
    got = by_feature(report(scripted))[name]["issues"]
    want = EXPECTED[name]
    assert got["file"] == "build/issues.json"
    assert got["open"] == {"count": len(want["open"]), "issues": want["open"]}
    assert got["closed"] == {"count": len(want["closed"]), "issues": want["closed"]}
    number, days = want["oldest"]
    assert (got["oldest_open"]["number"], got["oldest_open"]["days_open"]) == (number, days)
    assert got["open_days"] == want["open_days"]
    assert got["median_days_to_close"] == want["median"]


def test_issues_behind_the_figures_are_in_the_json(scripted):
    configure(scripted, ISSUES)
    data = report(scripted)
    jsonschema.validate(data, json.loads(
        (Path(__file__).parent / "report_schema.json").read_text()))
    assert sorted(map(int, data["issues"])) == [1, 2, 3, 4, 6, 7, 8]  # 5 and 9 name none
    assert data["issues"]["6"] == {"title": "Slow", "state": "closed", "labels": ["bug"],
                                   "created": "2025-02-01", "closed": "2025-03-01"}
    assert data["issues_file"] == "build/issues.json"
    alpha = by_feature(data)["alpha"]
    assert alpha["issues"]["names"] == ["alpha", "AlphaTrainer"]
    assert alpha["neglect"]["terms"]["issues"]["fact"] == (
        "2 open issues, the oldest #1 open 81 days, closed in 6 days (median)")
    assert "issues" not in alpha["neglect"]["missing"]


def test_issues_feed_the_score(scripted):
    configure(scripted, ISSUES)
    before = by_feature(report(scripted))
    more = [*ISSUES, issue(10, "beta hangs", "2024-06-01T00:00:00Z"),
            issue(11, "BetaTrainer leaks", "2024-07-01T00:00:00Z")]
    (scripted / "build/issues.json").write_text(json.dumps(more))
    after = by_feature(report(scripted))
    assert after["beta"]["issues"]["open"]["issues"] == [10, 11, 7]  # oldest first
    assert after["beta"]["neglect"]["score"] > before["beta"]["neglect"]["score"]
    assert after["alpha"]["neglect"]["score"] == before["alpha"]["neglect"]["score"]
    assert after["beta"]["neglect"]["why"][0] == "issues"


def test_markdown_and_table_show_the_issues(scripted):
    configure(scripted, ISSUES)
    config, _ = load_config(scripted)
    text = build_report(Repo(scripted), config, ["alpha"], fmt="markdown", today=TODAY)
    assert ("- **Issues**: 2 open issues and 2 closed name it; the oldest open is #1 "
            "('AlphaTrainer crashes in log()', opened 2025-01-20, 81 days ago); closed in "
            "6.0 days (median).") in text
    done = promote(scripted, "report", "--all", "-q", "--today", TODAY.isoformat(),
                   "--sort=-issues")
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines() if line[:1].isalpha()]
    assert rows[1:4] == ["alpha", "beta", "gamma"]  # 2, 1, 1 open issues; then by name


def test_without_the_file_there_is_no_data(scripted):
    data = report(scripted)
    assert data["issues"] == {} and data["issues_file"] is None
    for feature in data["features"]:
        assert feature["issues"] is None and "issues" in feature["neglect"]["missing"]
    config, _ = load_config(scripted)
    text = build_report(Repo(scripted), config, ["beta"], fmt="markdown", today=TODAY)
    assert "- **Issues**: No data (no issues_file)." in text


def test_a_longer_name_wins_where_two_overlap(tmp_path):
    steps = [*rh.script(), rh.Step("c20", 90, "Ada", {
        "trl/experimental/alpha_beta/__init__.py": "X = 1\n"})]
    rh.build(tmp_path / "r", steps)
    configure(tmp_path / "r", [issue(1, "alpha beta breaks", "2025-04-01T00:00:00Z"),
                               issue(2, "alpha-beta and alpha", "2025-04-01T00:00:00Z")])
    got = by_feature(report(tmp_path / "r"))
    assert got["alpha_beta"]["issues"]["open"]["issues"] == [1, 2]
    assert got["alpha"]["issues"]["open"]["issues"] == [2]


BAD = [
    ("{not json", "is not valid JSON"),
    ('{"issues": []}', "must be a JSON array of issues, as `gh issue list --json` writes; "
                       "got dict"),
    ([issue(1, "x", "2025-01-01T00:00:00Z"), "#2"], "record 1: must be an object; got str"),
    ([{k: v for k, v in issue(7, "x", "2025-01-01T00:00:00Z").items() if k != "body"}],
     "record 0 (#7): field 'body' is missing"),
    ([{**issue(3, "x", "2025-01-01T00:00:00Z"), "state": "open"}],
     "record 0 (#3): field 'state' must be 'OPEN' or 'CLOSED'; got 'open'"),
    ([issue(1, "x", "2025-01-01T00:00:00Z"), issue(4, "y", "yesterday")],
     "record 1 (#4): field 'createdAt' must be an ISO-8601 time"),
    ([{**issue(5, "x", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"), "closedAt": None}],
     "record 0 (#5): field 'closedAt' must be an ISO-8601 time"),
    ([issue(6, "x", "2025-01-05T00:00:00Z", "2025-01-02T00:00:00Z")],
     "record 0 (#6): field 'closedAt' (2025-01-02T00:00:00Z) is before 'createdAt'"),
    ([{**issue(8, "x", "2025-01-01T00:00:00Z"), "labels": ["bug"]}],
     "record 0 (#8): field 'labels' must be a list of objects with a 'name' string"),
    ([{**issue(1, "x", "2025-01-01T00:00:00Z"), "number": "1"}],
     "record 0: field 'number' must be a positive integer; got '1'"),
    ([issue(2, "x", "2025-01-01T00:00:00Z"), issue(2, "y", "2025-01-01T00:00:00Z")],
     "record 1 (#2): the number appears twice"),
]


@pytest.mark.parametrize(("content", "words"), BAD)
def test_a_malformed_file_is_a_clear_error(scripted, content, words):
    configure(scripted, content)
    config, _ = load_config(scripted)
    with pytest.raises(ConfigError) as caught:
        build_report(Repo(scripted), config, today=TODAY)
    message = str(caught.value)
    assert message.startswith("pyproject.toml: [tool.fledge.promote] key 'issues_file' "
                              "names build/issues.json: ")
    assert words in message
    assert f"export the file again with `{GH} > build/issues.json`" in message


def test_a_malformed_or_missing_file_exits_2(scripted):
    configure(scripted, [{**issue(3, "x", "2025-01-01T00:00:00Z"), "state": "open"}])
    done = promote(scripted, "report", "--all", "-q")
    assert done.returncode == 2 and done.stdout == ""
    assert "build/issues.json: record 0 (#3): field 'state'" in done.stderr
    (scripted / "build/issues.json").unlink()
    done = promote(scripted, "report", "--all", "-q")
    assert done.returncode == 2
    assert "names build/issues.json, which does not exist; export it with" in done.stderr


def test_the_path_must_be_inside_the_repository(scripted):
    pyproject = scripted / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'issues_file = "../issues.json"\n')
    with pytest.raises(ConfigError, match="issues_file.*must be a path inside the repository"):
        load_config(scripted)
