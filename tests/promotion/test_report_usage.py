"""Usage data for ``promote report`` and the ``adoption`` check: the usage file (CSV, JSON),
the ``fledge_promote_usage`` hook, and "no data" when there is none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import report_history as rh
from promote_helpers import promote
from test_report import TODAY, by_feature, report

from fledge_promote import CheckContext, ConfigError, Repo, Verdict, find_feature, load_config
from fledge_promote.checks._adoption import NO_EVIDENCE, AdoptionCheck
from fledge_promote.repository._usage import parse_period


@pytest.fixture
def scripted(tmp_path: Path) -> Path:
    root = tmp_path / "scripted"
    rh.build(root, rh.script())
    return root


def configure(root: Path, text: str) -> None:
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + text)


RECORDS = [
    {"feature": "alpha", "period": "2025-03", "runs": 100, "source": "telemetry"},
    {"feature": "alpha", "period": "2025-01-01/2025-01-20", "runs": 30, "source": "telemetry"},
    {"feature": "alpha", "period": "2025-01-11", "runs": 4, "source": "hub"},
    {"feature": "alpha", "period": "2025-01-10", "runs": 9, "source": "hub"},
    {"feature": "beta", "period": "2025-04-11", "runs": 0},
]


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_usage_file_counts_the_window(scripted, kind):
    if kind == "csv":
        rows = ["feature,period,runs,source"] + [
            f"{r['feature']},{r['period']},{r['runs']},{r.get('source', '')}" for r in RECORDS]
        (scripted / "usage.csv").write_text("\n".join(rows) + "\n")
    else:
        (scripted / "usage.json").write_text(json.dumps({"usage": RECORDS}))
    configure(scripted, f'usage_file = "usage.{kind}"\n')
    data = report(scripted)
    alpha = by_feature(data)["alpha"]["usage"]
    # The window is the 90 days up to 2025-04-11: from 2025-01-12. A period counts when it
    # overlaps the window: the month of March and the range reaching 2025-01-20 do; the
    # days 2025-01-10 and 2025-01-11 do not.
    assert alpha["runs"] == 130 and alpha["window_days"] == 90
    assert alpha["total"] == 143
    assert alpha["latest_period"] == "2025-03"
    assert alpha["sources"] == ["telemetry", "hub"]
    beta = by_feature(data)["beta"]["usage"]
    assert beta["runs"] == 0 and beta["sources"] == [f"file:usage.{kind}"]
    assert by_feature(data)["gamma"]["usage"] is None  # no row: no data, not zero
    assert data["usage_sources"] == [f"file:usage.{kind}"]


def test_usage_window_is_configurable(scripted):
    (scripted / "usage.json").write_text(json.dumps(RECORDS))
    configure(scripted, 'usage_file = "usage.json"\nusage_window_days = 91\n')
    assert by_feature(report(scripted))["alpha"]["usage"]["runs"] == 134  # 2025-01-11 too


@pytest.mark.parametrize(("name", "text", "words"), [
    ("usage.csv", "feature,period,runs\nalpha,2025-03,10\nalpha,2025-03,many\n",
     "usage.csv: line 3: 'runs' must be a non-negative integer, got 'many'"),
    ("usage.csv", "feature,period,runs\nalpha,March,10\n",
     "line 2: period 'March' is not a day (2025-10-14), a month (2025-10)"),
    ("usage.csv", "name,runs\nalpha,3\n", "header row lacks feature, period"),
    ("usage.json", '[{"feature": "alpha", "period": "2025-03", "runs": -1}]',
     "record 0: 'runs' must be a non-negative integer, got -1"),
    ("usage.json", '{"rows": []}', 'must hold a list of records or {"usage": [...]}'),
    ("usage.json", "{not json", "is not valid JSON"),
])
def test_bad_usage_file_names_the_key_the_place_and_the_rule(scripted, name, text, words):
    (scripted / name).write_text(text)
    configure(scripted, f'usage_file = "{name}"\n')
    with pytest.raises(ConfigError) as caught:
        report(scripted)
    assert caught.value.key == "usage_file"
    assert words in str(caught.value)
    done = promote(scripted, "report", "--all", "-q")
    assert done.returncode == 2 and words in done.stderr


def test_missing_usage_file(scripted):
    configure(scripted, 'usage_file = "data/usage.csv"\n')
    with pytest.raises(ConfigError, match="names data/usage.csv, which does not exist"):
        report(scripted)


def test_periods():
    assert parse_period("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse_period("2025-10-14") == (dt.date(2025, 10, 14),) * 2
    assert parse_period(" 2025-10-01/2025-10-14 ") == (dt.date(2025, 10, 1),
                                                       dt.date(2025, 10, 14))
    for bad in ("2025-13", "2025-10-14/2025-10-01", "2025-W41", ""):
        with pytest.raises(ValueError, match="is not a day"):
            parse_period(bad)


USAGE_PLUGIN = """
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="telemetry_source", summary="s", module="usage_plugin",
                           exports=("x",), since="0.1.0")]

@fledge.hookimpl
def fledge_promote_usage(features, root):
    assert (__import__("pathlib").Path(root) / "pyproject.toml").is_file()
    return [{"feature": name, "period": "2025-04", "runs": 40 + i, "source": "telemetry"}
            for i, name in enumerate(sorted(features))] + [
        {"feature": "not_in_this_repo", "period": "2025-04", "runs": 1}]
"""

HUB_PLUGIN = """
import fledge
from types import SimpleNamespace

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="hub_source", summary="s", module="hub_plugin",
                           exports=("x",), since="0.1.0")]

@fledge.hookimpl
def fledge_promote_usage(features):
    return [SimpleNamespace(feature="alpha", period="2025-04-01", runs=2, source=None)]
"""

BROKEN_PLUGIN = """
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="broken_source", summary="s", module="broken_usage",
                           exports=("x",), since="0.1.0")]

@fledge.hookimpl
def fledge_promote_usage():
    raise RuntimeError("telemetry server unreachable")
"""


def test_fledge_promote_usage(fledge_site, scripted):
    """Plugins supply usage through the hook; a failing one is reported and left out."""
    fledge_site.add("fledge-telemetry", {"usage_plugin": USAGE_PLUGIN})
    fledge_site.add("fledge-hub", {"hub_plugin": HUB_PLUGIN})
    fledge_site.add("fledge-broken", {"broken_usage": BROKEN_PLUGIN})
    fledge_site.install()
    (scripted / "usage.csv").write_text("feature,period,runs\nbeta,2025-04-02,5\n")
    configure(scripted, 'usage_file = "usage.csv"\n')
    data = report(scripted)
    got = by_feature(data)
    assert got["alpha"]["usage"]["runs"] == 42  # 40 from telemetry, 2 from the hub plugin
    assert got["alpha"]["usage"]["sources"] == ["hub_plugin", "telemetry"]
    assert got["beta"]["usage"]["runs"] == 41 + 5  # the hook and the file add up
    assert got["gamma"]["usage"]["runs"] == 42
    assert sorted(data["usage_sources"]) == ["file:usage.csv", "hook:hub_plugin",
                                             "hook:usage_plugin"]
    assert len(data["problems"]) == 1
    assert ("plugin 'broken_usage': its fledge_promote_usage hook failed (RuntimeError: "
            "telemetry server unreachable); its records are left out") == data["problems"][0]


def check_adoption(root: Path, name: str = "alpha"):
    repo = Repo(root)
    config, _ = load_config(root)
    return AdoptionCheck().run(CheckContext(repo, config, find_feature(repo, config, name)))


def test_adoption_check_with_and_without_data(scripted):
    today = dt.datetime.now(dt.timezone.utc).date()
    result = check_adoption(scripted)
    assert result.verdict is Verdict.SKIP
    assert "no usage data for alpha: no usage_file configured" in result.reason
    (scripted / "usage.csv").write_text(
        "feature,period,runs\n"
        f"alpha,{today.isoformat()},7\n"
        f"alpha,{(today - dt.timedelta(days=40)).isoformat()},5\n"
        f"beta,{(today - dt.timedelta(days=200)).isoformat()},900\n")
    configure(scripted, 'usage_file = "usage.csv"\nmin_usage = 12\n')
    result = check_adoption(scripted)
    assert result.verdict is Verdict.PASS
    assert result.reason.startswith("12 runs in the last 90 days (min_usage 12")
    assert result.details["total"] == 12
    stale = check_adoption(scripted, "beta")  # 900 runs, but 200 days ago
    assert stale.verdict is Verdict.FAIL
    assert stale.reason.startswith("0 runs in the last 90 days, below min_usage 12")
    assert "lower min_usage" in stale.fix
    missing = check_adoption(scripted, "gamma")
    assert missing.verdict is Verdict.SKIP and "no row in usage.csv" in missing.reason


def test_ready_on_hygiene_without_adoption_evidence(scripted):
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    table = promote(scripted, "check", "alpha", "--only", "adoption", "-q")
    assert table.returncode == 0, table.stderr
    assert f"alpha: {NO_EVIDENCE.replace('ready', 'READY')}" in table.stdout
    as_json = json.loads(promote(scripted, "check", "alpha", "--only", "adoption",
                                 "--json", "-q").stdout)
    assert as_json["features"][0]["verdict"] == NO_EVIDENCE
    assert as_json["features"][0]["ready"] is True
    (scripted / "usage.csv").write_text(f"feature,period,runs\nalpha,{today},3\n")
    configure(scripted, 'usage_file = "usage.csv"\n')
    adopted = json.loads(promote(scripted, "check", "alpha", "--only", "adoption",
                                 "--json", "-q").stdout)
    assert adopted["features"][0]["verdict"] == "ready"
    assert "alpha: READY\n" in promote(scripted, "check", "alpha", "--only", "adoption",
                                       "-q").stdout


def test_report_shows_no_data_without_usage(scripted):
    config, _ = load_config(scripted)
    from fledge_promote.report._cli import build_report

    text = build_report(Repo(scripted), config, ["beta"], fmt="markdown", today=TODAY)
    assert "- **Usage**: No data." in text
    assert "| `beta` | 88 | 2 | 2 | 2025-03-07 | - | no data |" in text
