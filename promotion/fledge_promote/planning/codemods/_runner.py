"""Runs codemod commands over one file's source and reports the outcome; never raises.

Like LibCST's own runner, every file gets a result (changed, unchanged, skipped, failed with
its traceback), so a promotion collects every problem instead of stopping at the first.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from ._helpers import PromoteCommand, SkipFile

__all__ = ["CodemodResult", "run_commands"]


@dataclass(frozen=True)
class CodemodResult:
    """What happened to one file.

    Attributes:
        path: the file, relative to the repository.
        status: ``changed``, ``unchanged``, ``skipped`` or ``failed``.
        code: the new source (``changed`` only).
        reason: why it was skipped or failed (a traceback for failures).
    """

    path: str
    status: str
    code: str | None = None
    reason: str = ""


def run_commands(path: str, source: str, commands: Sequence[PromoteCommand]) -> CodemodResult:
    """Parse ``source`` once and apply ``commands`` in order.

    A command raising :class:`SkipFile` is passed over; any other exception
    makes the whole file ``failed`` (nothing of it is changed).
    """
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return CodemodResult(path, "skipped", reason=f"not valid Python: {exc.message} "
                                                     f"(line {exc.raw_line})")
    skipped = []
    for command in commands:
        try:
            # No MetadataWrapper (promote's commands need no metadata): it would deep-copy
            # the whole tree for every command, half the time on a 1,000-line module.
            tree = command.transform_module(tree)
        except SkipFile as exc:
            skipped.append(f"{type(command).__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the runner reports, the planner decides
            return CodemodResult(path, "failed", reason=traceback.format_exc())
    code = tree.code
    if code == source:
        return CodemodResult(path, "unchanged", reason="; ".join(skipped))
    return CodemodResult(path, "changed", code=code)
