"""``MakeImportsRelativeCommand``: absolute imports of a file's own top-level package become
relative, the way a target that imports its own package relatively writes them."""

from __future__ import annotations

import libcst as cst

from ._helpers import PromoteCommand, dotted_name, dotted_node

__all__ = ["MakeImportsRelativeCommand"]


class MakeImportsRelativeCommand(PromoteCommand):
    """Rewrites ``from pkg.a.b import x`` inside module ``pkg.c.d`` to ``from ..a.b import x``
    (``from pkg import x`` inside ``pkg.c`` to ``from .. import x``). Imports of other
    packages, and ``import pkg.a`` statements (which have no relative form), stay.

    Args:
        module: the dotted name of the file being rewritten.
        is_package: whether the file is a package's ``__init__.py``.
    """

    def __init__(self, module: str, is_package: bool = False) -> None:
        super().__init__()
        self.module_name = module
        self.is_package = is_package
        self.top = module.split(".")[0]

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom
                         ) -> cst.ImportFrom:
        if updated.relative or updated.module is None:
            return updated
        target = dotted_name(updated.module) or ""
        if target != self.top and not target.startswith(self.top + "."):
            return updated
        here = self.module_name.split(".") if self.is_package else \
            self.module_name.split(".")[:-1]
        there = target.split(".")
        common = 0
        while common < min(len(here), len(there)) and here[common] == there[common]:
            common += 1
        level = len(here) - common + 1
        rest = ".".join(there[common:])
        return updated.with_changes(relative=[cst.Dot() for _ in range(level)],
                                    module=dotted_node(rest) if rest else None)
