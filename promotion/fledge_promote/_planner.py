"""Planning a promotion: every move and rewrite, computed in memory before anything is
written."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from libcst.codemod import CodemodContext

from . import codemods as cm
from ._config import PromoteConfig, _package_dir
from ._docs_formats import get_docs_format, remove_notice
from ._errors import PlanError
from ._features import FeatureInfo
from ._markdown import find_mentions
from ._paths import DottedMap, PathMap
from ._plan import Mention, Plan
from ._repo import Repo
from ._rewrite import (
    bump,
    changelog_entry,
    public_names,
    python_commands,
    record,
    rewrite_repository,
    shim_source,
)

__all__ = ["plan_promotion"]

STABLE_PACKAGE_TEMPLATE = '''"""Stable features promoted out of ``{experimental}``.

Names load lazily, on first use, so importing this package stays light.
"""
# Written by `promote`; `promote NAME --apply` adds each promoted feature below.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_import_structure = {{
    "{key}": [{names}],
}}

if TYPE_CHECKING:
    from .{key} import {imports}

__all__ = sorted(name for names in _import_structure.values() for name in names)


def __getattr__(name: str) -> Any:
    for module, names in _import_structure.items():
        if name in names:
            value = getattr(importlib.import_module(f"{{__name__}}.{{module}}"), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
'''


def _module_of(path: str, inits: set[str]) -> str:
    """Dotted module of ``path`` given the ``__init__.py`` files that will exist."""
    parts = posixpath.splitext(path)[0].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    folder = posixpath.dirname(path)
    start = len(folder.split("/")) if folder else 0
    while folder and f"{folder}/__init__.py" in inits:
        folder = posixpath.dirname(folder)
        start -= 1
    return ".".join(parts[start:])


def plan_promotion(
    repo: Repo, config: PromoteConfig, info: FeatureInfo,
    progress: Callable[[str], None] = lambda line: None,
) -> Plan:
    """Plan the promotion of experimental feature ``info`` into the stable package.

    Raises:
        PlanError: the destination exists, an export clashes, or a rewrite broke a file.
    """
    plan = Plan("promote", info.name)
    new_package = f"{config.stable_package}.{info.name}"
    new_dir = f"{config.stable_dir}/{info.name}"
    if repo.exists(new_dir):
        raise PlanError([f"{new_dir}/ already exists; remove it or rename the feature"])
    version = config.version
    removal = bump(version, config.deprecation_releases)
    inits = {p for p in repo.files((".py",)) if p.endswith("/__init__.py")}

    # -- what moves ------------------------------------------------------------------------
    code_moves = [(p, new_dir + p[len(info.package_dir):]) for p in repo.files_under(
        info.package_dir)]
    test_moves = []
    for test in info.tests:
        dest = f"{config.stable_tests}/{posixpath.basename(test)}"
        for p in repo.files_under(test):
            test_moves.append((p, dest + p[len(test):]))
    for _, new in code_moves + test_moves:
        if repo.exists(new):
            raise PlanError([f"cannot move onto {new}: it exists"])
    plan.moves = code_moves + test_moves
    new_inits = inits | {new for _, new in plan.moves if new.endswith("/__init__.py")}
    rules = {info.package: new_package}
    for old, new in test_moves:
        if old.endswith(".py"):
            old_module, new_module = repo.module_name(old), _module_of(new, new_inits)
            if old_module and new_module and old_module != new_module and "." in old_module:
                rules[old_module] = new_module
    mapping = DottedMap(rules.items())
    new_export_module = mapping.map(info.export_module) or info.export_module
    stable_path = config.export_to[0] if config.export_to else new_export_module
    aliases = {a.format(name=info.name): stable_path for a in config.public_aliases}
    docs_mapping = DottedMap({**rules, **aliases}.items())
    test_dirs = [(t, f"{config.stable_tests}/{posixpath.basename(t)}") for t in info.tests]
    paths = PathMap([(info.package_dir, new_dir), *test_dirs])
    plan.facts = {
        "from": info.package, "to": new_package, "stable import path": stable_path,
        "exports": list(info.exports), "promoted in": version, "shim removed in": removal,
        "tests": [f"{o} -> {n}" for o, n in paths.moves if o != info.package_dir],
    }
    plan.test_paths = [f"{config.stable_tests}/{posixpath.basename(t)}" for t in info.tests]

    # -- moved files: relative imports, then every reference -------------------------------
    progress(f"rewriting {len(plan.moves)} moved files")
    for old, new in plan.moves:
        text = repo.read(old)
        plan.originals[new] = text
        if text is None or not old.endswith(".py"):
            continue
        old_module = repo.module_name(old) or ""
        new_module = _module_of(new, new_inits)
        is_package = old.endswith("__init__.py")
        commands = [cm.FixRelativeImportsCommand(CodemodContext(), mapping, old_module,
                                                 new_module, is_package)]
        commands += python_commands(docs_mapping, new_module, is_package)
        if config.manifests == "fledge" and info.manifest is not None and old == info.manifest_file:
            changes = {"stage": "stable", "stable_path": stable_path, "promoted_in": version,
                       "removal": removal}
            if info.manifest.tests:
                changes["tests"] = tuple(paths.map(t) or t for t in info.manifest.tests)
            commands.append(cm.UpdateManifestCommand(CodemodContext(), changes))
        result = cm.run_commands(new, text, commands)
        if result.status == "failed":
            plan.failures.append(f"{old}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            plan.writes[new] = result.code
        if old == info.manifest_file and result.status != "changed":
            plan.failures.append(f"{old}: the manifest could not be updated ({result.reason})")

    # -- the rest of the repository -------------------------------------------------------
    rewrite_repository(repo, plan, mapping, paths, needle=info.name,
                       skip=[o for o, _ in plan.moves], progress=progress,
                       docs_mapping=docs_mapping)
    _shims(repo, config, info, plan, code_moves, stable_path, version, removal)
    _exports(repo, config, info, plan, new_export_module)
    _docs(repo, config, info, plan)
    _changelog(repo, config, plan, f"- Promoted `{info.name}` to the stable API: import it from "
               f"`{stable_path}`. The old path `{info.package}` warns and goes away in "
               f"{removal}.")
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, [info.package, info.package_dir,
                                                  *info.tests, *aliases])
    return plan


def _shims(repo, config, info, plan, code_moves, stable_path, version, removal) -> None:
    for old, _new in code_moves:
        if not old.endswith(".py"):
            continue
        old_module = repo.module_name(old) or ""
        new_module = new_module_name(old_module, info, config)
        is_package = old.endswith("__init__.py")
        target = stable_path if is_package and info.manifest is None else new_module
        message = (f"{old_module} was promoted to the stable API in {version}: import it from "
                   f"{target} instead. This shim will be removed in {removal}.")
        names = public_names(repo.read(old) or "")
        plan.writes[old] = shim_source(old_module, new_module, names, message=message,
                                       version=version, removal=removal)
        plan.originals.setdefault(old, None)
    plan.notes.append(f"shims left at {info.package_dir}/ warn with FutureWarning until "
                      f"{removal}")


def new_module_name(old_module: str, info: FeatureInfo, config: PromoteConfig) -> str:
    return f"{config.stable_package}.{info.name}" + old_module[len(info.package):]


def _exports(repo, config, info, plan, new_export_module) -> None:
    if not info.exports:
        plan.notes.append("the feature has no public names to export")
        return
    source = new_export_module
    for package in config.export_to:
        init = f"{_package_dir(config.source_root, package)}/__init__.py"
        if not source.startswith(package + "."):
            plan.failures.append(f"export_to {package!r}: {source} is not inside it")
            continue
        submodule = cm.submodule_of(package, source)
        text = plan.writes.get(init, repo.read(init))
        if text is None:
            if package != config.stable_package:
                plan.failures.append(f"export_to {package!r}: {init} does not exist")
                continue
            names = ", ".join(f'"{n}"' for n in info.exports)
            record(plan, repo, init, STABLE_PACKAGE_TEMPLATE.format(
                experimental=config.experimental_package, key=submodule, names=names,
                imports=", ".join(info.exports)))
        else:
            result = cm.run_commands(init, text, [cm.AddExportsCommand(
                CodemodContext(), submodule, info.exports)])
            if result.status == "failed":
                plan.failures.append(f"{init}: {result.reason.strip().splitlines()[-1]}")
            elif result.status == "changed":
                record(plan, repo, init, result.code)
        source = package  # an outer package re-exports from the inner one


def _docs(repo: Repo, config: PromoteConfig, info: FeatureInfo, plan: Plan) -> None:
    page = info.docs_page
    fmt = get_docs_format(config)
    if page and repo.exists(page):
        text = plan.writes.get(page, repo.read(page)) or ""
        new, found = remove_notice(text)
        if found:
            record(plan, repo, page, new)
        else:
            plan.notes.append(f"{page}: no experimental notice found to remove")
    else:
        plan.notes.append(f"no docs page at {page}; nothing to move in the navigation")
        return
    nav = plan.writes.get(config.nav_file, repo.read(config.nav_file))
    if nav is None:
        plan.notes.append(f"no navigation file {config.nav_file}")
        return
    ref = fmt.page_ref(config, page)
    sections = fmt.sections(nav, ref)
    if config.experimental_section not in sections:
        plan.notes.append(f"{ref} is not in the {config.experimental_section!r} section of "
                          f"{config.nav_file}; navigation left as it is")
        return
    record(plan, repo, config.nav_file, fmt.move_entry(
        nav, ref, config.experimental_section, config.stable_section))
    plan.notes.append(f"{config.nav_file}: {ref} moved from {config.experimental_section!r} to "
                      f"{config.stable_section!r}")


def _changelog(repo: Repo, config: PromoteConfig, plan: Plan, line: str) -> None:
    if not config.changelog:
        return
    text = plan.writes.get(config.changelog, repo.read(config.changelog))
    record(plan, repo, config.changelog, changelog_entry(text, line))


def _verify(plan: Plan) -> None:
    for path, text in plan.writes.items():
        if path.endswith(".py"):
            try:
                compile(text, path, "exec", dont_inherit=True)
            except SyntaxError as exc:
                plan.failures.append(f"{path}: the rewritten file does not compile: {exc}")


def collect_mentions(repo: Repo, plan: Plan, needles: list[str]) -> list[Mention]:
    """Old paths still present in the final tree, except in shims and the changelog."""
    from ._features import RETIRED_MARKER, SHIM_MARKER

    needles = [n for n in needles if n]
    final = set(repo.files()) - {o for o, _ in plan.moves} - set(plan.deletes)
    final |= set(plan.writes)
    mentions = []
    for path in sorted(final):
        text = plan.writes.get(path) if path in plan.writes else repo.read(path)
        if text is None or SHIM_MARKER in text or RETIRED_MARKER in text:
            continue
        if posixpath.basename(path).lower().startswith("changelog"):
            continue
        mentions.extend(Mention(path, line, snippet) for line, snippet in find_mentions(
            text, needles))
    return mentions
