"""How an included feature is found: an entry point where the target registers its features
that way, else (a host reading its folder) its package's ``__init__`` exporting its names."""

from __future__ import annotations

import posixpath
import re

from fledge import Feature

from ..._errors import UsageError
from ...repository._exports import shadowed_exports, submodule_names
from ...repository._features import _static_manifest
from ...repository._repo import Repo
from .. import codemods as cm
from .._plan import Plan
from .._rewrite import record
from ._prototype import Prototype

__all__ = ["add_entry_point", "entry_table", "exported", "in_tree_exports"]


def entry_table(repo: Repo, group: str | None) -> re.Match | None:
    """The target's ``[project.entry-points.<group>]`` header, where it registers features
    through entry points."""
    if group is None:
        return None
    text = repo.read("pyproject.toml") or ""
    return re.search(rf"""^\[project\.entry-points\.(?:"{re.escape(group)}"|"""
                     rf"""{re.escape(group)})\]\s*$""", text, re.M)


def add_entry_point(repo: Repo, plan: Plan, prototype: Prototype, new_package: str) -> None:
    """The feature's entry point, after the last key of the target's table."""
    text = plan.writes.get("pyproject.toml", repo.read("pyproject.toml")) or ""
    header = entry_table(repo, prototype.group)
    assert header is not None
    # blank lines and comments below the table's last key introduce the next table
    lines = text[header.end():].split("\n")
    last = 0
    for i, current in enumerate(lines[1:], 1):
        if current.startswith("["):
            break
        if current.strip() and not current.lstrip().startswith("#"):
            last = i
    line = f'{prototype.name} = "{new_package}"'
    lines.insert(last + 1, line)
    record(plan, repo, "pyproject.toml", text[:header.end()] + "\n".join(lines))
    plan.notes.append(f"pyproject.toml: entry point {prototype.group} {line}")


def in_tree_exports(prototype: Prototype, generated: str | None
                     ) -> tuple[str, list[str]] | None:
    """Where the feature's exports live (relative to its package) and their names, read
    from its manifest (the plugin's, or the one written for it): an in-tree feature's
    package ``__init__`` must export them."""
    init = prototype.package / "__init__.py"
    found = _static_manifest(generated or init.read_text(encoding="utf-8"))
    if not isinstance(found, Feature):
        raise UsageError(f"{init}: {found}")
    top = prototype.module if generated is None else found.module.rpartition(".")[0]
    module = found.module
    if module == top or not module.startswith(top + "."):
        return None  # the package exports them itself
    return module[len(top) + 1:], list(found.exports)


def exported(plan: Plan, dest: str, text: str, submodule: str, names: list[str],
              style) -> str:
    result = cm.run_commands(dest, text, [cm.AddExportsCommand(submodule, names, style)])
    if result.status == "failed":
        plan.failures.append(f"{dest}: {result.reason.strip().splitlines()[-1]}")
    code = result.code if result.status == "changed" else text
    # the included package is new: its submodules are among the files the plan writes
    plan.failures += [f"{dest}: exports {n!r}, also the name of its submodule {n}: importing "
                      "the submodule would replace the export; rename one of them"
                      for n in shadowed_exports(code, submodule_names(posixpath.dirname(dest),
                                                                      plan.writes))]
    return code
