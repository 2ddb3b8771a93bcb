"""Making other people's text safe and readable on a terminal."""

from __future__ import annotations

import unicodedata


def safe(text: object) -> str:
    """``text`` with every control or format character shown as an escape, never executed.

    Manifests are validated, but problem reasons quote exceptions raised by plugins, which
    can hold anything.
    """
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Cf") and char != " ":
            out.append(repr(char)[1:-1] if char != "\t" else " ")
        else:
            out.append(char)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, ending with an ellipsis when cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def table(headers: list[str], rows: list[list[str]], width: int, flex: int) -> list[str]:
    """Lay out ``rows`` in columns that fit ``width``; column ``flex`` takes what is left.

    When too little is left for the flexible column, it moves to its own indented line
    under each row, so the table stays readable in an 80-column terminal.
    """
    rows = [[safe(cell) for cell in row] for row in rows]
    fixed = [i for i in range(len(headers)) if i != flex]
    widths = {i: max(len(headers[i]), *(len(r[i]) for r in rows)) for i in fixed}
    used = sum(widths.values()) + 2 * (len(headers) - 1)
    room = width - used
    lines = []
    if room >= 20:
        widths[flex] = room
        order = list(range(len(headers)))
        lines.append(_row(headers, widths, order))
        lines.extend(_row([*r[:flex], shorten(r[flex], room), *r[flex + 1:]], widths, order)
                     for r in rows)
        return lines
    lines.append(_row(headers, widths, fixed))
    for r in rows:
        lines.append(_row(r, widths, fixed))
        lines.append("    " + shorten(r[flex], width - 4))
    return lines


def _row(cells: list[str], widths: dict[int, int], order: list[int]) -> str:
    return "  ".join(cells[i].ljust(widths[i]) for i in order).rstrip()
