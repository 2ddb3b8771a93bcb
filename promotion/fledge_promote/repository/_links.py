"""Links between docs pages, found with a Markdown parser (markdown-it-py), not patterns.

Inline links (``[t](dest "title")``, ``[t](<dest>)``), reference-style links and their
definitions (``[ref]: dest "title"``) and autolinks all count; links inside code do not.
A relative destination resolves the way mkdocs and doc-builder do: ``page``, ``page.md``,
``page.mdx`` or ``page/index.md`` beside the linking page.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it import MarkdownIt

__all__ = ["Link", "LinkEdit", "find_links", "resolve_link", "rewrite_links"]

_PARSER = MarkdownIt("commonmark")
PAGE_SUFFIXES = (".md", ".mdx")


@dataclass(frozen=True)
class Link:
    """One link of a page.

    Attributes:
        line: its 1-based line (the first line of its paragraph for inline links).
        last: one past the last line of its paragraph or definition (1-based, exclusive).
        href: the destination as written, unescaped.
        kind: ``inline``, ``reference`` (a use of a definition), ``definition`` or
            ``autolink``.
        label: the reference label (``reference`` and ``definition`` only).
    """

    line: int
    last: int
    href: str
    kind: str
    label: str = ""


@dataclass(frozen=True)
class LinkEdit:
    """A link promote changed: rewritten to ``new``, or (``new`` empty) made plain text."""

    line: int
    old: str
    new: str


def find_links(text: str) -> list[Link]:
    """Every link of Markdown ``text``, in order (definitions after the links)."""
    env: dict = {}
    tokens = _PARSER.parse(text, env)
    references = env.get("references", {})
    by_href: dict[str, str] = {}
    for label, ref in references.items():
        by_href.setdefault(ref["href"], label)
    links = []
    lines = text.splitlines(keepends=True)
    for token in tokens:
        if token.type != "inline" or not token.children or not token.map:
            continue
        source = "".join(lines[token.map[0]:token.map[1]]).lower()
        kinds = _kinds_in_order(source, references)
        for child in token.children:
            if child.type != "link_open":
                continue
            href = str(child.attrs.get("href", ""))
            kind, label = "inline", ""
            if child.markup == "autolink":
                kind = "autolink"
            elif kinds.get(href):
                kind, label = kinds[href].pop(0)
            links.append(Link(token.map[0] + 1, token.map[1] + 1, unquote(href), kind, label))
    for label, ref in references.items():
        start, end = ref.get("map", (0, 1))
        links.append(Link(start + 1, end + 1, unquote(ref["href"]), "definition", label))
    return links


def _kinds_in_order(source: str, references: dict) -> dict[str, list[tuple[str, str]]]:
    """For each destination, whether its links in ``source`` (lower-cased) are written
    inline or as references, in the order they appear."""
    found: list[tuple[int, str, str, str]] = []
    hrefs = {ref["href"] for ref in references.values()}
    for href in hrefs:
        for form in {href, unquote(href)}:
            for written in (f"]({form.lower()}", f"](<{form.lower()}>"):
                at = source.find(written)
                while at >= 0:
                    found.append((at, href, "inline", ""))
                    at = source.find(written, at + 1)
    for label, ref in references.items():
        lowered = label.lower()
        for written in (f"][{lowered}]", f"[{lowered}][]", f"[{lowered}]"):
            at = source.find(written)
            while at >= 0:
                after = source[at + len(written):at + len(written) + 1]
                shorthand = written == f"[{lowered}]"
                if not shorthand or (after not in ("(", "[", ":") and (
                        at == 0 or source[at - 1] != "]")):
                    found.append((at, ref["href"], "reference", label))
                at = source.find(written, at + 1)
    ordered: dict[str, list[tuple[str, str]]] = {}
    for _, href, kind, label in sorted(set(found)):
        ordered.setdefault(href, []).append((kind, label))
    return ordered


def resolve_link(page: str, href: str, exists: Callable[[str], bool]) -> str | None:
    """The repository path a relative link on ``page`` points at, or None (URLs, anchors,
    absolute paths, or nothing there)."""
    if "://" in href or href.startswith(("#", "/", "mailto:")) or not href:
        return None
    path = href.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    for candidate in (base, *(base + s for s in PAGE_SUFFIXES), f"{base}/index.md"):
        if exists(candidate):
            return candidate
    return None


def _span(line: str, start: int) -> tuple[int, int] | None:
    """``[label](...)`` around the ``](`` at ``start``: the label's ``[`` and the ``)``."""
    depth, i = 0, start - 1
    while i >= 0:
        if line[i] == "]" and (i == 0 or line[i - 1] != "\\"):
            depth += 1
        elif line[i] == "[" and (i == 0 or line[i - 1] != "\\"):
            if depth == 0:
                break
            depth -= 1
        i -= 1
    if i < 0:
        return None
    j, depth, angle, quote = start + 2, 0, False, ""
    while j < len(line):
        char = line[j]
        if quote:
            quote = "" if char == quote else quote
        elif angle:
            angle = char != ">"
        elif char == "<":
            angle = True
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return i, j
            depth -= 1
        j += 1
    return None


def rewrite_links(text: str, page: str, dead: Callable[[str], str | None],
                  replacement: Callable[[str, str], str | None]) -> tuple[str, list[LinkEdit]]:
    """``text`` with each link to a removed page rewritten or made plain text.

    Args:
        text: the page's Markdown.
        page: its repository path.
        dead: the removed page a relative destination points at, else None.
        replacement: the new destination for ``(removed page, anchor)``, or None to turn
            the link into its text (a definition is then dropped, its uses made text).
    """
    lines = text.splitlines(keepends=True)
    edits: list[LinkEdit] = []
    links = find_links(text)
    dropped_labels: set[str] = set()
    for link in links:
        target = dead(link.href) if link.kind in ("inline", "definition") else None
        if target is None:
            continue
        anchor = "#" + link.href.split("#", 1)[1] if "#" in link.href else ""
        new = replacement(target, anchor)
        if link.kind == "definition":
            index = link.line - 1
            edits.append(LinkEdit(link.line, link.href, new or ""))
            if new:
                lines[index] = _replace_destination(lines[index], link.href, new, prefix=":")
            else:
                dropped_labels.add(link.label.lower())
                lines[index] = ""
            continue
        for index in range(link.line - 1, link.last - 1):
            changed = _edit_inline(lines[index], link.href, new)
            if changed is not None:
                lines[index] = changed
                edits.append(LinkEdit(index + 1, link.href, new or ""))
                break
    if dropped_labels:  # the uses of a dropped definition become their text
        prose = sorted({i for link in links if link.kind != "definition"
                        for i in range(link.line - 1, link.last - 1)})
        for index in prose:
            for label in sorted(dropped_labels):
                changed = _unlink_reference(lines[index], label)
                while changed is not None:
                    lines[index] = changed
                    edits.append(LinkEdit(index + 1, f"[{label}]", ""))
                    changed = _unlink_reference(lines[index], label)
        for index, line in enumerate(lines):
            if line == "" and 0 < index < len(lines) - 1 and not lines[index - 1].strip() \
                    and not lines[index + 1].strip():
                lines[index + 1] = ""
    return "".join(lines), edits


def _forms(href: str) -> Iterable[str]:
    yield f"<{href}>"
    yield href
    quoted = href.replace(" ", "%20")
    if quoted != href:
        yield quoted


def _replace_destination(line: str, href: str, new: str, prefix: str) -> str:
    for form in _forms(href):
        at = line.find(form, line.find(prefix) + 1)
        if at >= 0:
            written = f"<{new}>" if form.startswith("<") else new
            return line[:at] + written + line[at + len(form):]
    return line


def _edit_inline(line: str, href: str, new: str | None) -> str | None:
    for form in _forms(href):
        at = line.find("](" + form)
        if at < 0:
            continue
        if new:
            start = at + 2
            written = f"<{new}>" if form.startswith("<") else new
            return line[:start] + written + line[start + len(form):]
        span = _span(line, at)
        if span is None:
            return None
        opening, closing = span
        return line[:opening] + line[opening + 1:at] + line[closing + 1:]
    return None


def _unlink_reference(line: str, label: str) -> str | None:
    """``line`` with one use of reference ``label`` (``[t][label]``, ``[label][]``,
    ``[label]``) made its text; None when there is none."""
    lowered = line.lower()
    for form in (f"][{label}]", "][]"):
        at = lowered.find(form)
        if at < 0:
            continue
        start = line.rfind("[", 0, at)
        if start >= 0 and (form != "][]" or lowered[start + 1:at] == label):
            return line[:start] + line[start + 1:at] + line[at + len(form):]
    at = lowered.find(f"[{label}]")
    if at >= 0 and not lowered[at + len(label) + 2:].startswith(("(", "[", ":")):
        return line[:at] + line[at + 1:at + 1 + len(label)] + line[at + 2 + len(label):]
    return None
