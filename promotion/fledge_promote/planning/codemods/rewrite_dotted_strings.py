"""``RewriteDottedStringsCommand``: strings that are whole dotted paths of moved modules."""

from __future__ import annotations

import re

import libcst as cst

from .._paths import DottedMap
from ._helpers import PromoteCommand

__all__ = ["RewriteDottedStringsCommand"]

_REFERENCE = re.compile(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)(:[A-Za-z_][\w.]*)?$")


class RewriteDottedStringsCommand(PromoteCommand):
    """Rewrites string literals that are nothing but a dotted path (``"pkg.x.api"``), or an
    object reference (``"pkg.x.demo:main"``), under a moved module: manifests' ``module`` and
    ``demo`` fields, ``mock.patch("pkg.x.api.thing")``, ``importlib.import_module(...)``.
    Other strings are left alone (the planner lists their mentions).

    Args:
        mapping: old dotted prefix to new dotted prefix.
    """

    def __init__(self, mapping: DottedMap) -> None:
        super().__init__()
        self.mapping = mapping

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString
                           ) -> cst.SimpleString:
        if "b" in updated.prefix.lower() or len(updated.quote) != 1:
            return updated
        value = updated.evaluated_value
        if not isinstance(value, str):
            return updated
        match = _REFERENCE.match(value)
        if match is None:
            return updated
        new = self.mapping.map(match.group(1))
        if new is None:
            return updated
        body = new + (match.group(2) or "")
        return updated.with_changes(value=f"{updated.prefix}{updated.quote}{body}{updated.quote}")
