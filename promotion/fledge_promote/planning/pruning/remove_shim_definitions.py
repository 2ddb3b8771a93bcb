"""``RemoveShimDefinitionsCommand``: take shim classes and functions out of a real module."""

from __future__ import annotations

import ast
from collections.abc import Iterable

import libcst as cst

from ..codemods._helpers import PromoteCommand, dotted_name
from ._elements import drop_elements

__all__ = ["RemoveShimDefinitionsCommand"]


class RemoveShimDefinitionsCommand(PromoteCommand):
    """Removes the top-level definitions ``names`` (classes, functions, ``Name = ...``
    aliases) and their ``__all__`` entries, then the imports only they used: an import whose
    names nothing else in the module uses any more goes, and so does a ``with`` block left
    without statements (TRL's ``with suppress_experimental_warning():``), and then the
    imports only its ``with`` line used. Imports that were unused before stay as they were.

    Args:
        names: the definitions to remove.
    """

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = frozenset(names)
        self.removed: set[str] = set()
        self.freed: set[str] = set()  # names the removed code used

    def transform_module(self, tree: cst.Module) -> cst.Module:
        original = tree
        tree = tree.visit(self)
        for _ in range(4):  # imports feeding a removed ``with`` line: a few rounds at most
            unused = self.freed - _used_names(tree.code)
            if not unused:
                break
            dropper = _DropImports(unused)
            tree = tree.visit(dropper)
            self.freed = dropper.freed
        return _same_top(original, tree)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # only top-level definitions are shims; their bodies are left as they are

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef
                          ) -> cst.FunctionDef | cst.RemovalSentinel:
        return self._remove(updated, updated.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef
                       ) -> cst.ClassDef | cst.RemovalSentinel:
        return self._remove(updated, updated.name.value)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        statement = updated.body[0] if len(updated.body) == 1 else None
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
            target = dotted_name(statement.targets[0].target)
            if target in self.names:
                return self._remove(updated, target)
            if target == "__all__" and isinstance(statement.value, (cst.List, cst.Tuple)):
                elements = statement.value.elements
                keep = [not (isinstance(e.value, cst.SimpleString)
                             and e.value.evaluated_value in self.names) for e in elements]
                value = drop_elements(statement.value, elements, keep)
                return updated.with_changes(body=[statement.with_changes(value=value)])
        return updated

    def _remove(self, node: cst.CSTNode, name: str):
        if name not in self.names:
            return node
        self.removed.add(name)
        self.freed |= _used_names(cst.Module(body=[node]).code)
        return cst.RemoveFromParent()


class _DropImports(PromoteCommand):
    """Drops the aliases of top-level imports (also inside ``with`` and ``if`` blocks) that
    bind one of ``names``; a ``with`` block left empty goes, freeing what its line used."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.freed: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def _keep(self, alias: cst.ImportAlias) -> bool:
        bound = (alias.asname.name.value if alias.asname is not None  # type: ignore[union-attr]
                 else (dotted_name(alias.name) or "").partition(".")[0])
        return bound not in self.names

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        return self._drop(updated)

    def leave_Import(self, original: cst.Import, updated: cst.Import
                     ) -> cst.Import | cst.RemovalSentinel:
        return self._drop(updated)

    def _drop(self, node):
        keep = [self._keep(alias) for alias in node.names]
        if all(keep):
            return node
        if not any(keep):
            return cst.RemoveFromParent()
        return drop_elements(node, node.names, keep)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        return cst.RemoveFromParent() if not updated.body else updated

    def leave_With(self, original: cst.With, updated: cst.With
                   ) -> cst.With | cst.RemovalSentinel:
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            items = cst.Module(body=[]).code_for_node(updated.with_changes(
                body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])))
            self.freed |= _used_names(items)
            return cst.RemoveFromParent()
        return updated

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return updated.with_changes(body=updated.body.with_changes(
                body=[cst.SimpleStatementLine(body=[cst.Pass()])]))
        return updated


def _same_top(original: cst.Module, tree: cst.Module) -> cst.Module:
    """A statement that became the first keeps only as many blank lines before it as the
    first one had (after the licence header, not three)."""
    if not (original.body and tree.body) or original.body[0].deep_equals(tree.body[0]):
        return tree
    first = tree.body[0]
    allowed = sum(1 for line in original.body[0].leading_lines if line.comment is None)
    lines, blank = [], 0
    for line in first.leading_lines:
        if line.comment is None:
            blank += 1
            if blank > allowed:
                continue
        lines.append(line)
    return tree.with_changes(body=[first.with_changes(leading_lines=lines), *tree.body[1:]])


def _used_names(code: str) -> set[str]:
    """The names ``code`` reads (outside import statements) and lists in ``__all__``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            used |= {c.value for c in ast.walk(node.value)
                     if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return used
