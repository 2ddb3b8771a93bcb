"""Checks the proof tests run on a repository after promote: the target's own ruff, and the
docs' link graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from fledge_promote.repository._links import find_links, resolve_link


def dead_links(root: Path, docs: str = "docs/source") -> list[str]:
    """Every relative link of the docs that points at no file (the docs' link graph)."""
    dead = []
    for page in sorted((root / docs).rglob("*.md")):
        rel = page.relative_to(root).as_posix()
        for link in find_links(page.read_text(encoding="utf-8")):
            href = link.href
            if link.kind == "autolink" or "://" in href or href.startswith(("#", "mailto:")):
                continue
            if resolve_link(rel, href, lambda p: (root / p).exists()) is None:
                dead.append(f"{rel}:{link.line}: {href}")
    return dead


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RUFF_CACHE_DIR": str(root / ".ruff_cache")}
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=root, capture_output=True,
                          text=True, env=env)


def findings(root: Path, files: dict[str, str]) -> Counter:
    """ruff's findings under the target's own configuration, per logical file."""
    done = ruff(root, "check", "--output-format", "json", "--exit-zero", "--no-cache",
                *files.values())
    found = Counter()
    back = {v: k for k, v in files.items()}
    for item in json.loads(done.stdout or "[]"):
        rel = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        found[(back.get(rel, rel), item["code"])] += 1
    return found
