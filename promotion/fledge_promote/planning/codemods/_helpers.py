"""Small libcst helpers shared by the commands."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

__all__ = ["PromoteCommand", "SkipFile", "dotted_name", "dotted_node", "drop_elements",
           "string_literal"]

# visit_<Node>_<attribute>: LibCST node classes are CamelCase, without underscores.
_ATTRIBUTE_HANDLER = re.compile(r"^(visit|leave)_[A-Z][A-Za-z0-9]*_\w+$")


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


class SkipFile(Exception):  # noqa: N818 - LibCST's name for the same signal
    """Raised by a command that leaves a file alone; the runner records why."""


class PromoteCommand(cst.CSTTransformer):
    """Base of promote's codemods: a LibCST transformer, applied to a parsed module by
    :meth:`transform_module` (the runner calls it for each command in turn).

    Not a ``libcst.codemod.CodemodCommand``: importing ``libcst.codemod`` (its matchers)
    takes about 0.6 s of every plan, and promote's commands use neither a codemod context
    nor metadata.

    LibCST's transformer calls ``visit_<Node>``/``leave_<Node>`` on every node and
    ``visit_<Node>_<attribute>``/``leave_<Node>_<attribute>`` on every child attribute: no-op
    stubs for all but the few node types a command handles, a third of a demotion's time on
    TRL's 1,950-line ``rloo_trainer.py``. Here the class records the node types whose
    handlers it defines and calls only those; attribute handlers are refused when the class
    is made (they would never be called).
    """

    _visits: frozenset[str] = frozenset()
    _leaves: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # Handlers defined by promote's commands, not LibCST's no-op stubs for every node.
        names = {name for klass in cls.__mro__ if issubclass(klass, PromoteCommand)
                 for name in vars(klass) if name.startswith(("visit_", "leave_"))}
        attribute_handlers = sorted(n for n in names if _ATTRIBUTE_HANDLER.match(n))
        if attribute_handlers:
            raise TypeError(f"{cls.__name__}: attribute handlers ({', '.join(attribute_handlers)})"
                            " are not called by PromoteCommand; handle the node instead")
        cls._visits = frozenset(n[len("visit_"):] for n in names if n.startswith("visit_"))
        cls._leaves = frozenset(n[len("leave_"):] for n in names if n.startswith("leave_"))

    def on_visit(self, node: cst.CSTNode) -> bool:
        name = type(node).__name__
        if name not in self._visits:
            return True
        return getattr(self, f"visit_{name}")(node) is not False

    def on_leave(self, original_node, updated_node):
        name = type(original_node).__name__
        if name not in self._leaves:
            return updated_node
        return getattr(self, f"leave_{name}")(original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def transform_module(self, tree: cst.Module) -> cst.Module:
        """The command applied to ``tree``: a new tree (LibCST's trees are immutable)."""
        return tree.visit(self)


def drop_elements(elements: Sequence, keep: list[bool]) -> list:
    """``elements`` (list items, dict entries, import aliases) without the unkept ones.

    The last element's comma (none, or a trailing one) passes to the new last element, so
    ``["A", "B"]`` without ``B`` reads ``["A"]`` and a one-per-line list keeps its layout.
    """
    kept = [e for e, k in zip(elements, keep, strict=True) if k]
    if kept and elements and not keep[-1]:
        kept[-1] = kept[-1].with_changes(comma=elements[-1].comma)
    return kept
