"""Dropping items from a bracketed LibCST sequence without moving anyone's comment."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

__all__ = ["drop_elements"]

_CLOSING = {cst.List: "rbracket", cst.Dict: "rbrace", cst.ImportFrom: "rpar",
            cst.Tuple: "rpar"}


def drop_elements(node, elements: Sequence, keep: Sequence[bool]):
    """``node`` (a list, dict, tuple or ``from`` import) with only the kept ``elements``.

    When the last element goes, its comma (none, or a trailing one) passes to the new last
    element, so the layout holds. The comment on a dropped element's line (TRL's
    ``# deprecated import``) goes with it; LibCST keeps the last line's comment in the
    closing bracket's whitespace, which gets the new last element's own comment instead.
    """
    field = "names" if isinstance(node, (cst.Import, cst.ImportFrom)) else "elements"
    kept = [e for e, k in zip(elements, keep, strict=True) if k]
    if not kept and elements:
        return _emptied(node, field)
    if not kept or keep[-1]:
        return node.with_changes(**{field: kept})
    own = _first_line(kept[-1].comma)
    comma = elements[-1].comma
    if _first_line(comma) is not None:  # the comment sits in the comma's whitespace
        comma = comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(
            first_line=own or cst.TrailingWhitespace()))
    kept[-1] = kept[-1].with_changes(comma=comma)
    changes = {field: kept}
    closing_name = _CLOSING.get(type(node))
    closing = getattr(node, closing_name, None) if closing_name else None
    if isinstance(closing, list):  # a tuple's parentheses
        closing = None
    space = getattr(closing, "whitespace_before", None)
    if isinstance(space, cst.ParenthesizedWhitespace):
        changes[closing_name] = closing.with_changes(whitespace_before=space.with_changes(
            first_line=own or cst.TrailingWhitespace()))
    return node.with_changes(**changes)


_OPENING = {cst.List: "lbracket", cst.Dict: "lbrace", cst.ImportFrom: "lpar"}


def _emptied(node, field: str):
    """``{}``, ``[]``: a sequence with no element left keeps no line (and no comment of a
    dropped element, which LibCST holds in the closing bracket's whitespace)."""
    changes: dict = {field: []}
    for names, attribute in ((_OPENING, "whitespace_after"), (_CLOSING, "whitespace_before")):
        bracket = getattr(node, names.get(type(node), ""), None)
        if bracket is not None and not isinstance(bracket, list) and hasattr(bracket, attribute):
            changes[names[type(node)]] = bracket.with_changes(
                **{attribute: cst.SimpleWhitespace("")})
    return node.with_changes(**changes)


def _first_line(comma) -> cst.TrailingWhitespace | None:
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after,
                                                    cst.ParenthesizedWhitespace):
        return comma.whitespace_after.first_line
    return None
