"""Applying a plan all or nothing: a journal first, then the changes, then the journal goes.

Before touching anything, the original bytes of every path the plan touches (and git's
index) are copied into ``.fledge-promote-journal/`` inside the repository. If applying
fails, the journal puts everything back. If the process dies, the journal stays, every
later run refuses to start, and ``promote --recover`` undoes the interrupted run (or, when
every change had been made, just finishes it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._errors import ApplyError, RefusedError
from ..planning._plan import Plan
from ..repository._repo import JOURNAL_DIR, Repo, write_json_atomic
from ._gitlock import release_stale_lock, run_recorded_git

__all__ = ["apply_plan", "recover", "journal_exists", "CRASH_VARIABLE"]

#: Test-only hook: ``FLEDGE_PROMOTE_CRASH_AFTER=N`` kills the process (SIGKILL) after the
#: N-th change, so that the tests can prove a killed run is recoverable.
CRASH_VARIABLE = "FLEDGE_PROMOTE_CRASH_AFTER"


@dataclass(frozen=True)
class RecoveryResult:
    """What ``promote --recover`` did: ``nothing``, ``undone`` or ``finished``.

    Attributes:
        outcome: ``nothing``, ``undone`` or ``finished``.
        action: the interrupted run's action (``promote``, ``retire``, ...).
        feature: its feature.
        restored: how many paths got their original bytes back.
        git_lock: what was done about a git ``index.lock`` the killed run left, or None.
    """

    outcome: str
    action: str | None = None
    feature: str | None = None
    restored: int = 0
    git_lock: str | None = None

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "action": self.action, "feature": self.feature,
                "restored": self.restored, "git_lock": self.git_lock}


def journal_exists(repo: Repo) -> bool:
    return (repo.root / JOURNAL_DIR / "journal.json").exists()


def _new_dirs(repo: Repo, paths: list[str]) -> list[str]:
    """Folders that applying will create (deepest first), so undoing can remove them."""
    found = set()
    for rel in paths:
        parent = Path(rel).parent
        while parent != Path(".") and not (repo.root / parent).exists():
            found.add(parent.as_posix())
            parent = parent.parent
    return sorted(found, key=lambda p: -p.count("/"))


def discard_journal(repo: Repo) -> None:
    """Remove the journal in one atomic step: renamed first, then deleted.

    A kill while deleting must not leave a journal folder without ``journal.json``, which
    ``--recover`` reads as "killed while writing the backups, nothing changed".
    """
    journal_dir = repo.root / JOURNAL_DIR
    if not journal_dir.exists():
        return
    discarded = repo.root / f"{JOURNAL_DIR}.discarded-{os.getpid()}"
    os.replace(journal_dir, discarded)
    shutil.rmtree(discarded, ignore_errors=True)


def _sweep_discarded(repo: Repo) -> None:
    """Delete what a kill left of journals already discarded."""
    for leftover in repo.root.glob(f"{JOURNAL_DIR}.discarded-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _begin(repo: Repo, plan: Plan) -> dict:
    for rel in plan.touched():
        repo.safe_path(rel)  # refuses anything outside the repository before any write
    journal_dir = repo.root / JOURNAL_DIR
    backups = journal_dir / "files"
    backups.mkdir(parents=True, exist_ok=False)
    entries = []
    for number, rel in enumerate(plan.touched()):
        path = repo.root / rel
        entry = {"path": rel, "backup": None, "mode": None}
        if path.is_file():
            backup = backups / str(number)
            shutil.copy2(path, backup)
            entry.update(backup=backup.name, mode=path.stat().st_mode & 0o7777)
        entries.append(entry)
    index = repo.git_path("index")
    if index is not None and index.exists():
        shutil.copy2(index, journal_dir / "index")
    journal = {"state": "applying", "action": plan.action, "feature": plan.feature,
               "entries": entries, "new_dirs": _new_dirs(repo, plan.touched()),
               "git_index": index is not None and index.exists()}
    write_json_atomic(journal_dir / "journal.json", journal)
    return journal


def apply_plan(repo: Repo, plan: Plan, progress: Callable[[str], None] = lambda s: None) -> None:
    """Carry out ``plan``, all or nothing.

    Raises:
        RefusedError: a journal from an interrupted run exists, or the plan has failures.
        ApplyError: something failed midway; the tree was restored.
    """
    if journal_exists(repo):
        raise RefusedError(f"an interrupted run left {JOURNAL_DIR}/; run `promote --recover` "
                           "first")
    if plan.failures:
        raise RefusedError("the plan has files that could not be rewritten: "
                           + "; ".join(plan.failures))
    _sweep_discarded(repo)
    journal = _begin(repo, plan)
    crash_after = int(os.environ.get(CRASH_VARIABLE, "0") or 0)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if crash_after and done >= crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    try:
        tracked = set((repo.git("ls-files", "-z", check=False) or "").split("\0")) \
            if repo.is_git else set()
        progress(f"moving {len(plan.moves)} files")
        for old, new in plan.moves:
            (repo.root / new).parent.mkdir(parents=True, exist_ok=True)
            if old in tracked:
                run_recorded_git(repo, "mv", old, new)
            else:
                os.replace(repo.root / old, repo.root / new)
            step()
        progress(f"writing {len(plan.writes)} files")
        for rel, text in plan.writes.items():
            path = repo.safe_path(rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            step()
        for rel in plan.deletes:
            if rel in tracked:
                run_recorded_git(repo, "rm", "-q", "--", rel)
            elif (repo.root / rel).exists():
                (repo.root / rel).unlink()
            step()
        journal["state"] = "committed"
        write_json_atomic(repo.root / JOURNAL_DIR / "journal.json", journal)
        step()
    except Exception as exc:  # noqa: BLE001 - anything at all: put the tree back
        restored = _undo(repo, journal)
        raise ApplyError(
            f"applying failed ({type(exc).__name__}: {exc}); "
            + ("the tree was restored to its state before the run" if restored
               else f"restoring failed too: {JOURNAL_DIR}/ is kept, run `promote --recover`"),
            restored=restored,
        ) from exc
    discard_journal(repo)


def _undo(repo: Repo, journal: dict) -> bool:
    journal_dir = repo.root / JOURNAL_DIR
    try:
        for entry in reversed(journal["entries"]):
            path = repo.root / entry["path"]
            if entry["backup"] is None:
                if path.is_file() or path.is_symlink():
                    path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(journal_dir / "files" / entry["backup"], path)
                os.chmod(path, entry["mode"])
        for folder in journal["new_dirs"]:
            path = repo.root / folder
            if path.is_dir():
                shutil.rmtree(path / "__pycache__", ignore_errors=True)
                if not any(path.iterdir()):
                    path.rmdir()
        if journal.get("git_index"):
            index = repo.git_path("index")
            if index is not None:
                shutil.copy2(journal_dir / "index", index)
    except OSError:
        return False
    discard_journal(repo)
    return True


def recover(repo: Repo) -> RecoveryResult:
    """Finish or undo an interrupted run, from its journal.

    A run that had made every change (state ``committed``) is finished: the journal is
    removed. Any other is undone: every touched path gets its original bytes back, created
    files and folders go, and git's index is restored. First, a git ``index.lock`` left by
    a git command the run had started, and that is no longer running, is removed.

    Raises:
        ApplyError: a git command of the interrupted run still runs, or a file could not
            be restored; the journal is kept for another try.
    """
    path = repo.root / JOURNAL_DIR / "journal.json"
    _sweep_discarded(repo)
    git_lock = release_stale_lock(repo) if (repo.root / JOURNAL_DIR).exists() else None
    if not path.exists():
        if (repo.root / JOURNAL_DIR).exists():  # died while writing backups: nothing changed
            discard_journal(repo)
            return RecoveryResult("undone", git_lock=git_lock)
        return RecoveryResult("nothing")
    journal = json.loads(path.read_text(encoding="utf-8"))
    if journal["state"] == "committed":
        discard_journal(repo)
        return RecoveryResult("finished", journal["action"], journal["feature"],
                              git_lock=git_lock)
    if not _undo(repo, journal):
        raise ApplyError(f"could not restore every file; {JOURNAL_DIR}/ is kept for another "
                         "try", restored=False)
    return RecoveryResult("undone", journal["action"], journal["feature"],
                          len(journal["entries"]), git_lock)
