"""The journal of ``--apply``, and the rule that it is data from an untrusted source.

``.fledge-promote-journal/`` holds ``journal.json``, the original bytes of every path the
run touches (``files/<n>``), a copy of git's index and a ``.gitignore`` that keeps the
folder out of git. ``--recover`` reads a journal that anyone could have put there (a
folder committed in a pull request, a truncated write, a hand edit), so before anything is
done it is checked whole: its schema, every path it names (inside the repository, not in
``.git`` nor in the journal; backups inside the journal folder; no symbolic link anywhere
in the folder), and each backup's SHA-256 against the one recorded when it was taken. A
journal that fails any of that is a :class:`JournalError`, and nothing is changed.

Each entry records the SHA-256 of its path before the run (null: the path did not exist);
a committed journal also records the SHA-256 of every touched path after the run. Undoing
restores only paths whose bytes differ from the recorded original, and a journal that says
``committed`` is believed only when the tree holds exactly what it records.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .._errors import JournalError
from ..repository._repo import JOURNAL_DIR, Repo, write_json_atomic

__all__ = ["FORMAT", "Entry", "Journal", "read_journal", "check_folder", "sha256_of",
           "tree_mismatches"]

#: The journal's schema version; another version is refused, never guessed at.
FORMAT = 2
JOURNAL_FILE = "journal.json"
_HEX = re.compile(r"^[0-9a-f]{64}$")
_BACKUP = re.compile(r"^[0-9]{1,9}$")
_ACTION = re.compile(r"^[a-z][a-z-]{0,31}$")
_KEYS = {"format", "state", "action", "feature", "entries", "new_dirs", "git_index", "after"}
_ENTRY_KEYS = {"path", "backup", "mode", "sha256"}


@dataclass(frozen=True)
class Entry:
    """One path the run touches.

    Attributes:
        path: relative to the repository root.
        backup: the name of its original bytes under ``files/``; None when it did not exist.
        mode: its permission bits before the run (None when it did not exist).
        sha256: the SHA-256 of its bytes before the run (None when it did not exist).
    """

    path: str
    backup: str | None
    mode: int | None
    sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "backup": self.backup, "mode": self.mode,
                "sha256": self.sha256}


@dataclass
class Journal:
    """What ``journal.json`` holds (see the module docstring)."""

    action: str
    feature: str
    entries: list[Entry]
    new_dirs: list[str]
    git_index: bool
    state: str = "applying"
    after: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {"format": FORMAT, "state": self.state, "action": self.action,
                "feature": self.feature, "entries": [e.to_dict() for e in self.entries],
                "new_dirs": self.new_dirs, "git_index": self.git_index}
        if self.state == "committed":
            data["after"] = self.after
        return data

    def write(self, repo: Repo) -> None:
        write_json_atomic(repo.root / JOURNAL_DIR / JOURNAL_FILE, self.to_dict())


def sha256_of(path: Path) -> str | None:
    """The SHA-256 of the file at ``path`` (not following a final symbolic link: a link is
    hashed as its target's name), or None when nothing is there."""
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(info.st_mode):
        return hashlib.sha256(b"link:" + os.fsencode(os.readlink(path))).hexdigest()
    if not stat.S_ISREG(info.st_mode):
        return "not-a-file"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_mismatches(repo: Repo, expected: dict[str, str | None]) -> list[str]:
    """The paths whose bytes are not those ``expected`` records (None: absent)."""
    return [rel for rel, digest in expected.items() if sha256_of(repo.root / rel) != digest]


def _fail(problem: str) -> JournalError:
    return JournalError(
        f"{JOURNAL_DIR}/{JOURNAL_FILE}: {problem}. Nothing was changed and the journal is "
        f"kept: inspect it (`python -m json.tool {JOURNAL_DIR}/{JOURNAL_FILE}`; the original "
        f"bytes it lists are under {JOURNAL_DIR}/files/), put back by hand what needs it, "
        f"then delete {JOURNAL_DIR}/")


def check_folder(repo: Repo) -> None:
    """Refuse a journal folder that a run of promote cannot have left.

    Raises:
        JournalError: the folder is a symbolic link or not a folder, holds a symbolic link,
            or is tracked by git (a real journal ignores itself, so it came with a commit).
    """
    folder = repo.root / JOURNAL_DIR
    if folder.is_symlink() or not folder.is_dir():
        kind = "a symbolic link" if folder.is_symlink() else "not a folder"
        raise _fail(f"{JOURNAL_DIR} is {kind}; a run of promote makes a plain folder")
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            if os.path.islink(os.path.join(dirpath, name)):
                rel = os.path.relpath(os.path.join(dirpath, name), repo.root)
                raise _fail(f"{rel} is a symbolic link; a run of promote never makes one")
    if repo.is_git and (repo.git("ls-files", "--", JOURNAL_DIR, check=False) or "").strip():
        raise _fail(f"{JOURNAL_DIR}/ is tracked by git, so it came with a commit, not from an "
                    f"interrupted run here (a real journal ignores itself); see `git log -- "
                    f"{JOURNAL_DIR}` and remove it with `git rm -r {JOURNAL_DIR}`")


def read_journal(repo: Repo) -> Journal:
    """Read and check ``journal.json`` whole (see the module docstring).

    Raises:
        JournalError: anything about it is wrong, with the entry at fault.
    """
    path = repo.root / JOURNAL_DIR / JOURNAL_FILE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(f"could not be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _fail(f"is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"is not complete JSON ({exc.msg} at line {exc.lineno} column "
                    f"{exc.colno}); a run killed while writing it leaves the previous "
                    "version, so it was changed by something else") from None
    except (ValueError, RecursionError) as exc:
        raise _fail(f"is not JSON promote can read ({type(exc).__name__})") from None
    journal = _parse(data)
    _check_paths(repo, journal)
    return journal


def _parse(data: Any) -> Journal:
    if not isinstance(data, dict):
        raise _fail(f"must be a JSON object; got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise _fail(f"has format {data.get('format')!r}, not {FORMAT}: it was written by "
                    "another version of promote (or by hand); recover with the version that "
                    "wrote it")
    extra, missing = set(data) - _KEYS, _KEYS - {"after"} - set(data)
    if extra or missing:
        raise _fail("has " + ("; ".join(filter(None, [
            f"unknown keys {sorted(extra)}" if extra else "",
            f"no {', '.join(sorted(missing))}" if missing else ""]))))
    state = data["state"]
    if state not in ("applying", "committed"):
        raise _fail(f"key 'state' must be 'applying' or 'committed'; got {state!r}")
    for key in ("action", "feature"):
        if not isinstance(data[key], str) or not data[key] or len(data[key]) > 200:
            raise _fail(f"key {key!r} must be a non-empty string; got {data[key]!r}")
    if not _ACTION.match(data["action"]):
        raise _fail(f"key 'action' must be a verb such as 'promote'; got {data['action']!r}")
    if not isinstance(data["git_index"], bool):
        raise _fail(f"key 'git_index' must be true or false; got {data['git_index']!r}")
    entries = data["entries"]
    if not isinstance(entries, list):
        raise _fail(f"key 'entries' must be a list; got {type(entries).__name__}")
    new_dirs = data["new_dirs"]
    if not isinstance(new_dirs, list) or not all(isinstance(d, str) for d in new_dirs):
        raise _fail(f"key 'new_dirs' must be a list of strings; got {new_dirs!r}")
    journal = Journal(data["action"], data["feature"],
                      [_entry(number, item) for number, item in enumerate(entries)],
                      list(new_dirs), data["git_index"], state)
    paths = [e.path for e in journal.entries]
    if len(set(paths)) != len(paths):
        raise _fail("names a path in two entries")
    if state == "committed":
        journal.after = _after(data.get("after"), set(paths))
    elif "after" in data:
        raise _fail("key 'after' belongs to a committed journal only")
    return journal


def _entry(number: int, item: Any) -> Entry:
    where = f"entry {number}"
    if not isinstance(item, dict) or set(item) != _ENTRY_KEYS:
        raise _fail(f"{where} must be an object with exactly {', '.join(sorted(_ENTRY_KEYS))}; "
                    f"got {item!r}"[:300])
    path, backup, mode, digest = item["path"], item["backup"], item["mode"], item["sha256"]
    if not isinstance(path, str):
        raise _fail(f"{where}: 'path' must be a string; got {path!r}")
    where = f"entry {number} ({path!r})"
    if (backup is None) != (mode is None) or (backup is None) != (digest is None):
        raise _fail(f"{where}: 'backup', 'mode' and 'sha256' must be all null (a new path) or "
                    "all set (an existing file)")
    if backup is not None:
        if not isinstance(backup, str) or not _BACKUP.match(backup):
            raise _fail(f"{where}: 'backup' must be the number of a file under files/; got "
                        f"{backup!r}")
        if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
            raise _fail(f"{where}: 'mode' must be permission bits (0 to 4095); got {mode!r}")
        if not isinstance(digest, str) or not _HEX.match(digest):
            raise _fail(f"{where}: 'sha256' must be 64 hexadecimal digits; got {digest!r}")
    return Entry(path, backup, mode, digest)


def _after(after: Any, paths: set[str]) -> dict[str, str | None]:
    if not isinstance(after, dict) or set(after) != paths:
        raise _fail("a committed journal must record in 'after' the SHA-256 of exactly the "
                    "paths of its entries")
    for rel, digest in after.items():
        if digest is not None and not (isinstance(digest, str) and _HEX.match(digest)):
            raise _fail(f"'after' of {rel!r} must be 64 hexadecimal digits or null; got "
                        f"{digest!r}")
    return dict(after)


def inside_problem(repo: Repo, rel: str) -> str | None:
    """Why ``rel`` is not a path inside the repository that a run may touch, or None."""
    if not rel or "\0" in rel or "\\" in rel:
        return "is not a relative path"
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or rel != pure.as_posix():
        return "is not a plain relative path inside the repository (absolute, '..' or '.')"
    resolved = (repo.root / rel).resolve()
    if resolved == repo.root or repo.root not in resolved.parents:
        return f"resolves to {resolved}, outside the repository"
    first = resolved.relative_to(repo.root).parts[0]
    if first in (".git", JOURNAL_DIR) or first.startswith(f"{JOURNAL_DIR}."):
        return f"lies inside {first}"
    return None


def _check_paths(repo: Repo, journal: Journal) -> None:
    files = repo.root / JOURNAL_DIR / "files"
    for number, entry in enumerate(journal.entries):
        problem = inside_problem(repo, entry.path)
        if problem:
            raise _fail(f"entry {number} ({entry.path!r}): the path {problem}; refusing it")
        if entry.backup is None:
            continue
        backup = files / entry.backup
        if not backup.is_file() or backup.is_symlink():
            raise _fail(f"entry {number} ({entry.path!r}): its backup files/{entry.backup} "
                        "is missing")
        if sha256_of(backup) != entry.sha256:
            raise _fail(f"entry {number} ({entry.path!r}): its backup files/{entry.backup} "
                        "does not match the SHA-256 recorded when it was taken")
    for folder in journal.new_dirs:
        problem = inside_problem(repo, folder)
        if problem:
            raise _fail(f"new_dirs entry {folder!r}: the path {problem}; refusing it")
    index = repo.root / JOURNAL_DIR / "index"
    if journal.git_index and (not index.is_file() or index.is_symlink()):
        raise _fail("'git_index' is true but the copy of git's index is missing")
