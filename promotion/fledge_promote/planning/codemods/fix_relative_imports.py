"""``FixRelativeImportsCommand``: keep a moved file's relative imports pointing where they did."""

from __future__ import annotations

import libcst as cst

from .._paths import DottedMap, resolve_relative
from ._helpers import PromoteCommand, dotted_name, dotted_node
from .rewrite_imports import express_import

__all__ = ["FixRelativeImportsCommand"]


class FixRelativeImportsCommand(PromoteCommand):
    """Re-expresses each relative import of a file that moved from ``old_module`` to
    ``new_module``: the target is resolved from the old place, mapped if it moved too, and
    written relative to the new place (absolute when it is outside the top-level package).
    ``from ..testing_utils import x`` in ``tests/experimental/test_a.py`` becomes
    ``from .testing_utils import x`` in ``tests/test_a.py``.

    Args:
        mapping: old dotted prefix to new dotted prefix of everything that moves.
        old_module: the file's dotted module name before the move.
        new_module: its dotted module name after.
        is_package: whether the file was an ``__init__.py``.
        new_is_package: whether it is one at its new place (default: ``is_package``); a
            flat promotion turns a feature's ``__init__.py`` into ``<name>.py``.
    """

    def __init__(self, mapping: DottedMap, old_module: str,
                 new_module: str, is_package: bool = False,
                 new_is_package: bool | None = None) -> None:
        super().__init__()
        self.mapping = mapping
        self.old_module = old_module
        self.new_module = new_module
        self.is_package = is_package
        self.new_is_package = is_package if new_is_package is None else new_is_package

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        level = len(updated.relative)
        if not level:
            return updated
        written = dotted_name(updated.module) if updated.module else None
        target = resolve_relative(self.old_module, self.is_package, level, written)
        if target is None:
            return updated
        target = self.mapping.map(target) or target
        new_level, new_module = express_import(self.new_module, self.new_is_package, target)
        if (new_level, new_module) == (level, written):
            return updated
        return updated.with_changes(
            relative=[cst.Dot() for _ in range(new_level)],
            module=dotted_node(new_module) if new_module else None,
        )
