"""``RewriteDocstringReferencesCommand``: doctest lines and cross-references in docstrings."""

from __future__ import annotations

import libcst as cst

from .._paths import DottedMap
from ._helpers import PromoteCommand

__all__ = ["RewriteDocstringReferencesCommand"]


class RewriteDocstringReferencesCommand(PromoteCommand):
    """Rewrites dotted paths of moved modules inside module, class and function docstrings:
    doctest lines (``>>> from pkg.experimental.x import Y``) and cross-references
    (``:class:`pkg.experimental.x.Y```, ``[`pkg.experimental.x.Y`]``). Only whole dotted
    paths are replaced, so prose around them is untouched.

    Args:
        mapping: old dotted prefix to new dotted prefix.
    """

    def __init__(self, mapping: DottedMap) -> None:
        super().__init__()
        self.mapping = mapping

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._fix_body(updated.body))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return self._fix_suite(updated)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef
                          ) -> cst.FunctionDef:
        return self._fix_suite(updated)

    def _fix_suite(self, node):
        if isinstance(node.body, cst.IndentedBlock):
            body = self._fix_body(node.body.body)
            return node.with_changes(body=node.body.with_changes(body=body))
        return node

    def _fix_body(self, body):
        if not body or not isinstance(body[0], cst.SimpleStatementLine):
            return body
        first = body[0]
        if not first.body or not isinstance(first.body[0], cst.Expr):
            return body
        expr = first.body[0]
        if not isinstance(expr.value, cst.SimpleString):
            return body
        string = expr.value
        new_value, count = self.mapping.sub(string.value)
        if not count:
            return body
        new_expr = expr.with_changes(value=string.with_changes(value=new_value))
        new_first = first.with_changes(body=[new_expr, *first.body[1:]])
        return [new_first, *body[1:]]
