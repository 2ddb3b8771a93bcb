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

#: Bound when the module does not bind ``TYPE_CHECKING`` itself: mypy and pyright take the
#: name as true, and no import joins the module's import block (which isort keeps sorted).
_TYPE_CHECKING_SOURCE = f"TYPE_CHECKING = False  # {DEPRECATION_MARKER} (checkers read True)\n"


def _binds_type_checking(body: Sequence[cst.CSTNode]) -> bool:
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                if any(a.asname is None and a.name.value == "TYPE_CHECKING"
                       for a in small.names):
                    return True
            elif isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == "TYPE_CHECKING"
                    for t in small.targets):
                return True
    return False


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body)


def _after_imports(body: list[cst.CSTNode]) -> int:
    """Where the block goes: after the docstring, the ``__future__`` imports, the lines
    ``AddDeprecationWarningCommand`` added and the import block (so no import follows
    code)."""
    position = 0
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        first = stmt.body[0]
        is_docstring = i == 0 and isinstance(first, cst.Expr) and isinstance(
            first.value, (cst.SimpleString, cst.ConcatenatedString))
        comment = stmt.trailing_whitespace.comment
        marked = comment is not None and DEPRECATION_MARKER in comment.value
        if not (is_docstring or marked or _is_import_line(stmt)):
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
        if not _binds_type_checking(body):
            block.insert(0, cst.parse_statement(_TYPE_CHECKING_SOURCE))
        position = _after_imports(body)
        blank = len(self.style.blank_after_imports) if position else 1
        block[0] = block[0].with_changes(leading_lines=[cst.EmptyLine()] * blank)
        rest = body[position:]
        if rest and not rest[0].leading_lines:
            rest[0] = rest[0].with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(body=body[:position] + block + rest)
