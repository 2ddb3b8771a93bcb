"""``prune``: the shims whose removal version has come go, in one diff.

promote and demote leave a shim at every old import path, marked with a comment that says
when it goes (``# fledge-promote: shim (promoted in 0.1.0; remove in 0.3.0)``). ``prune
--version V`` (default: the version being developed) deletes every shim due at or before
V, points the imports and references that still use an old path at the new one, and lists
the mentions a person must read. Deprecated features (``promote deprecate``) carry real
code, not a shim: the ones that are due are named in the summary for a person to remove.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from .._errors import UsageError
from ..repository._config import PromoteConfig
from ..repository._features import SHIM_MARKER
from ..repository._repo import Repo
from ._paths import DottedMap, PathMap
from ._plan import Plan
from ._promotion import _changelog, _verify, collect_mentions
from ._rewrite import rewrite_repository

__all__ = ["Shim", "find_shims", "plan_prune"]

_MARKER = re.compile(rf"#\s*{re.escape(SHIM_MARKER)}\s*\((\w+) in ([^;)]+); remove in ([^)]+)\)")
_MOVED = re.compile(r"Moved: ``([\w.]+)``(?: is now ``([\w.]+)``|\.\s+It is now ``([\w.]+)``)")
_DEPRECATED = re.compile(r"_warnings\.warn\(\s*['\"](.+?) will be removed in ([^.\s'\"]+(?:\.\d+)*)"
                         r".*#\s*fledge-promote: deprecated")


@dataclass(frozen=True)
class Shim:
    """A module promote or demote left at an old import path.

    Attributes:
        path: the shim's file, relative to the repository.
        old: the dotted path it keeps importable.
        new: where its names live now.
        action: ``promoted`` or ``demoted``.
        since: the version that left it.
        removal: the version that removes it.
    """

    path: str
    old: str
    new: str
    action: str
    since: str
    removal: str


def find_shims(repo: Repo) -> list[Shim]:
    """Every shim in the repository, by path."""
    found = []
    for path in repo.files((".py",)):
        text = repo.read(path) or ""
        if SHIM_MARKER not in text:
            continue
        marker, moved = _MARKER.search(text), _MOVED.search(text)
        if marker is None or moved is None:
            continue
        found.append(Shim(path, moved.group(1), moved.group(2) or moved.group(3),
                          marker.group(1), marker.group(2).strip(), marker.group(3).strip()))
    return found


def _version(text: str, what: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise UsageError(f"{what} {text!r} is not a PEP 440 version, e.g. 0.5.0") from None


def plan_prune(repo: Repo, config: PromoteConfig, version: str | None = None,
               progress: Callable[[str], None] = lambda line: None) -> Plan:
    """Plan removing every shim due at or before ``version`` (default: ``config.version``).

    Raises:
        UsageError: ``version`` is not a PEP 440 version.
    """
    until = version or config.version
    limit = _version(until, "--version")
    plan = Plan("prune", f"shims due by {until}")
    shims = find_shims(repo)
    due, later = [], set()
    for shim in shims:
        try:
            removal = Version(shim.removal)
        except InvalidVersion:
            plan.notes.append(f"{shim.path}: its removal version {shim.removal!r} is not a "
                              "PEP 440 version; fix the marker comment or delete it by hand")
            continue
        if removal <= limit:
            due.append(shim)
        else:
            later.add(shim.removal)
    plan.facts = {"due by": until, "shims found": len(shims), "removed": len(due),
                  "kept (due later)": ", ".join(sorted(later, key=Version)) or "-"}
    _due_deprecations(repo, plan, limit)
    if not due:
        plan.notes.append(f"no shim is due at or before {until}; nothing to remove")
        return plan
    progress(f"removing {len(due)} shims due by {until}")
    for shim in due:
        plan.originals[shim.path] = repo.read(shim.path)
        plan.deletes.append(shim.path)
    plan.facts["shims"] = [f"{s.old} -> {s.new} ({s.action} in {s.since}, {s.path})"
                           for s in due]
    mapping = DottedMap((s.old, s.new) for s in due)
    rewrite_repository(repo, plan, mapping, PathMap([]), needle=sorted({s.old for s in due}),
                       skip=plan.deletes, progress=progress)
    _changelog(repo, config, plan, "- Removed the old import paths due in " + until + ": "
               + ", ".join(f"`{s.old}` (use `{s.new}`)" for s in _by_old(due)) + ".")
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, [s.old for s in due]
                                     + [posixpath.dirname(s.path) for s in due
                                        if s.path.endswith("/__init__.py")])
    if plan.mentions:
        plan.notes.append("the mentions below still name a removed path (prose, comments, "
                          "strings): edit them by hand")
    return plan


def _by_old(shims: list[Shim]) -> list[Shim]:
    """One shim per old path prefix: a package's shim stands for its modules' shims."""
    olds = {s.old for s in shims}
    return sorted((s for s in shims if not any(s.old.startswith(o + ".") for o in olds)),
                  key=lambda s: s.old)


def _due_deprecations(repo: Repo, plan: Plan, limit: Version) -> None:
    """Name each deprecated module whose removal version has come: real code, for a person."""
    for path in repo.files((".py",)):
        text = repo.read(path) or ""
        if "fledge-promote: deprecated" not in text:
            continue
        match = _DEPRECATED.search(text)
        if match is None:
            continue
        try:
            due = Version(match.group(2).rstrip(".")) <= limit
        except InvalidVersion:
            continue
        if due:
            plan.notes.append(f"{path}: {match.group(1)} was deprecated for removal in "
                              f"{match.group(2)}; it is real code, not a shim: remove it "
                              "by hand (or `promote retire` once it is experimental)")
