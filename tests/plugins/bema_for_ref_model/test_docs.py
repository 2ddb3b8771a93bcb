"""The feature's docs page: every Python block runs, offline, in the kit's hub folder."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[3] / "docs" / "features" / "bema_for_ref_model.md"
SKIP = re.compile(r"<!--\s*fledge:\s*skip-run\b")


def _blocks() -> list[tuple[int, str]]:
    lines = DOCS.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            start = i
            i += 1
            body = []
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            skipped = start > 0 and SKIP.search(lines[start - 1])
            if not skipped:
                blocks.append((start + 1, "\n".join(body)))
        i += 1
    return blocks


def test_page_documents_every_parameter():
    import inspect

    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    text = DOCS.read_text()
    for name in inspect.signature(BEMACallback).parameters:
        assert f"`{name}`" in text, name


@pytest.mark.slow
@pytest.mark.parametrize("line, code", _blocks(), ids=lambda v: str(v) if isinstance(v, int)
                         else "")
def test_python_block_runs(line, code, offline_hub):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, f"{DOCS.name}:{line}", "exec"), {"__name__": "__docs__"})
