"""Every Python code block in docs/ runs, offline, with the testing kit.

A block that must not run (it needs a GPU, the network, or is a fragment) carries a mark with
its reason on the line just before its fence::

    <!-- fledge: skip-run (needs a GPU) -->
    ```python
    ...
    ```

A mark without a reason, or one that marks no Python block, fails the suite. The blocks of a
page run in order in one namespace, as a reader would run them, inside a fresh registry (so
the experimental notice shows again) and a temporary working directory; pages whose code
loads the hub's tiny model or dataset run inside the kit's ``offline_hub``.
"""

from __future__ import annotations

import os
import re
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*\{?\.?(?P<lang>[\w+-]*)")
_MARK = re.compile(r"<!--\s*fledge:\s*skip-run\b(?P<rest>.*?)-->")
_REASON = re.compile(r"^\s*\((?P<reason>[^()]*\S[^()]*)\)\s*$")
_PYTHON = frozenset({"python", "py", "python3"})
_NEEDS_HUB = ("trl-internal-testing/", "from_pretrained(", "load_dataset(")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    line: int  # of the first code line, 1-based
    lang: str
    code: str
    skip: str | None  # the skip reason, when marked


class MarkError(ValueError):
    """A skip-run mark is malformed or marks nothing."""


def parse(text: str, page: str) -> list[Block]:
    """The fenced blocks of a Markdown page, with their skip marks.

    Raises:
        MarkError: a mark has no reason, or is not right before a Python fence.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str] | None = None  # (line, reason) of the mark just seen
    i = 0
    while i < len(lines):
        line = lines[i]
        mark = _MARK.fullmatch(line.strip())  # a mark is a line of its own
        fence = _FENCE.match(line)
        if pending is not None and not fence:
            raise MarkError(f"{page}:{pending[0]}: a skip-run mark must be on the line right "
                            "before a ```python fence")
        if mark:
            reason = _REASON.match(mark.group("rest"))
            if reason is None:
                raise MarkError(f"{page}:{i + 1}: skip-run mark without a reason; write "
                                "<!-- fledge: skip-run (why it cannot run) -->")
            pending = (i + 1, reason.group("reason").strip())
            i += 1
            continue
        if fence:
            indent, chars, lang = fence.group("indent"), fence.group("fence"), fence.group("lang")
            body: list[str] = []
            i += 1
            while i < len(lines) and not re.match(
                rf"^{re.escape(indent)}{chars[0]}{{{len(chars)},}}\s*$", lines[i]
            ):
                body.append(lines[i])
                i += 1
            code = textwrap.dedent("\n".join(body))
            skip = pending[1] if pending else None
            if pending is not None and lang.lower() not in _PYTHON:
                raise MarkError(f"{page}:{pending[0]}: a skip-run mark marks a {lang or 'plain'} "
                                "block; only Python blocks run")
            blocks.append(Block(page, i - len(body) + 1, lang.lower(), code, skip))
            pending = None
        i += 1
    if pending is not None:
        raise MarkError(f"{page}:{pending[0]}: a skip-run mark at the end marks nothing")
    return blocks


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _runnable(page: Path) -> list[Block]:
    blocks = parse(page.read_text(encoding="utf-8"), page.relative_to(REPO).as_posix())
    return [b for b in blocks if b.lang in _PYTHON and b.skip is None]


PAGES = [p for p in _pages() if _runnable(p)] if DOCS.is_dir() else []


# -- the marks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_skip_mark_has_a_reason_and_marks_a_python_block(page: Path) -> None:
    parse(page.read_text(encoding="utf-8"), page.relative_to(REPO).as_posix())


def test_the_parser_finds_blocks_marks_and_reasons() -> None:
    text = textwrap.dedent("""\
        # t

        ```python
        a = 1
        ```

        <!-- fledge: skip-run (needs a GPU) -->
        ```python
        import cuda_only
        ```

        !!! note
            ```py
            b = 2
            ```

        ```bash
        echo hi
        ```
        """)
    blocks = parse(text, "t.md")
    assert [(b.lang, b.code.strip(), b.skip, b.line) for b in blocks] == [
        ("python", "a = 1", None, 4),
        ("python", "import cuda_only", "needs a GPU", 9),
        ("py", "b = 2", None, 14),
        ("bash", "echo hi", None, 18),
    ]


@pytest.mark.parametrize("text", [
    "<!-- fledge: skip-run -->\n```python\nx\n```\n",
    "<!-- fledge: skip-run () -->\n```python\nx\n```\n",
    "<!-- fledge: skip-run (why) -->\n\n```python\nx\n```\n",
    "<!-- fledge: skip-run (why) -->\n```bash\nx\n```\n",
    "text\n<!-- fledge: skip-run (why) -->\n",
])
def test_a_bad_mark_is_an_error(text: str) -> None:
    with pytest.raises(MarkError, match="t.md:"):
        parse(text, "t.md")


# -- the notice ---------------------------------------------------------------------------------

def test_the_configured_filter_silences_the_notice_in_docs_blocks_only() -> None:
    """pyproject.toml's ``filterwarnings`` ignores the experimental notice raised from code
    run as a docs block (``__name__ == "__docs__"``), and nowhere else."""
    import fledge

    code = compile("import warnings\nwarnings.warn('notice', ExperimentalWarning)",
                   "docs/page.md:3", "exec")
    with warnings.catch_warnings(record=True) as seen:  # pytest's configured filters stay
        for name in ("__docs__", "__main__", "tests.test_namespace"):
            exec(code, {"__name__": name, "ExperimentalWarning": fledge.ExperimentalWarning})  # noqa: S102
    assert [w.category for w in seen] == [fledge.ExperimentalWarning] * 2


# -- running the blocks -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_the_python_blocks_of_each_page_run(
    page: Path, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _runnable(page)
    request.getfixturevalue("fledge_registry")
    if any(needle in b.code for b in blocks for needle in _NEEDS_HUB):
        request.getfixturevalue("offline_hub")  # also makes the hub folder the cwd
    else:
        monkeypatch.chdir(tmp_path)
    for variable in ("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE"):
        monkeypatch.delenv(variable, raising=False)
    environ = dict(os.environ)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        with warnings.catch_warnings():
            for block in blocks:
                code = compile(block.code, f"{block.page}:{block.line}", "exec")
                try:
                    exec(code, namespace)  # noqa: S102 - running the docs is the point
                except Exception as exc:
                    raise AssertionError(
                        f"the code block at {block.page}:{block.line} raised "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
    finally:
        os.environ.clear()
        os.environ.update(environ)
