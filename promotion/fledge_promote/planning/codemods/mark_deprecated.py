"""``MarkDeprecatedCommand``: show type checkers that a module's classes and functions are
deprecated (PEP 702), with the text of the warning the module gives when imported."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...repository._style import TargetStyle
from ._helpers import PromoteCommand, SkipFile
from .add_deprecation_warning import DEPRECATION_MARKER

__all__ = ["MarkDeprecatedCommand"]

#: Type checkers read the first branch only, and recognise ``TYPE_CHECKING`` and
#: ``sys.version_info`` by these very names; at run time the decorator changes nothing, as
#: the module already warns when it is imported (the same text, once).
_DECORATOR_SOURCE = f'''
if TYPE_CHECKING:  # {DEPRECATION_MARKER} (PEP 702, for type checkers)
    import sys

    if sys.version_info >= (3, 13):
        from warnings import deprecated as _deprecated
    else:
        from typing_extensions import deprecated as _deprecated
else:

    def _deprecated(message, *, category=None, stacklevel=1):
        return lambda thing: thing
'''


def _imports_type_checking(body: Sequence[cst.CSTNode]) -> bool:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            first = stmt.body[0]
            if (isinstance(first, cst.ImportFrom) and getattr(first.module, "value", None)
                    == "typing" and not isinstance(first.names, cst.ImportStar)):
                if any(a.name.value == "TYPE_CHECKING" and a.asname is None
                       for a in first.names):
                    return True
    return False


def _top(body: list[cst.CSTNode]) -> int:
    """Where the block goes: after the docstring, ``__future__`` imports and the lines
    ``AddDeprecationWarningCommand`` added."""
    position = 0
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        first = stmt.body[0]
        is_docstring = i == 0 and isinstance(first, cst.Expr) and isinstance(
            first.value, (cst.SimpleString, cst.ConcatenatedString))
        is_future = isinstance(first, cst.ImportFrom) and getattr(
            first.module, "value", None) == "__future__"
        comment = stmt.trailing_whitespace.comment
        marked = comment is not None and DEPRECATION_MARKER in comment.value
        if not (is_docstring or is_future or marked):
            break
        position = i + 1
    return position


class MarkDeprecatedCommand(PromoteCommand):
    """Decorates the module's top-level classes and functions named in ``names`` with
    ``@_deprecated(message, category=FutureWarning)``: PEP 702's ``deprecated`` for type
    checkers (``warnings`` on 3.13+, ``typing_extensions`` before), nothing at run time.

    Args:
        message: the deprecation's text (a literal in each decorator: mypy reads no other).
        names: the classes and functions to mark; others in the module are left alone.
        style: the target's style, for the decorator's line length.
    """

    def __init__(self, message: str, names: Sequence[str], style: TargetStyle) -> None:
        super().__init__()
        self.message = message
        self.names = set(names)
        self.style = style

    def _decorator(self) -> cst.Decorator:
        text = "_deprecated(\n" + self.style.string_argument(self.message) \
            + "    category=FutureWarning,\n)"
        return cst.Decorator(decorator=cst.parse_expression(text))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if f"# {DEPRECATION_MARKER} (PEP 702" in original.code:
            raise SkipFile("already marked for type checkers")
        body = list(updated.body)
        marked = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)) and stmt.name.value in \
                    self.names:
                body[i] = stmt.with_changes(decorators=[self._decorator(), *stmt.decorators])
                marked += 1
        if not marked:
            raise SkipFile("defines none of the deprecated names at top level")
        block = list(cst.parse_module(_DECORATOR_SOURCE).body)
        block[0] = block[0].with_changes(leading_lines=[cst.EmptyLine()])
        if not _imports_type_checking(body):
            block.insert(0, cst.parse_statement(
                f"from typing import TYPE_CHECKING  # {DEPRECATION_MARKER}\n"))
        position = _top(body)
        rest = body[position:]
        if rest and not rest[0].leading_lines:
            rest[0] = rest[0].with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=body[:position] + block + rest)
