"""``SortRelativeImportsCommand``: keep a moved module's relative imports in isort's order."""

from __future__ import annotations

import libcst as cst

from ._helpers import PromoteCommand, dotted_name

__all__ = ["SortRelativeImportsCommand"]


def _relative(stmt: cst.BaseStatement) -> cst.ImportFrom | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    node = stmt.body[0]
    if isinstance(node, cst.ImportFrom) and node.relative:
        return node
    return None


class SortRelativeImportsCommand(PromoteCommand):
    """Re-sorts each run of top-level relative imports the way isort and ruff do (furthest
    first: ``..`` before ``.``, then by module name, ignoring case). A move changes how far
    an import climbs (``from ...data_utils`` becomes ``from ..data_utils``), which can leave
    the run out of order. A run with comments of its own between the statements is left
    alone.
    """

    def transform_module(self, tree: cst.Module) -> cst.Module:
        return self.leave_Module(tree, tree)  # the module's own statements: no traversal

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = list(updated.body)
        i = 0
        while i < len(body):
            if _relative(body[i]) is None:
                i += 1
                continue
            end = i
            while end < len(body) and _relative(body[end]) is not None:
                end += 1
            run = body[i:end]
            inner = run[1:]
            if not any(s.leading_lines for s in inner):  # type: ignore[attr-defined]
                ordered = sorted(run, key=self._key)
                first_lines = run[0].leading_lines  # type: ignore[attr-defined]
                ordered = [s.with_changes(leading_lines=()) for s in ordered]  # type: ignore[attr-defined]
                ordered[0] = ordered[0].with_changes(leading_lines=first_lines)
                body[i:end] = ordered
            i = end
        return updated.with_changes(body=body)

    @staticmethod
    def _key(stmt: cst.BaseStatement) -> tuple[int, str]:
        node = _relative(stmt)
        assert node is not None
        module = dotted_name(node.module) if node.module else ""
        return (-len(node.relative), (module or "").lower())
