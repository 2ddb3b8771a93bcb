"""Own work and sweeps, rule by rule, on a scripted lifecycle whose truth is written beside
it (``report_history.lifecycle_script`` and ``LIFECYCLE_TRUTH``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import report_history as rh
from test_report import TODAY, by_feature, labels, report

from fledge_promote import Repo, load_config
from fledge_promote.report._cli import build_report


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory) -> tuple[Path, dict[str, str], dict]:
    root = tmp_path_factory.mktemp("lifecycle") / "repo"
    shas = rh.build(root, rh.lifecycle_script())
    return root, shas, by_feature(report(root))


@pytest.mark.parametrize("name", sorted(rh.LIFECYCLE_TRUTH))
def test_every_commit_is_classified_as_the_script_says(lifecycle, name):
    _, shas, got = lifecycle
    truth = rh.LIFECYCLE_TRUTH[name]
    history = got[name]["history"]
    rules = {labels(shas, [c["commit"]])[0]: c["rule"] for c in history["classified"]}
    assert rules == truth
    own = [label for label, rule in truth.items() if rule in (
        "created", "moved", "focused", "follow-up")]
    assert sorted(labels(shas, history["own_work"]["commits"])) == own
    assert sorted(labels(shas, history["sweeps"]["commits"])) == sorted(set(truth) - set(own))
    for rule, commits in {**history["own_work"]["by_rule"],
                          **history["sweeps"]["by_rule"]}.items():
        assert sorted(labels(shas, commits)) == sorted(k for k, v in truth.items() if v == rule)


def test_a_feature_created_beside_its_siblings_is_their_own_work(lifecycle):
    """The issue's case: one commit creates three features with their tests, pages, the
    navigation, the paper index and an example; each counts it as its own work."""
    _, shas, got = lifecycle
    for name in ("eps", "zed", "eta"):
        history = got[name]["history"]
        assert history["own_work"]["by_rule"]["created"] == [shas["L01"]]
        assert got[name]["age"]["landed"]["commit"] == shas["L01"]
        assert history["last_own_work"] is not None
    created = next(c for c in got["eta"]["history"]["classified"]
                   if c["commit"] == shas["L01"])
    assert created["features"] == 3 and created["other_files"] == 12


def test_the_figures_behind_each_rule(lifecycle):
    _, shas, got = lifecycle
    by_commit = {labels(shas, [c["commit"]])[0]: c for c in got["eps"]["history"]["classified"]}
    assert by_commit["L11"]["features"] == 1 and by_commit["L11"]["other_files"] == 12
    assert by_commit["L11"]["code_share"] < 0.5
    assert by_commit["L03"]["code_share"] is None  # docs only: no code changed
    assert by_commit["L13"]["code_share"] > 0.5
    eta = {labels(shas, [c["commit"]])[0]: c for c in got["eta"]["history"]["classified"]}
    assert eta["L10"]["code_share"] > 0.9 and by_commit["L10"]["code_share"] < 0.1
    assert eta["L02"]["code_share"] == 1.0


def test_moves_and_renames_follow_the_feature(lifecycle):
    _, shas, got = lifecycle
    omega = got["omega"]
    assert omega["age"]["landed"]["commit"] == shas["L00"]
    assert [(m["from"], m["to"]) for m in omega["age"]["moves"]] == [
        ("trl/trainer/old_trainer.py", "trl/experimental/omega/omega_trainer.py")]
    zed = got["zed"]
    assert ("trl/experimental/zeta/zeta_trainer.py", "trl/experimental/zed/zeta_trainer.py") in {
        (m["from"], m["to"]) for m in zed["age"]["moves"]}
    assert zed["tests"]["files"] == [{"file": "tests/experimental/test_zed.py", "tests": 1}]


def test_the_words_say_the_rules(lifecycle):
    root, _, _ = lifecycle
    config, _ = load_config(root)
    text = build_report(Repo(root), config, ["eps"], fmt="markdown", today=TODAY)
    assert ("9 commits since: 3 own work (1 created, 1 focused, 1 follow-up), the last on "
            "2025-02-15") in text
    assert "6 sweeps (5 across many features, 1 across many files)" in text
    data = json.loads(build_report(Repo(root), config, ["eps"], fmt="json", today=TODAY))
    assert data["features"][0]["history"]["own_work"]["count"] == 3


def test_a_feature_alone_is_classified_as_in_the_whole_report(lifecycle):
    """The features a commit touched are counted the same whichever are reported: another
    feature's docs page counts, and so does a renamed one's old folder."""
    root, _, got = lifecycle
    for name in rh.LIFECYCLE_TRUTH:
        alone = by_feature(report(root, [name]))[name]
        assert alone["history"]["classified"] == got[name]["history"]["classified"]
