"""Markdown pages: their code blocks, the references a docs builder follows, and mentions.

Rewritten: Python code blocks (with the import codemod), mkdocstrings ``::: id`` lines,
doc-builder ``[[autodoc]] id`` lines and ``[`id`]`` references, and links to moved source
files. Every other occurrence of an old path is a *mention*: listed, never rewritten.
"""

from __future__ import annotations

import posixpath
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CodeBlock", "code_blocks", "rewrite_markdown", "find_mentions"]

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
# The one mark shared with the docs test suite (tests/docs): a reason is part of the mark.
_SKIP_COMMENT = re.compile(r"<!--\s*fledge:\s*skip-run\b.*?-->")
_PYTHON = {"python", "py", "python3", "pycon"}
_MKDOCSTRINGS = re.compile(r"^(\s*:::\s+)(\S+)")
_AUTODOC = re.compile(r"^(\s*\[\[autodoc\]\]\s+)(\S+)")
_BRACKET_REF = re.compile(r"\[`([\w.]+)`\]")
_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block.

    Attributes:
        line: 1-based line of the opening fence.
        language: the first word of the info string, lower-cased.
        info: the whole info string.
        code: the code, dedented.
        first: 0-based index of the first code line; ``last`` is one past the last.
        indent: the fence's indentation.
        skip: marked not to run by a ``<!-- fledge: skip-run (reason) -->`` comment on
            the line before the fence.
    """

    line: int
    language: str
    info: str
    code: str
    first: int
    last: int
    indent: str
    skip: bool

    @property
    def is_python(self) -> bool:
        return self.language.strip("{}.") in _PYTHON


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block of ``text``, in order."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent, info = match["fence"], match["indent"], match["info"].strip()
        end = i + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            end += 1
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                for line in lines[i + 1:end]]
        language = (info.split() or [""])[0].lower()
        previous = lines[i - 1] if i > 0 else ""
        skip = bool(_SKIP_COMMENT.fullmatch(previous.strip()))  # a line of its own
        blocks.append(CodeBlock(i + 1, language, info, "\n".join(body) + "\n", i + 1, end,
                                indent, skip))
        i = end + 1
    return blocks


def rewrite_markdown(
    text: str,
    rewrite_code: Callable[[str], str | None],
    rewrite_dotted: Callable[[str], tuple[str, int]],
    rewrite_link: Callable[[str], str | None],
) -> str:
    """``text`` with its Python blocks, builder references and source links rewritten.

    Args:
        text: the page.
        rewrite_code: new source of a Python block, or None to keep it.
        rewrite_dotted: replaces whole dotted paths in a string (returns text and count).
        rewrite_link: the new target of a link, or None to keep it.
    """
    lines = text.splitlines(keepends=True)
    in_code = [False] * len(lines)
    for block in code_blocks(text):
        for index in range(block.first, min(block.last, len(lines))):
            in_code[index] = True
        if not block.is_python:
            continue
        new_code = rewrite_code(block.code)
        if new_code is None or new_code == block.code:
            continue
        new_lines = [(block.indent + line if line.strip() else line) + "\n"
                     for line in new_code.rstrip("\n").split("\n")]
        for index in range(block.first, block.last):
            lines[index] = ""
        if block.first < len(lines):
            lines[block.first] = "".join(new_lines)
    for index, line in enumerate(lines):
        if in_code[index] or not line:
            continue
        line = _MKDOCSTRINGS.sub(lambda m: m[1] + rewrite_dotted(m[2])[0], line)
        line = _AUTODOC.sub(lambda m: m[1] + rewrite_dotted(m[2])[0], line)
        line = _BRACKET_REF.sub(lambda m: f"[`{rewrite_dotted(m[1])[0]}`]", line)
        line = _LINK.sub(lambda m: m[1] + (rewrite_link(m[2]) or m[2]) + m[3], line)
        lines[index] = line
    return "".join(lines)


def relative_link_target(page: str, target: str) -> str | None:
    """The repository path a relative link on ``page`` points at, or None for URLs."""
    if "://" in target or target.startswith(("#", "mailto:", "/")):
        return None
    path = target.split("#", 1)[0]
    if not path:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), path))


def relative_link(page: str, path: str, anchor: str = "") -> str:
    """A link from ``page`` to repository path ``path``."""
    return posixpath.relpath(path, posixpath.dirname(page) or ".") + anchor


def find_mentions(text: str, needles: list[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of every line holding one of ``needles`` as a whole word or path."""
    if not needles or not any(n in text for n in needles):
        return []
    pattern = re.compile("|".join(rf"(?<![\w]){re.escape(n)}(?![\w])" for n in needles))
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            found.append((number, textwrap.shorten(line.strip(), 120)))
    return found
