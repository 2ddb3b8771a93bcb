"""Round-trip editing of YAML navigation files with ruamel.yaml, so an edit changes only what
it must: comments, quotes, custom tags (mkdocs' ``!!python/name:``, ``!ENV``) and the file's
own indentation survive, and an untouched file dumps back byte for byte.

:func:`parse` reads a file into a :class:`Document` (the data, and a dumper whose mapping and
sequence indentation and dash offset are the file's own); lists are edited with
:func:`insert_item` and :func:`remove_item`, which keep blank lines and comments between
items where they belong. :func:`load_yaml` reads plain data with PyYAML for callers that only
look.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

__all__ = ["Document", "insert_item", "load_yaml", "parse", "remove_item"]


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads mkdocs' ``!!python/name:`` and ``!ENV`` tags as plain values."""


def _any_tag(loader: yaml.Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TolerantLoader.add_multi_constructor("!", _any_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def load_yaml(text: str):
    """Parse ``text``, tolerating the custom tags mkdocs configurations use."""
    return yaml.load(text, Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader subclass


# -- round trip ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indent:
    """ruamel's ``yaml.indent(mapping=, sequence=, offset=)`` for one file."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0


class Document:
    """A parsed YAML file: ``data`` to edit, :meth:`dump` to write it back the same way."""

    def __init__(self, data: Any, indent: Indent, explicit_start: bool, original: str):
        self.data = data
        self.indent = indent
        self.explicit_start = explicit_start
        self.original = original

    def dump(self) -> str:
        return _restore(self.original, _dump(self.data, self.indent, self.explicit_start))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _restore(original: str, dumped: str) -> str:
    """``dumped`` laid out as ``original`` was wherever ruamel wrote it differently.

    ruamel writes one indentation for every level and drops trailing white space. Each line
    of ``dumped`` whose text (stripped) matches a line of ``original`` is taken from
    ``original``; a new line gets the indentation the file uses where ruamel used its own
    (learnt from the matched lines). If the file's indentation is not one function of
    ruamel's, or the result would not read as the same data, only trailing white space is
    restored.
    """
    if original == dumped:
        return dumped
    old = original.splitlines(keepends=True)
    new = dumped.splitlines(keepends=True)
    laid = _relayout(old, new, strict=False)
    if laid is not None and laid != dumped:
        try:
            if load_yaml(laid) == load_yaml(dumped):
                return laid
        except yaml.YAMLError:
            pass
    return _relayout(old, new, strict=True) or dumped


def _relayout(old: list[str], new: list[str], strict: bool) -> str | None:
    key = (lambda line: line.rstrip()) if strict else (lambda line: line.strip())
    matcher = difflib.SequenceMatcher(None, [key(line) for line in old],
                                      [key(line) for line in new], autojunk=False)
    out = list(new)
    cols: dict[int, int] = {}
    matched = set()
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            continue
        for k in range(i2 - i1):
            line, at = old[i1 + k], j1 + k
            if _content(line) and cols.setdefault(_indent(new[at]), _indent(line)) != _indent(
                    line):
                return None  # the file's indentation is not one function of ruamel's
            if not line.endswith("\n") and at < len(new) - 1:
                line += "\n"
            out[at] = line
            matched.add(at)
    crlf = bool(old) and old[0].endswith("\r\n")
    for at, line in enumerate(new):
        if at in matched:
            continue
        if crlf and line.endswith("\n") and not line.endswith("\r\n"):
            out[at] = line = line[:-1] + "\r\n"
        if not _content(line) or not cols:
            continue
        col = _indent(line)
        base = max((c for c in cols if c <= col), default=None)
        if base is not None:
            out[at] = " " * (cols[base] + col - base) + line.lstrip(" ")
    return "".join(out)


def _yaml(indent: Indent | None = None, explicit_start: bool = False) -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1 << 16  # never fold a long line
    if indent is not None:
        rt.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    rt.explicit_start = explicit_start
    return rt


def _dump(data: Any, indent: Indent, explicit_start: bool) -> str:
    out = io.StringIO()
    _yaml(indent, explicit_start).dump(data, out)
    return out.getvalue()


_KEY_OPENS = re.compile(r"^(?P<lead>\s*(?:-\s+)*)[^\s#][^#]*?:\s*(?:#.*)?$")
_KEY = re.compile(r"^(\s*)[^\s#-][^#]*?:(\s|$)")
_DASH = re.compile(r"^(\s*)-(\s+)\S")


def _significant(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def detect_indent(text: str) -> Indent:
    """The indentation ``text`` uses: the first key opening a mapping or a list decides."""
    lines = _significant(text.splitlines())
    mapping = sequence = offset = None
    for line, nxt in zip(lines, lines[1:], strict=False):
        opens = _KEY_OPENS.match(line)
        if not opens:
            continue
        key_col = len(opens.group("lead"))
        dash = _DASH.match(nxt)
        if dash and sequence is None and len(dash.group(1)) >= key_col:
            offset = len(dash.group(1)) - key_col
            sequence = offset + 1 + len(dash.group(2))
        key = _KEY.match(nxt)
        if key and not dash and mapping is None and len(key.group(1)) > key_col:
            mapping = len(key.group(1)) - key_col
        if mapping is not None and sequence is not None:
            break
    return Indent(mapping or 2, sequence or 2, offset or 0)


_CANDIDATES = [Indent(m, s, o) for m in (2, 4, 3) for s, o in
               ((2, 0), (4, 2), (4, 0), (3, 1), (6, 4), (3, 0), (5, 3))]


def parse(text: str, what: str = "the navigation") -> Document:
    """``text`` as a :class:`Document`; a ``PlanError``-ready ``ValueError`` if it is not YAML.

    The indentation is detected, then checked: the first setting under which the untouched
    file dumps back byte for byte wins; if none does, the detected one is kept. What ruamel
    cannot write the file's way (trailing white space, a different indentation per level)
    is laid out again as the file had it (:func:`_restore`).
    """
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise ValueError(f"{what} is not valid YAML: {exc}") from exc
    explicit = bool(re.match(r"^(?:\s*#.*\n|\s*\n)*---\s*$", text, re.M))
    detected = detect_indent(text)
    for indent in (detected, *[c for c in _CANDIDATES if c != detected]):
        try:
            if _restore(text, _dump(data, indent, explicit)) == text:
                return Document(data, indent, explicit, text)
        except Exception:  # noqa: BLE001 - an indentation ruamel cannot write is not the one
            continue
    return Document(data, detected, explicit, text)


# -- comments between list items -------------------------------------------------------------
#
# ruamel keeps what follows a node (its end-of-line comment, then the blank lines and comment
# lines before the next node) in one token on the last scalar of that node. Moving an item
# must leave the lines after it where they were, and take none of them along.


def _slot(seq: CommentedSeq, index: int) -> tuple[Any, Any]:
    """Where the comment after item ``index`` of ``seq`` lives: (container, key)."""
    container, key = seq, index
    node = seq[index]
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        container, node = node, node[key]
    return container, key


def _position(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


def _get(slot: tuple[Any, Any]) -> CommentToken | None:
    container, key = slot
    entry = container.ca.items.get(key)
    return entry[_position(container)] if entry else None


def _set(slot: tuple[Any, Any], token: CommentToken | None) -> None:
    container, key = slot
    entry = container.ca.items.get(key)
    if entry is None:
        if token is None:
            return
        entry = container.ca.items[key] = [None, None, None, None]
    entry[_position(container)] = token


def _split(token: CommentToken | None) -> tuple[str, str]:
    """(the end-of-line comment, the lines after it) of a token's text."""
    if token is None:
        return "", ""
    value = token.value
    if value.startswith("#"):
        eol, _, rest = value.partition("\n")
        return eol + "\n", rest
    return "", value[1:] if value.startswith("\n") else value


def _tail(seq: CommentedSeq, index: int) -> str:
    return _split(_get(_slot(seq, index)))[1]


def _set_tail(seq: CommentedSeq, index: int, rest: str) -> None:
    slot = _slot(seq, index)
    token = _get(slot)
    eol, _ = _split(token)
    if not eol and not rest:
        _set(slot, None)
        return
    value = eol + rest if eol else "\n" + rest
    if token is None:
        token = CommentToken(value, CommentMark(0), None)
    else:
        token.value = value
    _set(slot, token)


def remove_item(seq: CommentedSeq, index: int) -> Any:
    """Remove and return item ``index`` of ``seq``; what followed it stays where it was."""
    rest = _tail(seq, index)
    eol = _split(_get(_slot(seq, index)))[0]
    if index > 0:
        _set_tail(seq, index - 1, rest)
    item = seq[index]
    del seq[index]
    if isinstance(item, (CommentedMap, CommentedSeq)) and len(item):
        slot = _slot(CommentedSeq([item]), 0)  # inside the item: the holder is never used
        token = _get(slot)
        if token is not None:
            token.value = eol
            _set(slot, token if eol else None)
    return item


def insert_item(seq: CommentedSeq, index: int, item: Any) -> None:
    """Insert ``item`` at ``index`` of ``seq``, keeping the lines after the list after it."""
    if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
        seq.fa.set_block_style()
    appended = index >= len(seq) and len(seq) > 0
    rest = ""
    if appended:
        rest = _tail(seq, len(seq) - 1)
        _set_tail(seq, len(seq) - 1, "")
    elif index > 0:
        before = _tail(seq, index - 1)
        rest = before if not before.strip() else ""
    seq.insert(index, item)
    _set_tail(seq, index, rest)
