"""``RemoveExportsCommand``: take names out of a package ``__init__``'s public API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from ._helpers import PromoteCommand, dotted_name

__all__ = ["RemoveExportsCommand"]


def _drop(elements: Sequence, keep: list[bool]) -> list:
    """``elements`` (list items, dict entries, import aliases) without the unkept ones.

    The last element's comma (none, or a trailing one) passes to the new last element, so
    ``["A", "B"]`` without ``B`` reads ``["A"]`` and a one-per-line list keeps its layout.
    """
    kept = [e for e, k in zip(elements, keep, strict=True) if k]
    if kept and elements and not keep[-1]:
        kept[-1] = kept[-1].with_changes(comma=elements[-1].comma)
    return kept


class RemoveExportsCommand(PromoteCommand):
    """Removes ``names`` from a package ``__init__``: from the lists of a lazy
    ``_import_structure`` (a key left without names goes too), from the relative
    ``from .module import ...`` statements at top level and in ``if TYPE_CHECKING:`` (an
    import left without names goes too), and from a literal ``__all__``.

    Args:
        names: the names that stop being exported.
    """

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = frozenset(names)
        self.removed: set[str] = set()

    def _keep(self, value: str | None) -> bool:
        if value in self.names:
            self.removed.add(value)
            return False
        return True

    def _strings(self, node: cst.List) -> cst.List:
        keep = [self._keep(e.value.evaluated_value if isinstance(e.value, cst.SimpleString)
                           else None) for e in node.elements]
        return node.with_changes(elements=_drop(node.elements, keep))

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [dotted_name(t.target) for t in updated.targets]
        if "_import_structure" in targets and isinstance(updated.value, cst.Dict):
            entries = []
            for element in updated.value.elements:
                if isinstance(element, cst.DictElement) and isinstance(element.value, cst.List):
                    element = element.with_changes(value=self._strings(element.value))
                    entries.append((element, bool(element.value.elements)))
                else:
                    entries.append((element, True))
            elements = _drop([e for e, _ in entries], [k for _, k in entries])
            return updated.with_changes(value=updated.value.with_changes(elements=elements))
        if "__all__" in targets and isinstance(updated.value, cst.List):
            return updated.with_changes(value=self._strings(updated.value))
        return updated

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        if not updated.relative or isinstance(updated.names, cst.ImportStar):
            return updated
        keep = [self._keep(a.evaluated_alias or dotted_name(a.name)) for a in updated.names]
        if all(keep):
            return updated
        if not any(keep):
            return cst.RemoveFromParent()
        return updated.with_changes(names=_drop(updated.names, keep))

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        return cst.RemoveFromParent() if not updated.body else updated
