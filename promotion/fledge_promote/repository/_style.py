"""The target repository's code style, so that what promote writes looks like its own code.

Read from its ruff configuration (``ruff.toml``, ``.ruff.toml`` or ``[tool.ruff]``), else
black's and isort's: the line length, the blank lines after imports, and how isort orders
imported names. Files promote creates start with the licence header of the files it moves.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TargetStyle", "licence_header", "member_key", "read_style"]

_LICENCE_WORDS = re.compile(r"copyright|licen[cs]e|spdx", re.I)


@dataclass(frozen=True)
class TargetStyle:
    """How the target writes Python.

    Attributes:
        line_length: the formatter's line length.
        lines_after_imports: blank lines after the import block (-1: the formatter decides,
            which is one before a statement and two before a class or function).
        order_by_type: isort's ``order-by-type`` (constants, classes, then the rest).
        header: the licence header comment (with its newline), or "".
    """

    line_length: int = 88
    lines_after_imports: int = -1
    order_by_type: bool = True
    header: str = ""

    def with_header(self, header: str) -> TargetStyle:
        return TargetStyle(self.line_length, self.lines_after_imports, self.order_by_type,
                           header)

    @property
    def blank_after_imports(self) -> str:
        return "\n" * (2 if self.lines_after_imports == 2 else 1)

    def from_import(self, module: str, names: Sequence[str], indent: str = "") -> str:
        """``from module import names`` on one line, or one name a line when too long."""
        ordered = sorted(dict.fromkeys(names), key=member_key(self.order_by_type))
        line = f"{indent}from {module} import {', '.join(ordered)}"
        if len(line) <= self.line_length:
            return line + "\n"
        inner = "".join(f"{indent}    {name},\n" for name in ordered)
        return f"{indent}from {module} import (\n{inner}{indent})\n"

    def string_list(self, target: str, items: Sequence[str]) -> str:
        """``target = ["a", "b"]`` on one line, or one item a line when too long."""
        quoted = [f'"{item}"' for item in items]
        line = f"{target} = [{', '.join(quoted)}]"
        if len(line) <= self.line_length:
            return line + "\n"
        return f"{target} = [\n" + "".join(f"    {q},\n" for q in quoted) + "]\n"

    def string_argument(self, text: str, indent: str = "    ") -> str:
        """A string literal argument line (``indent"text",``), split into implicitly
        concatenated pieces when it does not fit the line length."""
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        if len(indent) + len(escaped) + 3 <= self.line_length:
            return f'{indent}"{escaped}",\n'
        room = self.line_length - len(indent) - 3
        pieces: list[str] = []
        current = ""
        for word in re.split(r"(?<= )", escaped):
            if current and len(current) + len(word) > room:
                pieces.append(current)
                current = ""
            current += word
        pieces.append(current)
        body = "".join(f'{indent}"{piece}"\n' for piece in pieces[:-1])
        return body + f'{indent}"{pieces[-1]}",\n'


def member_key(order_by_type: bool = True):
    """isort's (and ruff's) order of the names in ``from x import a, B, C_D``."""

    def key(name: str) -> tuple[int, str, str]:
        if not order_by_type:
            return (0, name.lower(), name)
        if len(name) > 1 and name.isupper():
            kind = 0
        elif name[:1].isupper():
            kind = 1
        else:
            kind = 2
        return (kind, name.lower(), name)

    return key


def is_sorted(names: Iterable[str], order_by_type: bool = True) -> bool:
    listed = list(names)
    return listed == sorted(listed, key=member_key(order_by_type))


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def read_style(root: Path, pyproject: dict[str, Any] | None = None) -> TargetStyle:
    """The style of the repository at ``root`` (ruff first, then black and isort)."""
    pyproject = pyproject if pyproject is not None else _load(root / "pyproject.toml")
    tool = pyproject.get("tool", {})
    ruff: dict[str, Any] | None = None
    for name in ("ruff.toml", ".ruff.toml"):
        if (root / name).is_file():
            ruff = _load(root / name)
            break
    if ruff is None:
        ruff = tool.get("ruff")
    black = tool.get("black", {})
    isort = tool.get("isort", {})
    line_length = 88
    lines_after = -1
    order_by_type = True
    if isinstance(black, dict) and isinstance(black.get("line-length"), int):
        line_length = black["line-length"]
    if isinstance(isort, dict):
        if isinstance(isort.get("line_length"), int) and not black:
            line_length = isort["line_length"]
        if isinstance(isort.get("lines_after_imports"), int):
            lines_after = isort["lines_after_imports"]
        if isinstance(isort.get("order_by_type"), bool):
            order_by_type = isort["order_by_type"]
    if isinstance(ruff, dict):
        if isinstance(ruff.get("line-length"), int):
            line_length = ruff["line-length"]
        fmt = ruff.get("format", {})
        if isinstance(fmt, dict) and isinstance(fmt.get("line-length"), int):
            line_length = fmt["line-length"]
        lint = ruff.get("lint", {})
        ruff_isort = (lint.get("isort") if isinstance(lint, dict) else None) or ruff.get(
            "isort", {})
        if isinstance(ruff_isort, dict):
            if isinstance(ruff_isort.get("lines-after-imports"), int):
                lines_after = ruff_isort["lines-after-imports"]
            if isinstance(ruff_isort.get("order-by-type"), bool):
                order_by_type = ruff_isort["order-by-type"]
    return TargetStyle(line_length, lines_after, order_by_type)


def licence_header(source: str) -> str:
    """The leading comment block of ``source`` when it is a licence header, else ""."""
    lines = source.splitlines(keepends=True)
    end = 0
    while end < len(lines) and lines[end].startswith("#"):
        end += 1
    block = "".join(lines[:end])
    if not block or not _LICENCE_WORDS.search(block) or block.startswith("#!"):
        return ""
    return block if block.endswith("\n") else block + "\n"
