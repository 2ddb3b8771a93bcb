"""Small libcst helpers shared by the commands."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodCommand

__all__ = ["PromoteCommand", "dotted_name", "dotted_node", "string_literal"]


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = dotted_name(node.value)
        return None if left is None else f"{left}.{node.attr.value}"
    return None


def dotted_node(dotted: str) -> cst.Name | cst.Attribute:
    """The Name/Attribute chain for ``a.b.c``."""
    parts = dotted.split(".")
    node: cst.Name | cst.Attribute = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def string_literal(value: str, like: cst.SimpleString | None = None) -> cst.SimpleString:
    """A string literal holding ``value``, quoted like ``like`` (double quotes by default)."""
    quote = '"'
    prefix = ""
    if like is not None:
        prefix = like.prefix
        quote = like.quote if like.quote in ('"', "'") else '"'
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return cst.SimpleString(f"{prefix}{quote}{escaped}{quote}")


class PromoteCommand(CodemodCommand, cst.CSTTransformer):
    """Base of promote's codemods: a LibCST ``CodemodCommand`` that is a plain transformer.

    ``VisitorBasedCodemodCommand`` gathers matcher decorators on every construction (about
    10 ms each); promote builds several commands per file, so its commands skip that.
    """

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        return tree.visit(self)
