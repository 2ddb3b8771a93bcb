"""A run killed with SIGKILL of its whole process group while it applies (``git mv``
included) leaves git usable after ``promote --recover``: no stale ``index.lock``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from promote_helpers import git, promote, snapshot

from fledge_promote import Repo
from fledge_promote.repository._repo import JOURNAL_DIR

DRIVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from fledge_promote import Repo, apply_plan, find_feature, load_config, plan_promotion

    root = Path(sys.argv[1])
    repo = Repo(root)
    config, _ = load_config(root)
    plan = plan_promotion(repo, config, find_feature(repo, config, "foo"))
    print("applying", flush=True)
    apply_plan(repo, plan)
    print("done", flush=True)
    """)


def pad_index(root: Path, entries: int = 60000) -> None:
    """Make git's index big (skip-worktree entries, no files), so each ``git mv`` holds
    ``index.lock`` for tens of milliseconds: long enough for a kill to land inside it."""
    sha = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=root, input="x\n",
                         capture_output=True, text=True, check=True).stdout.strip()
    paths = [f"pad/d{i // 1000}/f{i}.txt" for i in range(entries)]
    subprocess.run(["git", "update-index", "--index-info"], cwd=root, check=True,
                   input="".join(f"100644 {sha} 0\t{p}\n" for p in paths), text=True)
    subprocess.run(["git", "update-index", "--skip-worktree", "--stdin"], cwd=root, check=True,
                   input="".join(f"{p}\n" for p in paths), text=True)
    git(root, "commit", "-qm", "a big index")


def start(root: Path, script: Path) -> tuple[subprocess.Popen, float]:
    """The driver in a process group of its own; returns it once it starts applying."""
    process = subprocess.Popen([sys.executable, str(script), str(root)], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "applying\n", line + process.stderr.read()
    return process, time.perf_counter()


def lock(root: Path) -> Path:
    return root / ".git" / "index.lock"


@pytest.mark.slow
def test_sigkill_of_the_process_group_swept_across_the_apply(trl_repo, tmp_path):
    root = trl_repo
    pad_index(root)
    before = snapshot(root)
    index = git(root, "ls-files", "-s")
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)

    process, began = start(root, script)  # an unkilled run measures the apply's length
    assert process.wait(timeout=120) == 0, process.stderr.read()
    length = time.perf_counter() - began
    promoted = snapshot(root)  # what a complete run leaves
    assert promoted != before
    git(root, "reset", "-q", "--hard")
    git(root, "clean", "-qfd")
    assert snapshot(root) == before

    moments = [length * k / 14 for k in range(15)]
    locked = 0
    for moment in moments:
        process, began = start(root, script)
        time.sleep(max(0.0, began + moment - time.perf_counter()))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        had_lock = lock(root).exists()
        locked += had_lock
        had_journal = (root / JOURNAL_DIR).exists()
        # What a user does after a kill; it also sweeps a journal killed while being deleted.
        done = promote(root, "--recover", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        recovered = json.loads(done.stdout)
        said = recovered["git_lock"] or ""
        assert had_lock == said.startswith("removed .git/index.lock left by the killed"), said
        assert (recovered["outcome"] == "nothing") == (not had_journal), recovered
        if had_journal:  # undone, or finished when killed after the journal's commit
            finished = recovered["outcome"] == "finished"
        else:  # killed before the journal was made (nothing changed) or after it went (done)
            finished = snapshot(root) != before
        if finished:  # every change is there: put it back for the next kill
            assert snapshot(root) == promoted, f"killed at {moment:.3f} s: half a promotion"
            git(root, "reset", "-q", "--hard")
            git(root, "clean", "-qfd")
        assert not lock(root).exists(), f"killed at {moment:.3f} s: index.lock left"
        assert snapshot(root) == before, f"killed at {moment:.3f} s"
        assert git(root, "ls-files", "-s") == index
        assert git(root, "status", "--porcelain") == ""
    assert locked, "no kill landed while git held index.lock; the sweep proves nothing"


def test_a_kill_inside_git_mv_is_recovered_and_said(trl_repo, tmp_path):
    """The kill waits for git's lock to appear, so it lands inside ``git mv`` every time."""
    root = trl_repo
    pad_index(root)
    before = snapshot(root)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    process, _ = start(root, script)
    deadline = time.perf_counter() + 60
    while not lock(root).exists() and process.poll() is None and time.perf_counter() < deadline:
        pass
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert lock(root).exists(), "the kill came after git released its lock"
    assert subprocess.run(["git", "status"], cwd=root, capture_output=True).returncode != 0 or \
        subprocess.run(["git", "mv", "README.md", "x.md"], cwd=root,
                       capture_output=True).returncode != 0  # git is locked until recover
    done = promote(root, "--recover")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed .git/index.lock left by the killed `git mv" in done.stdout
    assert not lock(root).exists()
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""


def test_recover_refuses_while_the_recorded_git_still_runs(trl_repo, tmp_path):
    root = trl_repo
    journal = root / JOURNAL_DIR
    journal.mkdir()
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/bash\nexec -a git sleep 30\n")  # a git that hangs
    (fake / "git").chmod(0o755)
    holder = subprocess.Popen([str(fake / "git")], cwd=root)
    try:
        time.sleep(0.2)
        (journal / "git.json").write_text(json.dumps({"command": ["git", "mv", "a", "b"],
                                                      "pid": holder.pid}))
        lock(root).write_text("")
        done = promote(root, "--recover")
        assert done.returncode == 1
        assert f"(pid {holder.pid}) is still running" in done.stderr
        assert lock(root).exists()  # never removed under a live git
    finally:
        holder.kill()
        holder.wait()
    done = promote(root, "--recover")
    assert done.returncode == 0, done.stderr
    assert "removed .git/index.lock left by the killed `git mv a b`" in done.stdout
    assert not lock(root).exists()


def test_a_kill_while_the_journal_is_deleted_does_not_undo_a_finished_run(trl_repo, monkeypatch):
    """The journal is renamed before it is deleted: a run killed while deleting it has
    finished, and recover must not take the half-deleted folder for an unstarted run."""
    from fledge_promote import (
        apply_plan,
        find_feature,
        load_config,
        plan_promotion,
        recover,
    )
    from fledge_promote.applying import _apply

    repo = Repo(trl_repo)
    config, _ = load_config(trl_repo)
    plan = plan_promotion(repo, config, find_feature(repo, config, "foo"))

    def killed(path, ignore_errors=False):  # the process dies with the folder half deleted
        (Path(path) / "journal.json").unlink()
        raise SystemExit("killed")

    monkeypatch.setattr(_apply.shutil, "rmtree", killed)
    with pytest.raises(SystemExit):
        apply_plan(repo, plan)
    monkeypatch.undo()
    assert not (trl_repo / JOURNAL_DIR).exists()
    assert list(trl_repo.glob(f"{JOURNAL_DIR}.discarded-*"))
    assert recover(Repo(trl_repo)).outcome == "nothing"
    assert not list(trl_repo.glob(f"{JOURNAL_DIR}.discarded-*"))
    assert (trl_repo / "trl/trainer/foo/foo_trainer.py").exists()  # the promotion stands
