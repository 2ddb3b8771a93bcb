"""``RemoveShimExportsCommand``: a package ``__init__`` stops exporting removed shims."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from .._paths import resolve_relative
from ..codemods._helpers import PromoteCommand, dotted_name
from ._elements import drop_elements

__all__ = ["RemoveShimExportsCommand"]

_TABLE = "_DEPRECATED_IMPORTS"


class RemoveShimExportsCommand(PromoteCommand):
    """Removes the export entries of a package ``__init__`` that point at removed shims:
    the names of a lazy ``_import_structure`` dictionary (a key whose module is gone, or left
    without names, goes too), the ``from .module import Name`` statements at top level, in
    ``if TYPE_CHECKING:`` or in ``with`` blocks (a statement left without names goes), the
    entries of a ``_DEPRECATED_IMPORTS`` table (emptied, it goes with the ``__getattr__``
    that reads it) and ``__all__`` entries. TRL marks such entries ``# deprecated import``;
    the comment goes with its entry and never passes to a neighbour.

    Args:
        package: the dotted name of the package whose ``__init__`` this is.
        removed: dotted paths of removed names (``trl.trainer.cpo_trainer.CPOTrainer``,
            and ``trl.trainer.CPOTrainer`` once this package stops exporting it).
        removed_modules: dotted paths of deleted modules.
    """

    def __init__(self, package: str, removed: Iterable[str],
                 removed_modules: Iterable[str]) -> None:
        super().__init__()
        self.package = package
        self.removed = frozenset(removed)
        self.removed_modules = frozenset(removed_modules)
        self.dropped: list[str] = []
        self._trimmed = False
        self._emptied_table = False

    def _gone(self, module: str | None, name: str | None) -> bool:
        if module is None or name is None:
            return False
        gone = module in self.removed_modules or f"{module}.{name}" in self.removed
        if gone:
            self.dropped.append(f"{module}.{name}")
        return gone

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [dotted_name(t.target) for t in updated.targets]
        if "_import_structure" in targets and isinstance(updated.value, cst.Dict):
            return updated.with_changes(value=self._structure(updated.value))
        if _TABLE in targets and isinstance(updated.value, cst.Dict):
            value = self._table(updated.value)
            self._emptied_table = not value.elements
            return updated.with_changes(value=value)
        if "__all__" in targets and isinstance(updated.value, (cst.List, cst.Tuple)):
            elements = updated.value.elements
            keep = [not self._gone(self.package, _string(e.value)) for e in elements]
            return updated.with_changes(value=drop_elements(updated.value, elements, keep))
        return updated

    def _structure(self, value: cst.Dict) -> cst.Dict:
        entries, keep = [], []
        for element in value.elements:
            key = _string(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not isinstance(element.value, (cst.List, cst.Tuple)):
                entries.append(element)
                keep.append(True)
                continue
            module = f"{self.package}.{key}"
            names = element.value.elements
            kept = [not self._gone(module, _string(n.value)) for n in names]
            if not any(kept) and (names or module in self.removed_modules):
                entries.append(element)
                keep.append(False)
                continue
            entries.append(element.with_changes(
                value=drop_elements(element.value, names, kept)))
            keep.append(True)
        return drop_elements(value, entries, keep)

    def _table(self, value: cst.Dict) -> cst.Dict:
        """``_DEPRECATED_IMPORTS``: ``"Name": ".module"`` entries, imported from the shim at
        ``module`` by the package's ``__getattr__``."""
        keep = []
        for element in value.elements:
            name = _string(element.key) if isinstance(element, cst.DictElement) else None
            target = _string(element.value) if name else None
            level = len(target) - len(target.lstrip(".")) if target else 0
            module = (resolve_relative(self.package, True, level, target[level:] or None)
                      if level else target)
            keep.append(not self._gone(module, name))
        return drop_elements(value, value.elements, keep)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """An emptied ``_DEPRECATED_IMPORTS`` goes, with the ``__getattr__`` that read it
        (and the comment that led it)."""
        if not self._emptied_table:
            return updated
        body = [stmt for stmt in updated.body if not _is_table(stmt)
                and not (isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__getattr__"
                         and _TABLE in cst.Module([stmt]).code)]
        return updated.with_changes(body=body)

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        written = dotted_name(updated.module) if updated.module else None
        level = len(updated.relative)
        base = resolve_relative(self.package, True, level, written) if level else written
        keep = [not self._gone(base, alias.evaluated_name) for alias in updated.names]
        if all(keep):
            return updated
        if not any(keep):
            return cst.RemoveFromParent()
        self._trimmed = True
        return drop_elements(updated, updated.names, keep)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if not updated.body:
            return cst.RemoveFromParent()
        trimmed, self._trimmed = self._trimmed, False
        comment = updated.trailing_whitespace.comment
        if trimmed and comment is not None and "deprecated import" in comment.value:
            # the line's mark named what went: what stays is not deprecated
            end = updated.trailing_whitespace.with_changes(
                comment=None, whitespace=cst.SimpleWhitespace(""))
            return updated.with_changes(trailing_whitespace=end)
        return updated

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return updated.with_changes(body=updated.body.with_changes(
                body=[cst.SimpleStatementLine(body=[cst.Pass()])]))
        return updated

    def leave_With(self, original: cst.With, updated: cst.With
                   ) -> cst.With | cst.RemovalSentinel:
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return cst.RemoveFromParent()
        return updated


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _is_table(stmt: cst.BaseStatement) -> bool:
    """``_DEPRECATED_IMPORTS = {}``, once its entries went."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Assign) and isinstance(small.value, cst.Dict) and not (
        small.value.elements) and _TABLE in [dotted_name(t.target) for t in small.targets]
