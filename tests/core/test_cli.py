"""The ``fledge`` command: tables for people, JSON for machines, exit codes CI can trust."""

from __future__ import annotations

import json

import pytest

from fledge.cli import main

from sample_plugins import manifest, plugin_source

IMPL = "thing = 1\n"
LIST_KEYS = {"name", "stage", "summary", "since", "module", "exports", "owners",
             "distribution", "version", "status", "problem"}


@pytest.fixture
def site(fledge_site):
    fledge_site.add("fledge-good", {
        "good": plugin_source(manifest("good", "good_impl", demo="'good_impl:demo'")),
        "good_impl": IMPL + "def demo(argv):\n    print('demo ran with', argv)\n    return 3\n",
    }, version="2.0.1")
    fledge_site.add("fledge-needy", {
        "needy": plugin_source(manifest("needy", "needy_impl", requires="{'pluggy': '>=99'}")),
        "needy_impl": IMPL,
    })
    return fledge_site


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_has_the_documented_keys(site, capsys):
    site.install()
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == 1  # 'needy' is incompatible: a problem, listed all the same
    assert [r["name"] for r in rows] == ["good", "needy"]
    for row in rows:
        assert LIST_KEYS <= set(row)
    good, needy = rows
    assert (good["distribution"], good["version"], good["status"], good["problem"]) == (
        "fledge-good", "2.0.1", "ok", None)
    assert needy["status"] == "incompatible"
    assert needy["problem"]["kind"] == "unmet-requirement"


def test_list_json_shows_blocked_and_broken(site, capsys):
    site.add("fledge-broken", {"broken": "raise ImportError('nope')\n"})
    site.install({"FLEDGE_PLUGINS_BLOCK": "good"})
    code, out, _ = run(capsys, "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 1
    assert rows["good"]["status"] == "blocked"
    # A plugin that failed to import declared no feature: its row is the plugin's, with
    # the problem the text output counts.
    broken = rows["broken"]
    assert (broken["status"], broken["stage"], broken["distribution"]) == (
        "broken", None, "fledge-broken")
    assert broken["problem"]["kind"] == "import-error"
    assert "ImportError: nope" in broken["problem"]["reason"]
    code, out, _ = run(capsys, "doctor", "--shallow")
    assert code == 1
    assert "[import-error] plugin 'broken'" in out


def test_list_table_fits_80_columns(site, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    site.install()
    code, out, _ = run(capsys, "list")
    assert code == 1
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "good" in out and "fledge-good 2.0.1" in out and "incompatible" in out
    assert "run `fledge doctor`" in out


def test_list_stage_filter(site, capsys):
    site.install()
    assert json.loads(run(capsys, "list", "--json", "--stage", "stable")[1]) == []
    assert len(json.loads(run(capsys, "list", "--json", "--stage", "experimental")[1])) == 2


def test_info(site, capsys):
    site.install()
    code, out, _ = run(capsys, "info", "needy")
    assert code == 1  # listed in full, but it cannot be used
    assert "status:       incompatible" in out
    assert "pip install 'pluggy>=99'" in out
    code, out, _ = run(capsys, "info", "good", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["import_path"] == "fledge.experimental.good"


def test_info_unknown_feature(site, capsys):
    site.install()
    code, _, err = run(capsys, "info", "goood")
    assert code == 2
    assert "Did you mean 'good'" in err


def test_doctor_reports_reason_and_fix_and_exits_1(site, capsys):
    site.install()
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "error: [unmet-requirement] plugin 'needy' (dist fledge-needy 0.1.0)" in out
    assert "fix: pip install 'pluggy>=99'" in out
    report = json.loads(run(capsys, "doctor", "--json")[1])
    assert report["features"] == 2 and report["ok"] == 1
    assert [p["kind"] for p in report["problems"]] == ["unmet-requirement"]


def test_doctor_is_clean_with_healthy_plugins(fledge_site, capsys):
    fledge_site.add("fledge-good", {"good": plugin_source(manifest("good", "good_impl")),
                                    "good_impl": "thing = 1\n"})
    fledge_site.install()
    code, out, _ = run(capsys, "doctor")
    assert code == 0
    assert "1 feature(s), 1 ok, 0 problem(s), implementations imported." in out


def test_doctor_deep_finds_missing_exports(fledge_site, capsys):
    fledge_site.add("fledge-short", {
        "short": plugin_source(manifest("short", "short_impl", exports="('thing', 'gone')")),
        "short_impl": IMPL,
    })
    fledge_site.install()
    assert run(capsys, "doctor", "--shallow")[0] == 0
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "[missing-export]" in out


def test_terminal_escapes_from_plugins_are_never_printed(fledge_site, capsys):
    source = ("import fledge\n@fledge.hookimpl\ndef fledge_features():\n"
              "    raise RuntimeError('\\x1b[2J\\x1b]0;pwned\\x07')\n")
    fledge_site.add("fledge-evil", {"evil": source})
    fledge_site.install()
    code, out, err = run(capsys, "doctor")
    assert code == 1
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b[2J" in out


def test_demo_runs_the_features_demo(site, capsys):
    site.install()
    code, out, _ = run(capsys, "demo", "good", "--steps", "2")
    assert code == 3
    assert "demo ran with ['--steps', '2']" in out


def test_demo_of_a_feature_without_one(site, capsys):
    site.add("fledge-plain", {"plain": plugin_source(manifest("plain", "plain_impl")),
                              "plain_impl": IMPL})
    site.install()
    code, _, err = run(capsys, "demo", "plain")
    assert code == 2
    assert "has no demo: its manifest sets no 'demo'" in err
    # ...and how its author adds one: the field, in the form it takes, with an example.
    assert "demo='module:function' in the Feature(...) its plugin returns" in err
    assert "demo='plain_impl.demo:main'" in err


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2
    assert "commands" in out
