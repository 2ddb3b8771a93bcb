"""Reading built pages: tables, text and tags, with the standard library's HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser

# Tags that separate words; inline tags (code, a, span...) do not.
_BLOCKS = frozenset({"p", "div", "td", "th", "tr", "li", "br", "h1", "h2", "h3", "h4", "table",
                     "pre", "section", "article", "nav", "header", "footer", "label", "select",
                     "option", "small"})


class Page(HTMLParser):
    """Every start tag (with its attributes), the page's text, and the rows of table ``id``."""

    def __init__(self, html: str, table_id: str = "fledge-features") -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.rows: list[dict[str, object]] = []
        self._table_id = table_id
        self._in_table = 0
        self._row: dict[str, object] | None = None
        self._cell: list[str] | None = None
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in _BLOCKS:
            self.text.append(" ")
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "table" and attributes.get("id") == self._table_id:
            self._in_table = 1
        elif tag == "table" and self._in_table:
            self._in_table += 1
        if self._in_table and tag == "tr" and attributes.get("data-feature"):
            self._row = {"attrs": attributes, "cells": []}
        if self._row is not None and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.text.append(" ")
        if tag == "script":
            self._in_script = False
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "table" and self._in_table:
            self._in_table -= 1

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return " ".join("".join(self.text).split())
