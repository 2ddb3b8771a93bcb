"""``UpdateManifestCommand``: set fields of a ``Feature(...)`` manifest call in place."""

from __future__ import annotations

from typing import Any

import libcst as cst

from ._helpers import PromoteCommand, SkipFile, string_literal

__all__ = ["UpdateManifestCommand"]


def _literal(value: Any) -> cst.BaseExpression:
    if isinstance(value, str):
        return string_literal(value)
    if value is None or isinstance(value, (bool, int, float)):
        return cst.parse_expression(repr(value))
    if isinstance(value, (tuple, list)):
        items = ", ".join(f'"{v}"' for v in value)
        return cst.parse_expression(f"({items},)" if len(value) == 1 else f"({items})")
    raise TypeError(f"cannot write {value!r} into a manifest")


class UpdateManifestCommand(PromoteCommand):
    """Sets keyword arguments of the module's ``Feature(...)`` call, keeping its layout: an
    existing argument gets a new value, a new one is added after the last, formatted like
    its neighbours. ``None`` removes an argument.

    Args:
        changes: field name to new value (str, tuple of str, bool, number or None).
    """

    def __init__(self, changes: dict[str, Any]) -> None:
        super().__init__()
        self.changes = changes
        self.found = 0

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        name = func.value if isinstance(func, cst.Name) else (
            func.attr.value if isinstance(func, cst.Attribute) else None)
        if name != "Feature":
            return updated
        self.found += 1
        args = list(updated.args)
        pending = dict(self.changes)
        kept = []
        for arg in args:
            key = arg.keyword.value if arg.keyword else None
            if key in pending:
                value = pending.pop(key)
                if value is None:
                    continue
                arg = arg.with_changes(value=_literal(value))
            kept.append(arg)
        additions = [(k, v) for k, v in pending.items() if v is not None]
        if additions:
            kept = self._append(kept, additions)
        elif kept and args and kept[-1] is not args[-1]:
            kept[-1] = kept[-1].with_changes(comma=args[-1].comma)
        return updated.with_changes(args=kept)

    @staticmethod
    def _append(args: list[cst.Arg], additions: list[tuple[str, Any]]) -> list[cst.Arg]:
        if not args:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            trailing: cst.Comma | cst.MaybeSentinel = cst.MaybeSentinel.DEFAULT
        else:
            trailing = args[-1].comma
            separator = (args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
                         else cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args[-1] = args[-1].with_changes(comma=separator)
        for i, (key, value) in enumerate(additions):
            last = i == len(additions) - 1
            args.append(cst.Arg(
                keyword=cst.Name(key), value=_literal(value),
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                      whitespace_after=cst.SimpleWhitespace("")),
                comma=trailing if last else separator,
            ))
        return args

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.found != 1:
            raise SkipFile(f"expected one Feature(...) call, found {self.found}")
        return updated
