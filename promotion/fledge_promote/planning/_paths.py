"""Old-to-new maps of dotted module paths and of file paths, shared by every rewrite."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

__all__ = ["DottedMap", "PathMap", "resolve_relative", "relative_from"]


class DottedMap:
    """Maps dotted names under old prefixes to the same names under new prefixes.

    Args:
        rules: ``(old, new)`` pairs; ``old.rest`` maps to ``new.rest``. The longest matching
            prefix wins.
    """

    def __init__(self, rules: Iterable[tuple[str, str]]) -> None:
        self.rules = sorted(dict(rules).items(), key=lambda kv: -len(kv[0]))
        alternatives = "|".join(re.escape(old) for old, _ in self.rules) or r"(?!x)x"
        # A dotted path in text: not preceded by an identifier character or a dot, and not
        # followed by an identifier character (a following ".Name" is the rest of the path).
        self.pattern = re.compile(rf"(?<![\w.])({alternatives})(?!\w)(\.(?=[A-Za-z_]))?")

    def __bool__(self) -> bool:
        return bool(self.rules)

    def map(self, dotted: str) -> str | None:
        """The new name of ``dotted``, or None when no rule covers it.

        A rule whose new prefix is empty drops the old prefix (``experimental.x.Name`` to
        ``Name``); the old prefix alone then has no new name.
        """
        for old, new in self.rules:
            if dotted == old:
                return new or None
            if dotted.startswith(old + "."):
                return new + dotted[len(old):] if new else dotted[len(old) + 1:]
        return None

    def sub(self, text: str) -> tuple[str, int]:
        """Replace every dotted old path in ``text``; return the text and the count."""
        lookup = dict(self.rules)
        count = 0

        def replace(match: re.Match) -> str:
            nonlocal count
            new = lookup[match.group(1)]
            if not new:
                if not match.group(2):
                    return match.group(0)
                count += 1
                return ""
            count += 1
            return new + (match.group(2) or "")

        return self.pattern.sub(replace, text), count

    def mentions(self, text: str) -> bool:
        """Whether ``text`` may name one of the old paths (a cheap pre-filter): it holds an
        old path's last part, which ``from package import Name`` also spells out."""
        return any(old.rpartition(".")[2] in text for old, _ in self.rules)


class PathMap:
    """Maps repository-relative file paths under moved files or folders to their new place."""

    def __init__(self, moves: Iterable[tuple[str, str]]) -> None:
        self.moves = sorted(dict(moves).items(), key=lambda kv: -len(kv[0]))

    def map(self, path: str) -> str | None:
        """The new path of ``path``, or None when it did not move."""
        path = posixpath.normpath(path)
        for old, new in self.moves:
            if path == old:
                return new
            if path.startswith(old + "/"):
                return new + path[len(old):]
        return None

    def sub(self, text: str) -> tuple[str, int]:
        """Replace old paths that follow ``/blob/<ref>/`` or ``/tree/<ref>/`` in URLs."""
        count = 0
        for old, new in self.moves:
            pattern = re.compile(rf"(/(?:blob|tree)/[^/\s)]+/){re.escape(old)}(?=[/#)\s\"'>]|$)")
            text, n = pattern.subn(lambda m, new=new: m.group(1) + new, text)
            count += n
        return text, count


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """The absolute module that ``from <level dots><target> import`` names inside ``module``.

    Returns None when the import climbs above the top-level package.
    """
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts) - 1 and level > 1:
        return None
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    if not base:
        return None
    return ".".join(base + ([target] if target else []))


def relative_from(module: str, is_package: bool, target: str) -> tuple[int, str] | None:
    """How ``module`` names ``target`` relatively: ``(level, rest)``; None across top packages."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    there = target.split(".")
    if not here or here[0] != there[0]:
        return None
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    level = len(here) - common + 1
    return level, ".".join(there[common:])
