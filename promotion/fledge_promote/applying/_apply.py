"""Applying a plan all or nothing: a journal first, then the changes, then the journal goes.

Before touching anything, the original bytes of every path the plan touches (and git's
index) are copied into ``.fledge-promote-journal/`` inside the repository. If applying
fails, the journal puts everything back. If the process dies, the journal stays, every
later run refuses to start, and ``promote --recover`` undoes the interrupted run (or, when
every change had been made, just finishes it).
"""

from __future__ import annotations

import codecs
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._errors import ApplyError, JournalError, RefusedError
from ..planning._plan import Plan
from ..repository._repo import JOURNAL_DIR, Repo, declared_encoding
from ._gitlock import release_stale_lock, run_recorded_git
from ._journal import (
    Entry,
    Journal,
    check_folder,
    inside_problem,
    read_journal,
    sha256_of,
    tree_mismatches,
)

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
        restored: how many paths the run had changed and got their original bytes back.
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
    """Whether an interrupted run left its journal folder (with or without journal.json)."""
    return os.path.lexists(repo.root / JOURNAL_DIR)


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
    """Delete what a kill left of journals already discarded (real folders only: a symbolic
    link of that name is not promote's and is left alone)."""
    for leftover in repo.root.glob(f"{JOURNAL_DIR}.discarded-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def encode_writes(repo: Repo, plan: Plan) -> dict[str, bytes]:
    """The bytes of every file the plan writes: in the encoding its Python source declares
    (PEP 263) or UTF-8, with the UTF-8 BOM its original file (or the file it moves from)
    started with.

    Raises:
        RefusedError: a text cannot be encoded in its file's encoding (nothing was written).
    """
    moved_from = {new: old for old, new in plan.moves}
    encoded, problems = {}, []
    for rel, text in plan.writes.items():
        encoding = declared_encoding(rel, text)
        try:
            data = text.encode(encoding)
        except (UnicodeEncodeError, LookupError) as exc:
            problems.append(f"{rel}: cannot be written in its declared encoding {encoding} "
                            f"({exc})")
            continue
        original = repo.root / moved_from.get(rel, rel)
        if encoding == "utf-8" and not data.startswith(codecs.BOM_UTF8) and \
                original.is_file() and original.read_bytes()[:3] == codecs.BOM_UTF8:
            data = codecs.BOM_UTF8 + data
        encoded[rel] = data
    if problems:
        raise RefusedError("; ".join(problems))
    return encoded


def _begin(repo: Repo, plan: Plan) -> Journal:
    for rel in plan.touched():
        repo.safe_path(rel)  # refuses anything outside the repository before any write
        problem = inside_problem(repo, rel)
        if problem:
            raise RefusedError(f"refusing to write {rel!r}: it {problem}")
    journal_dir = repo.root / JOURNAL_DIR
    journal_dir.mkdir(exist_ok=False)
    (journal_dir / ".gitignore").write_text("# promote's journal: never committed\n*\n",
                                            encoding="utf-8")
    backups = journal_dir / "files"
    backups.mkdir()
    entries = []
    for number, rel in enumerate(plan.touched()):
        path = repo.root / rel
        if path.is_file():
            backup = backups / str(number)
            shutil.copy2(path, backup)
            entries.append(Entry(rel, backup.name, path.stat().st_mode & 0o7777,
                                 sha256_of(backup)))
        else:
            entries.append(Entry(rel, None, None, None))
    index = repo.git_path("index")
    has_index = index is not None and index.exists()
    if has_index:
        shutil.copy2(index, journal_dir / "index")
    journal = Journal(plan.action, plan.feature, entries, _new_dirs(repo, plan.touched()),
                      has_index)
    journal.write(repo)
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
    encoded = encode_writes(repo, plan)
    _sweep_discarded(repo)
    journal = _begin(repo, plan)
    crash_text = os.environ.get(CRASH_VARIABLE, "").strip()
    crash_after = int(crash_text) if crash_text.isdigit() else 0
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
        for rel in plan.writes:
            path = repo.safe_path(rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encoded[rel])
            step()
        for rel in plan.deletes:
            if rel in tracked:
                run_recorded_git(repo, "rm", "-q", "--", rel)
            elif (repo.root / rel).exists():
                (repo.root / rel).unlink()
            step()
        journal.after = {e.path: sha256_of(repo.root / e.path) for e in journal.entries}
        journal.state = "committed"
        journal.write(repo)
        step()
    except Exception as exc:  # noqa: BLE001 - anything at all: put the tree back
        failed = _undo(repo, journal)
        raise ApplyError(
            f"applying failed ({type(exc).__name__}: {exc}); "
            + ("the tree was restored to its state before the run" if failed is None
               else f"restoring failed too ({failed}): {JOURNAL_DIR}/ is kept, run "
                    "`promote --recover`"),
            restored=failed is None,
        ) from exc
    discard_journal(repo)


def _undo(repo: Repo, journal: Journal) -> str | None:
    """Put back every path whose bytes the run changed, and only those; remove the folders
    it made and restore git's index. Returns None when done, else what failed."""
    journal_dir = repo.root / JOURNAL_DIR
    try:
        for entry in reversed(journal.entries):
            _restore(repo.root / entry.path, entry, journal_dir / "files")
        for folder in journal.new_dirs:
            path = repo.root / folder
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path / "__pycache__", ignore_errors=True)
                if not any(path.iterdir()):
                    path.rmdir()
        if journal.git_index:
            index = repo.git_path("index")
            saved = journal_dir / "index"
            if index is not None and sha256_of(index) != sha256_of(saved):
                shutil.copy2(saved, index)
    except OSError as exc:
        return f"{exc.filename or ''}: {exc.strerror or exc}".strip(": ")
    discard_journal(repo)
    return None


def _restore(path: Path, entry: Entry, backups: Path) -> None:
    """Give ``path`` its original bytes and mode again, unless it already has them."""
    unchanged = sha256_of(path) == entry.sha256
    if unchanged and (entry.mode is None or path.stat().st_mode & 0o7777 == entry.mode):
        return
    if entry.backup is None:
        path.unlink()  # created by the run (a file or a link: never followed)
        return
    if path.is_symlink() or (path.exists() and not path.is_file()):
        path.unlink()
    if not unchanged:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backups / entry.backup, path)
    os.chmod(path, entry.mode)


def recover(repo: Repo) -> RecoveryResult:
    """Finish or undo an interrupted run, from its journal.

    The journal is checked whole first (:mod:`._journal`); a bad one changes nothing. A run
    that had made every change (state ``committed``) is finished: the journal is removed,
    once the tree is seen to hold exactly what the journal says the run wrote. Any other is
    undone: every path the run changed gets its original bytes back, created files and
    folders go, and git's index is restored. A git ``index.lock`` left by a git command the
    run had started, and that is no longer running, is removed.

    Raises:
        JournalError: the journal is corrupt, of another format, names a path outside the
            repository, came with a git commit, or says ``committed`` of a tree that does
            not match it; it is kept and nothing is changed.
        ApplyError: a git command of the interrupted run still runs, or a file could not
            be restored; the journal is kept for another try.
    """
    _sweep_discarded(repo)
    if not journal_exists(repo):
        return RecoveryResult("nothing")
    check_folder(repo)
    if not (repo.root / JOURNAL_DIR / "journal.json").exists():
        git_lock = release_stale_lock(repo)  # died while writing backups: nothing changed
        discard_journal(repo)
        return RecoveryResult("undone", git_lock=git_lock)
    journal = read_journal(repo)
    if journal.state == "committed":
        differ = tree_mismatches(repo, journal.after)
        if differ:
            raise JournalError(
                f"{JOURNAL_DIR}/journal.json says the {journal.action} run completed, but "
                f"{len(differ)} path(s) do not hold what it wrote ({', '.join(differ[:5])}"
                f"{' ...' if len(differ) > 5 else ''}). Nothing was changed and the journal "
                f"is kept: compare with `git status`, restore by hand from "
                f"{JOURNAL_DIR}/files/ (see `python -m json.tool {JOURNAL_DIR}/journal.json`)"
                f", then delete {JOURNAL_DIR}/")
    git_lock = release_stale_lock(repo)
    if journal.state == "committed":
        discard_journal(repo)
        return RecoveryResult("finished", journal.action, journal.feature, git_lock=git_lock)
    changed = len(tree_mismatches(repo, {e.path: e.sha256 for e in journal.entries}))
    failed = _undo(repo, journal)
    if failed is not None:
        raise ApplyError(f"could not restore every file ({failed}); {JOURNAL_DIR}/ is kept "
                         "for another try", restored=False)
    return RecoveryResult("undone", journal.action, journal.feature, changed, git_lock)
