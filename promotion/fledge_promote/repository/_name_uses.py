"""Where a feature's name is already used in the target repository.

A lifecycle verb that brings a new name in (``include``) refuses a name the repository
already uses, up front, naming each place. A name is taken when it is:

- **a feature**: a feature package of that name in the experimental or stable folder, or a
  key of that name in one of the target's ``[project.entry-points.*]`` tables;
- **a module or package of the target**: ``<experimental_package>.<name>`` or
  ``<stable_package>.<name>`` as a module or package, a flat stable module
  ``<stable_package>/<name>_*.py`` (what ``stable_layout = "flat"`` promotes to), or a
  top-level module or package ``<name>`` under ``source_root``;
- **a name in the docs' code**: the whole identifier ``<name>``, alone or as a part of a
  dotted path (``fledge.experimental.word_variety``), but not inside a longer identifier
  (``word_variety_v2``), in a fenced code block of a Markdown page under ``docs_dir``:
  there a later rewrite of that name would edit the page's example. The first use in each
  block is named.

Prose and inline code are not counted: they are read, not run.
"""

from __future__ import annotations

import re

from ._config import PromoteConfig
from ._markdown import code_blocks
from ._repo import Repo

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["name_uses"]


def name_uses(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    """Every place ``name`` is already used in the repository, one line each (empty: free)."""
    return [*_features(repo, config, name), *_modules(repo, config, name),
            *_docs_code(repo, config, name)]


def _features(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    uses = []
    for folder, stage in ((config.experimental_dir, "experimental"),
                          (config.stable_dir, "stable")):
        if repo.exists(f"{folder}/{name}/__init__.py"):
            uses.append(f"{folder}/{name}/: the {stage} feature {name!r}")
    try:
        project = tomllib.loads(repo.read("pyproject.toml") or "").get("project", {})
    except tomllib.TOMLDecodeError:
        project = {}
    points = project.get("entry-points") if isinstance(project, dict) else None
    for group, table in points.items() if isinstance(points, dict) else ():
        if isinstance(table, dict) and name in table:
            uses.append(f"pyproject.toml: [project.entry-points.{group}] {name} = "
                        f"{table[name]!r}")
    return uses


def _modules(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    root = config.source_root.strip("/")
    uses = [f"{folder}/{name}.py: the module {package}.{name}"
            for folder, package in ((config.experimental_dir, config.experimental_package),
                                    (config.stable_dir, config.stable_package))
            if repo.exists(f"{folder}/{name}.py")]  # their packages are features (above)
    top = f"{root}/{name}" if root not in ("", ".") else name
    if repo.exists(f"{top}.py"):
        uses.append(f"{top}.py: the top-level module {name}")
    elif repo.exists(f"{top}/__init__.py"):
        uses.append(f"{top}/: the top-level package {name}")
    if config.stable_layout == "flat":
        uses += [f"{path}: a module of the flat stable layout" for path in
                 repo.glob(f"{config.stable_dir}/{name}_*.py")]
    return uses


def _docs_code(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    word = re.compile(rf"(?<![\w]){re.escape(name)}(?!\w)")
    uses = []
    for page in repo.files((".md", ".mdx")):
        if not page.startswith(config.docs_dir.rstrip("/") + "/"):
            continue
        text = repo.read(page) or ""
        if name not in text:
            continue
        for block in code_blocks(text):
            for offset, line in enumerate(block.code.splitlines(), 1):
                if word.search(line):
                    uses.append(f"{page}:{block.first + offset}: {line.strip()[:80]} "
                                "(code in the docs)")
                    break
    return uses
