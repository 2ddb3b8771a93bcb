"""All or nothing: refusals, a failure midway, and a run killed midway then recovered."""

from __future__ import annotations

import signal

from promote_helpers import git, promote, snapshot

from fledge_promote import Plan, PlanError, Repo, apply_plan
from fledge_promote.applying._apply import journal_exists


def test_apply_refuses_a_dirty_tree_unless_allowed(trl_repo):
    (trl_repo / "scratch.txt").write_text("work in progress")
    done = promote(trl_repo, "foo", "--apply", "-q")
    assert done.returncode == 1
    assert "uncommitted changes (scratch.txt)" in done.stderr
    assert "--allow-dirty" in done.stderr


def test_apply_refuses_failed_checks_unless_forced(trl_repo):
    test = trl_repo / "tests/experimental/test_foo_trainer.py"
    test.write_text(test.read_text().replace("== 1.0", "== 7.0"))
    git(trl_repo, "commit", "-qam", "break a test")
    before = snapshot(trl_repo)
    refused = promote(trl_repo, "foo", "--apply", "-q")
    assert refused.returncode == 1
    assert "foo is not ready (tests-pass failed)" in refused.stderr
    assert snapshot(trl_repo) == before
    forced = promote(trl_repo, "foo", "--apply", "--force", "-q")
    assert forced.returncode == 1  # applied, but the moved tests fail at the new place
    assert "tests at the new place: 1 passed, 1 failed" in forced.stdout
    assert (trl_repo / "trl/trainer/foo/foo_trainer.py").exists()


def test_a_failure_midway_restores_the_tree(trl_repo):
    repo = Repo(trl_repo)
    before = snapshot(trl_repo)
    index = git(trl_repo, "ls-files", "-s")
    plan = Plan("promote", "foo", moves=[("trl/experimental/foo/foo_config.py", "trl/x.py")],
                writes={"README.md": "changed\n", "trl/experimental/foo/foo_config.py": "shim\n"})
    plan.writes["docs/source/foo.md/impossible"] = "a file under a file: fails midway\n"
    try:
        apply_plan(repo, plan)
    except Exception as exc:  # noqa: BLE001
        assert "the tree was restored" in str(exc)
    else:
        raise AssertionError("applying should have failed")
    assert snapshot(trl_repo) == before
    assert git(trl_repo, "ls-files", "-s") == index
    assert not journal_exists(repo)


def test_never_writes_outside_the_repository(trl_repo, tmp_path):
    outside = tmp_path / "outside.txt"
    (trl_repo / "link").symlink_to(tmp_path)
    for target in ("../outside.txt", "link/outside.txt", str(outside)):
        try:
            apply_plan(Repo(trl_repo), Plan("promote", "foo", writes={target: "x"}))
        except PlanError as exc:
            assert "refusing to write" in str(exc)
        else:
            raise AssertionError(f"{target} should be refused")
    assert not outside.exists()


def test_killed_midway_then_recover_restores_exactly(trl_repo):
    before = snapshot(trl_repo)
    index = git(trl_repo, "ls-files", "-s")
    killed = promote(trl_repo, "foo", "--apply", "-q",
                     env={"FLEDGE_PROMOTE_CRASH_AFTER": "4"})
    assert killed.returncode == -signal.SIGKILL
    assert (trl_repo / ".fledge-promote-journal/journal.json").exists()
    assert snapshot(trl_repo) != before  # half applied

    again = promote(trl_repo, "foo", "--apply", "-q", "--allow-dirty")
    assert again.returncode == 1 and "promote --recover" in again.stderr

    recovered = promote(trl_repo, "--recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "undid the interrupted promote run" in recovered.stdout
    assert snapshot(trl_repo) == before
    assert git(trl_repo, "ls-files", "-s") == index
    assert git(trl_repo, "status", "--porcelain") == ""
    assert promote(trl_repo, "--recover").stdout.startswith("nothing to recover")
