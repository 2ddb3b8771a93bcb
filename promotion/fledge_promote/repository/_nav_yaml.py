"""Line-based editing of YAML navigation lists, so a move changes only the lines it must.

A YAML list item (``- ...``) and every following line indented deeper form one *block*.
Moving a navigation entry cuts its block, re-indents it, and pastes it at the end of the
target section's block; the result is parsed again to prove it is still valid YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

__all__ = ["Block", "blocks", "load_yaml"]


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


_ITEM = re.compile(r"^(\s*)-\s")


@dataclass(frozen=True)
class Block:
    """One list item: lines ``start`` (its ``- `` line) to ``end`` (exclusive)."""

    start: int
    end: int
    indent: int


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def blocks(lines: list[str]) -> list[Block]:
    """Every list item of the file, outer items before the items they contain."""
    found = []
    for i, line in enumerate(lines):
        match = _ITEM.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        end = i + 1
        while end < len(lines):
            nxt = lines[end]
            if nxt.strip() and indent_of(nxt) <= indent:
                break
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        found.append(Block(i, end, indent))
    return found


def children(lines: list[str], parent: Block) -> list[Block]:
    """The items directly inside ``parent``."""
    inner = [b for b in blocks(lines) if parent.start < b.start < parent.end]
    if not inner:
        return []
    level = min(b.indent for b in inner)
    return [b for b in inner if b.indent == level]


def reindent(chunk: list[str], delta: int) -> list[str]:
    if delta >= 0:
        return [(" " * delta + line) if line.strip() else line for line in chunk]
    return [line[-delta:] if line[:-delta].strip() == "" else line.lstrip() for line in chunk]
