"""The records of what prune recognises, and the removal version read from a text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ModuleReading", "Recognised", "Unsure", "removal_in"]

RE_EXPORT, SUBCLASS, FUNCTION, ALIAS = ("re-export module", "warning subclass",
                                        "warning function", "deprecated alias")
# where a removal version was read
MARKER, WARNING, DECORATOR, DOCSTRING = ("marker comment", "warning text",
                                         "@deprecated message", "module docstring")
_VERSION = r"v?(\d+(?:\.\d+)+(?:\.?(?:dev|rc|a|b)\d+)?)"
_REMOVAL = re.compile(
    r"\b(?:remov\w*|no longer (?:be )?(?:supported|available|importable)|go(?:es)? away|"
    r"deleted|dropped)\b[^.;]*?\b(?:in|by|from|with|after)\s+"
    r"(?:(?:the\s+)?(?:version|release|v)\s*|[A-Z][\w-]*\s+(?:version\s+)?)?" + _VERSION,
    re.IGNORECASE)


def removal_in(text: str) -> str | None:
    """The version a deprecation text says its subject is removed in, or None.

    ``"... will be removed and no longer supported in TRL 0.29. For ..."`` -> ``0.29``.
    """
    match = _REMOVAL.search(" ".join(text.split()))
    return match.group(1) if match else None


@dataclass(frozen=True)
class Recognised:
    """One shim: a definition (or a whole re-export module) that keeps an old path alive.

    Attributes:
        path: its file, relative to the repository.
        line: the line it starts on.
        old: the dotted path it keeps importable (``trl.trainer.cpo_trainer.CPOTrainer``).
        new: where the real thing lives (``trl.experimental.cpo.CPOTrainer``); for a module,
            the one module its names come from, or None when they come from several.
        rule: the shape that recognised it (``warning subclass``, ...).
        removal: the version that removes it, or None when no text says.
        source: where the version came from (``warning text``, ``marker comment``, ...).
        name: the definition's name; None for a whole re-export module.
        names: for a re-export module, ``(old, new)`` of every name it re-exports.
    """

    path: str
    line: int
    old: str
    new: str | None
    rule: str
    removal: str | None
    source: str
    name: str | None = None
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unsure:
    """Something that warns of its removal but is not only a shim: for a person to read."""

    path: str
    line: int
    what: str
    reason: str
    removal: str | None
    source: str


@dataclass
class ModuleReading:
    """What one module holds: its shims, whether it is nothing but shims, what is unsure."""

    path: str
    module: str
    shims: list[Recognised] = field(default_factory=list)
    whole: bool = False
    unsure: list[Unsure] = field(default_factory=list)
