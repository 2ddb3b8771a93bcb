"""The repository's git history, read once, and the paths a feature had over time.

``promote report`` reads ``git log`` a single time for the whole repository (every commit,
the files each one changed, renames detected) and answers every question of every feature
from that one pass: which commits touched it, which of them also touched other features or
much of the repository, when it landed, and which commits changed it together with its
stable parent module. Renames are followed backwards, so a file moved into the experimental
folder keeps the history it had before the move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .._errors import UsageError
from ..repository._repo import Repo

__all__ = ["Change", "Commit", "Lineage", "read_log"]

_RECORD, _FIELD = "\x1e", "\x1f"
_FORMAT = f"{_RECORD}%H{_FIELD}%at{_FIELD}%aN{_FIELD}%aE{_FIELD}%s"


@dataclass(frozen=True)
class Change:
    """One file a commit changed.

    Attributes:
        status: git's status letter (``A``, ``M``, ``D``, ``R``, ``C``, ``T``).
        path: the path after the commit (for a deletion, the deleted path).
        old: the path before, for renames and copies; else None.
        lines: lines added plus lines deleted (``git log --numstat``); 0 for a pure rename
            or a binary file.
    """

    status: str
    path: str
    old: str | None = None
    lines: int = 0

    def paths(self) -> tuple[str, ...]:
        return (self.path,) if self.old is None else (self.old, self.path)


@dataclass(frozen=True)
class Commit:
    """One commit of the log.

    Attributes:
        sha: the full hash.
        time: the author date, seconds since the epoch.
        author: the author's name (after ``.mailmap``).
        email: the author's e-mail address.
        subject: the first line of the message.
        changes: the files it changed (empty for merges).
    """

    sha: str
    time: int
    author: str
    email: str
    subject: str
    changes: tuple[Change, ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def date(self) -> str:
        return dt.datetime.fromtimestamp(self.time, dt.timezone.utc).strftime("%Y-%m-%d")

    def ref(self) -> dict[str, str]:
        """The commit as the report's JSON names it."""
        return {"commit": self.sha, "date": self.date, "author": self.author,
                "subject": self.subject}


def read_log(repo: Repo, progress: Callable[[str], None] = lambda line: None) -> list[Commit]:
    """Every commit of the checked-out branch, newest first (children before parents).

    One ``git log`` call: ``--raw`` (status letters, renames detected) with ``--numstat``
    (lines changed, which tell how much of a commit a feature is), ``--topo-order`` so that a
    commit always comes before its parents, which following renames backwards relies on.

    Raises:
        UsageError: the repository is not a git repository, or git failed.
    """
    if not repo.is_git:
        raise UsageError(f"{repo.root} is not the top of a git work tree; `promote report` "
                         "reads the git history (run it in the repository's root, or pass "
                         "--root)")
    progress("reading git log (once, for the whole repository) ...")
    out = repo.git("-c", "core.quotepath=off", "log", "-z", "--topo-order", "-M",
                   "--raw", "--numstat", "--no-color", f"--format={_FORMAT}", check=False)
    if out is None:
        head = repo.git("rev-parse", "--verify", "HEAD", check=False)
        if head is None:
            return []  # a repository without commits has no history yet
        raise UsageError(f"`git log` failed in {repo.root}; check that git works there")
    commits = [c for c in map(_parse, out.split(_RECORD)) if c is not None]
    progress(f"read {len(commits)} commits")
    return commits


def _parse(record: str) -> Commit | None:
    """One commit: its header, then ``--raw`` entries, then ``--numstat`` entries in the
    same order (``-z``: every path its own field)."""
    if not record.strip("\0\n"):
        return None
    header, _, body = record.partition("\0")
    sha, stamp, author, email, subject = header.split(_FIELD, 4)
    tokens = body.lstrip("\n").split("\0")
    raw: list[Change] = []
    counts: list[int] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        if not token:
            i += 1
        elif token.startswith(":"):  # ":100644 100644 abc def M" then the path(s)
            letter = token.rpartition(" ")[2][:1]
            if letter in "RC":
                raw.append(Change(letter, tokens[i + 2], tokens[i + 1]))
                i += 3
            else:
                raw.append(Change(letter, tokens[i + 1]))
                i += 2
        else:  # "added\tdeleted\tpath", or "added\tdeleted\t" then old and new paths
            added, deleted, path = (token.split("\t", 2) + ["", ""])[:3]
            counts.append((int(added) if added.isdigit() else 0)
                          + (int(deleted) if deleted.isdigit() else 0))
            i += 1 if path else 3
    changes = tuple(Change(c.status, c.path, c.old, counts[k] if k < len(counts) else 0)
                    for k, c in enumerate(raw))
    return Commit(sha, int(stamp), author, email, subject, changes)


@dataclass
class Lineage:
    """The paths one thing (a feature, a module) had over time, followed backwards.

    It starts from today's paths: folder prefixes (``trl/experimental/foo/``) and exact
    files. Walking the log from the newest commit, a rename whose new path belongs to the
    lineage adds its old path, so older commits of the file before the move count too.

    Attributes:
        prefixes: folders (ending in ``/``) whose every file belongs.
        exact: single files that belong.
        renamed_from: old paths learned from renames, with the commit of the rename.
    """

    prefixes: tuple[str, ...] = ()
    exact: set[str] = field(default_factory=set)
    renamed_from: list[tuple[str, str, Commit]] = field(default_factory=list)

    @classmethod
    def of(cls, paths: Iterable[str], folders: Iterable[str] = ()) -> Lineage:
        """A lineage of the files ``paths`` and every file under ``folders``."""
        return cls(tuple(f.rstrip("/") + "/" for f in folders if f), set(paths))

    def owns(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)

    def touched_by(self, commit: Commit) -> bool:
        """Whether ``commit`` changed one of the lineage's paths; learns its renames.

        Call it for every commit, newest first.
        """
        hit = False
        for change in commit.changes:
            if self.owns(change.path):
                hit = True
                if change.old is not None and not self.owns(change.old):
                    self.exact.add(change.old)
                    self.renamed_from.append((change.old, change.path, commit))
            elif change.old is not None and self.owns(change.old):
                hit = True  # moved out of the lineage by this commit
        return hit
