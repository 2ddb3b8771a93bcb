"""``AddDeprecationWarningCommand``: make a module warn when it is imported."""

from __future__ import annotations

import libcst as cst

from ._helpers import PromoteCommand, SkipFile

__all__ = ["AddDeprecationWarningCommand", "DEPRECATION_MARKER"]

#: Comment on the inserted lines, so the warning can be found (and is never added twice).
DEPRECATION_MARKER = "fledge-promote: deprecated"


class AddDeprecationWarningCommand(PromoteCommand):
    """Inserts ``warnings.warn(message, FutureWarning, stacklevel=2)`` after the module's
    docstring and ``from __future__`` imports, so that importing it warns.

    Args:
        message: the warning's text.
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if DEPRECATION_MARKER in original.code:
            raise SkipFile("already warns")
        body = list(updated.body)
        position = 0
        for i, stmt in enumerate(body):
            if not isinstance(stmt, cst.SimpleStatementLine):
                break
            first = stmt.body[0]
            is_docstring = i == 0 and isinstance(first, cst.Expr) and isinstance(
                first.value, (cst.SimpleString, cst.ConcatenatedString))
            is_future = isinstance(first, cst.ImportFrom) and getattr(
                first.module, "value", None) == "__future__"
            if is_docstring or is_future:
                position = i + 1
            else:
                break
        text = self.message.replace("\\", "\\\\").replace('"', '\\"')
        lines = [
            cst.parse_statement(f"import warnings as _warnings  # {DEPRECATION_MARKER}\n"),
            cst.parse_statement(
                f'_warnings.warn("{text}", FutureWarning, stacklevel=2)  # {DEPRECATION_MARKER}\n'),
        ]
        lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=body[:position] + lines + body[position:])
