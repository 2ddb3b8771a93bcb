"""Planning a promotion: every move and rewrite, computed in memory before anything is
written."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .._errors import PlanError
from ..repository._config import PromoteConfig, _package_dir
from ..repository._docs_formats import get_docs_format, remove_notice
from ..repository._features import FeatureInfo
from ..repository._markdown import find_mentions
from ..repository._repo import Repo
from ..repository._style import TargetStyle, licence_header, read_style
from . import codemods as cm
from ._layout import export_sources, new_stable_package, plan_layout, refuse_shadowed_exports
from ._moved_tests import rewrite_stage_expectations
from ._paths import DottedMap, PathMap
from ._plan import Mention, Plan
from ._rewrite import (
    bump,
    changelog_entry,
    deprecate_exports,
    module_of,
    record,
    rewrite_moved,
    rewrite_repository,
)
from ._shims import defined_names, shim_source

__all__ = ["plan_promotion"]

def plan_promotion(
    repo: Repo, config: PromoteConfig, info: FeatureInfo,
    progress: Callable[[str], None] = lambda line: None,
) -> Plan:
    """Plan the promotion of experimental feature ``info`` into the stable package.

    Raises:
        PlanError: the destination exists, an export clashes, or a rewrite broke a file.
    """
    plan = Plan("promote", info.name)
    version = config.version
    removal = bump(version, config.deprecation_releases)
    inits = {p for p in repo.files((".py",)) if p.endswith("/__init__.py")}
    stable_path = config.export_to[0] if config.export_to else None
    layout = plan_layout(repo, config, info, stable_path or config.stable_package)

    # -- what moves ------------------------------------------------------------------------
    code_moves = layout.code_moves
    test_moves = []
    for test in info.tests:
        dest = f"{config.stable_tests}/{posixpath.basename(test)}"
        for p in repo.files_under(test):
            test_moves.append((p, dest + p[len(test):]))
    taken = [f"cannot move {old} onto {new}: it exists" for old, new in test_moves
             if repo.exists(new)]
    if taken:
        raise PlanError(taken)
    plan.moves = code_moves + test_moves
    new_inits = inits | {new for _, new in plan.moves if new.endswith("/__init__.py")}
    rules = dict(layout.rules)
    for old, new in test_moves:
        if old.endswith(".py"):
            old_module, new_module = repo.module_name(old), module_of(new, new_inits)
            if old_module and new_module and old_module != new_module and "." in old_module:
                rules[old_module] = new_module
    mapping = DottedMap(rules.items())
    new_export_module = mapping.map(info.export_module) or info.export_module
    stable_path = stable_path or new_export_module
    aliases = {a.format(name=info.name): stable_path for a in config.public_aliases}
    docs_rules = {**rules, **aliases}
    if config.docs_format == "doc-builder":  # `experimental.x.Name`: relative to the top
        docs_rules.update(_builder_short_rules(config, info, rules, stable_path))
    docs_mapping = DottedMap(docs_rules.items())
    test_dirs = [(t, f"{config.stable_tests}/{posixpath.basename(t)}") for t in info.tests]
    paths = PathMap([*layout.folder_moves, *test_dirs])
    style = _style_for(repo, config, [old for old, _ in code_moves] + layout.stays)
    plan.facts = {
        "from": info.package, "to": layout.new_package or config.stable_package,
        "layout": config.stable_layout, "stable import path": stable_path,
        "exports": list(info.exports), "promoted in": version, "shim removed in": removal,
        "tests": [f"{o} -> {n}" for o, n in test_dirs],
    }
    plan.test_paths = [f"{config.stable_tests}/{posixpath.basename(t)}" for t in info.tests]

    # -- moved files: relative imports, then every reference -------------------------------
    progress(f"rewriting {len(plan.moves)} moved files")
    manifest = None
    if config.manifests == "fledge" and info.manifest is not None:
        changes = {"stage": "stable", "stable_path": stable_path, "promoted_in": version,
                   "removal": removal}
        if info.manifest.tests:
            changes["tests"] = tuple(paths.map(t) or t for t in info.manifest.tests)
        manifest = (info.manifest_file, changes)
    rewrite_moved(repo, plan, plan.moves, mapping, docs_mapping, new_inits, manifest)
    rewrite_stage_expectations(repo, plan, test_moves, "experimental", "stable")

    # -- the rest of the repository -------------------------------------------------------
    # (names the experimental package exported stay, through the shim: lazy, warning on use)
    kept = deprecate_exports(repo, config, plan, dict.fromkeys(info.exports, info.package),
                             {info.package, *rules}, packages=[config.experimental_package])
    rewrite_repository(repo, plan, mapping, paths, needle=info.name,
                       skip=[o for o, _ in plan.moves] + kept, progress=progress,
                       docs_mapping=docs_mapping)
    sources = export_sources(repo, config, info, mapping)
    _shims(repo, info, plan, code_moves + [(p, p) for p in layout.stays], mapping, sources,
           stable_path, version, removal, style)
    _exports(repo, config, info, plan, sources, style)
    refuse_shadowed_exports(repo, config.export_to, config.source_root, plan)
    _docs(repo, config, info, plan, [info.package, *aliases])
    _changelog(repo, config, plan, promoted_entry(info, stable_path, list(aliases), removal))
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, [info.package, info.package_dir,
                                                  *info.tests, *aliases])
    return plan


def promoted_entry(info: FeatureInfo, stable_path: str, aliases: list[str], removal: str
                   ) -> str:
    """The changelog line of a promotion, in the import paths users type: the stable
    ``from ... import`` and the old public path (a namespace alias when there is one, not
    the package behind it)."""
    names = list(info.exports[:3]) + (["..."] if len(info.exports) > 3 else [])
    new = (f"`from {stable_path} import {', '.join(names)}`" if names
           else f"`import {stable_path}`")
    old = aliases[0] if aliases else info.package
    return (f"- Promoted `{info.name}` to the stable API: {new}. The old path `{old}` warns "
            f"with a FutureWarning and goes away in {removal}.")


def _builder_short_rules(config: PromoteConfig, info: FeatureInfo, rules: dict[str, str],
                         stable_path: str) -> dict[str, str]:
    """doc-builder names objects relative to the top package (``experimental.x.Name``)."""
    top = config.top_package + "."
    exported_at_top = config.top_package in config.export_to
    short = {}
    for old, new in rules.items():
        if not old.startswith(top):
            continue
        if old == info.package and config.stable_layout == "flat":
            new = "" if exported_at_top else stable_path
        short[old[len(top):]] = new[len(top):] if new.startswith(top) else new
    return short


def _style_for(repo: Repo, config: PromoteConfig, moved: list[str]) -> TargetStyle:
    """The target's style, with the licence header of the files that move."""
    style = read_style(repo.root)
    for path in moved:
        header = licence_header(repo.read(path) or "") if path.endswith(".py") else ""
        if header:
            return style.with_header(header)
    return style


def _shims(repo, info, plan, code_moves, mapping, sources, stable_path, version, removal,
           style) -> None:
    init = f"{info.package_dir}/__init__.py"
    texts = {mapping.map(repo.module_name(old) or "") or "": repo.read(old) or ""
             for old, _new in code_moves if old.endswith(".py")}
    for old, _new in code_moves:
        if not old.endswith(".py"):
            continue
        old_module = repo.module_name(old) or ""
        if old == init:  # the package: its exports, from the modules that now define them
            target = stable_path  # named as users import it (the export, not `.core`)
            shim_from = sources or {mapping.map(old_module) or stable_path: []}
        else:
            target = mapping.map(old_module) or old_module
            shim_from = {target: defined_names(repo.read(old) or "")}
        message = (f"{old_module} was promoted to the stable API in {version}: import it from "
                   f"{target} instead. This shim will be removed in {removal}.")
        header = licence_header(repo.read(old) or "") or style.header
        plan.writes[old] = shim_source(old_module, target, shim_from, message=message,
                                       version=version, removal=removal,
                                       style=style.with_header(header), texts=texts)
        plan.originals.setdefault(old, repo.read(old) if (old, old) in code_moves else None)
    plan.notes.append(f"shims left at {info.package_dir}/ warn with FutureWarning until "
                      f"{removal}")


def _exports(repo, config, info, plan, sources: dict[str, list[str]], style) -> None:
    if not info.exports:
        plan.notes.append("the feature has no public names to export")
        return
    for package in config.export_to:
        init = f"{_package_dir(config.source_root, package)}/__init__.py"
        outside = [m for m in sources if not m.startswith(package + ".")]
        if outside:
            plan.failures.append(f"export_to {package!r}: {outside[0]} is not inside it")
            continue
        text = plan.writes.get(init, repo.read(init))
        groups = [(cm.submodule_of(package, m), names) for m, names in sorted(sources.items())]
        if text is None:
            if package != config.stable_package:
                plan.failures.append(f"export_to {package!r}: {init} does not exist")
                continue
            key, names = groups[0]
            text = new_stable_package(config.experimental_package, key, names, style)
            groups = groups[1:]
            record(plan, repo, init, text)
        commands = [cm.AddExportsCommand(key, names, style) for key, names in groups]
        result = cm.run_commands(init, text, commands)
        if result.status == "failed":
            plan.failures.append(f"{init}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            record(plan, repo, init, result.code)
        sources = {package: list(info.exports)}  # an outer package re-exports the inner one


def _docs(repo: Repo, config: PromoteConfig, info: FeatureInfo, plan: Plan,
          old_paths: list[str]) -> None:
    page = info.docs_page
    get_docs_format(config)  # an unknown docs_format is an error, page or not
    if page and repo.exists(page):
        text = plan.writes.get(page, repo.read(page)) or ""
        new, found = remove_notice(text, old_paths)
        if found:
            record(plan, repo, page, new)
        else:
            plan.notes.append(f"{page}: no experimental notice found to remove")
        _retire_plugin_install(repo, info, plan, page)
    else:
        plan.notes.append(f"no docs page at {page}; nothing to move in the navigation")
        return
    move_nav_entry(repo, config, plan, page, config.experimental_section,
                   config.stable_section)


def _retire_plugin_install(repo: Repo, info: FeatureInfo, plan: Plan, page: str) -> None:
    """``pip install <plugin>`` on the page, where the plugin is the distribution the
    feature was prototyped in (named after it: ``fledge-word-variety``), becomes ``pip
    install <this project>``: the feature ships here now."""
    project = project_name(repo)
    if not project:
        return
    text = plan.writes.get(page, repo.read(page)) or ""
    feature = info.name.replace("_", "-").lower()

    def replace(match: re.Match[str]) -> str:
        dist = re.sub(r"[-_.]+", "-", match.group(2)).lower()
        if dist == project.lower() or not (dist == feature or dist.endswith("-" + feature)):
            return match.group(0)
        plan.notes.append(f"{page}: `pip install {match.group(2)}` (the plugin {info.name} was "
                          f"prototyped in) now installs {project}")
        return match.group(1) + project

    new = re.sub(r"(pip install\s+)([A-Za-z0-9][A-Za-z0-9._-]*)(?![\w.-])", replace, text)
    if new != text:
        record(plan, repo, page, new)


def project_name(repo: Repo) -> str | None:
    """The repository's distribution name (``[project] name``), if its pyproject has one."""
    try:
        name = tomllib.loads(repo.read("pyproject.toml") or "").get("project", {}).get("name")
    except tomllib.TOMLDecodeError:
        return None
    return name if isinstance(name, str) else None


def move_nav_entry(repo: Repo, config: PromoteConfig, plan: Plan, page: str, source: str,
                   target: str) -> None:
    """Move ``page``'s navigation entry from section ``source`` to ``target``, into ``plan``;
    a note says what was done, or why the navigation is left as it is."""
    fmt = get_docs_format(config)
    nav = plan.writes.get(config.nav_file, repo.read(config.nav_file))
    if nav is None:
        plan.notes.append(f"no navigation file {config.nav_file}")
        return
    ref = fmt.page_ref(config, page)
    if source not in fmt.sections(nav, ref):
        plan.notes.append(f"{ref} is not in the {source!r} section of {config.nav_file}; "
                          "navigation left as it is")
        return
    record(plan, repo, config.nav_file, fmt.move_entry(nav, ref, source, target))
    plan.notes.append(f"{config.nav_file}: {ref} moved from {source!r} to {target!r}")


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
    from ..repository._features import RETIRED_MARKER, SHIM_MARKER

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
