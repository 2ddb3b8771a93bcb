"""``demote``: a stable feature goes back into the experimental namespace.

The inverse of a promotion. The code moves into ``<experimental_package>.<name>``: the
feature's package (``package`` layout), or its modules ``<stable_package>/<name>.py`` and
``<name>_*.py`` (``flat``, TRL's ``trl/trainer/rloo_trainer.py``), which get a new
``__init__`` exporting their public names. Every old module path keeps a shim that warns
with a FutureWarning naming the new path and the removal release; the ``export_to`` packages
keep exporting the names through those shims as ``# deprecated import`` entries, imported
(and warning) only when used, and the repository's own imports of them follow the move. The
tests move to the experimental tests, the docs page moves to the experimental navigation
section and gains the experimental notice, the manifest (with fledge manifests) is
experimental again, and the changelog says so. Shims that an earlier promotion left at the
experimental path are replaced. The moved tests' stage assertions follow the stage, and
an export a submodule of the same name would shadow is refused, as in a promotion.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from packaging.version import InvalidVersion, Version

from .._errors import PlanError, UsageError
from ..repository._config import PromoteConfig, _package_dir
from ..repository._docs_formats import get_docs_format
from ..repository._features import SHIM_MARKER, find_docs_page, find_feature, package_exports
from ..repository._repo import Repo
from ..repository._style import TargetStyle, licence_header, member_key
from ..repository._version import release_of
from ._layout import refuse_shadowed_exports
from ._moved_tests import (
    moved_test_roots,
    rewrite_stage_expectations,
    stable_tests,
    tests_moving,
)
from ._notice import experimental_notice
from ._paths import DottedMap, PathMap
from ._plan import Plan
from ._promotion import _changelog, _style_for, _verify, collect_mentions, move_nav_entry
from ._rewrite import (
    bump,
    deprecate_exports,
    export_inits,
    module_of,
    record,
    rewrite_moved,
    rewrite_repository,
)
from ._shims import defined_names, shim_source

__all__ = ["plan_demotion"]

NOTICE = ("`{name}` is experimental again since {version}: import it from `{package}`. Its "
          "API may change or go away in any release.")


class _Source:
    """What a demotion moves: the stable feature's files and the names they export.

    Attributes:
        files: the feature's files in the stable package.
        modules: the dotted module of each moved Python file, old to new.
        exports: new module to the public names it exports.
        manifest: the ``Feature(...)`` file, with fledge manifests; else None.
        manifest_tests: the tests the manifest lists.
        docs_page: the feature's docs page, when it exists.
        tests: the stable test files or folders that exist.
        new_init: the new package's ``__init__`` source, when demotion writes one (flat).
    """

    def __init__(self) -> None:
        self.files: list[str] = []
        self.modules: dict[str, str] = {}
        self.exports: dict[str, list[str]] = {}
        self.manifest: str | None = None
        self.manifest_tests: tuple[str, ...] = ()
        self.docs_page: str | None = None
        self.tests: list[str] = []
        self.new_init: str | None = None

    @property
    def names(self) -> list[str]:
        return [n for names in self.exports.values() for n in names]


def _checked_removal(config: PromoteConfig, removal: str | None) -> str:
    """The release that removes the shims, as texts print it (``0.28``)."""
    removal = removal or bump(config.version, config.deprecation_releases)
    developed = release_of(config.version)
    try:
        later = Version(release_of(removal)) > Version(developed)
    except InvalidVersion:
        raise UsageError(f"--removal {removal!r} is not a PEP 440 version, e.g. 0.5.0") from None
    if not later:
        raise UsageError(f"--removal {removal} must be later than the release being developed "
                         f"({developed}, version {config.version})")
    return release_of(removal)


def plan_demotion(
    repo: Repo, config: PromoteConfig, name: str, removal: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Plan:
    """Plan moving stable feature ``name`` back to the experimental namespace.

    Args:
        removal: the version that removes the shims and deprecated exports (default:
            ``deprecation_releases`` minor releases after the release being developed).

    Raises:
        UsageError: no such stable feature, or a bad ``removal``.
        PlanError: the experimental destination holds code that is not a shim.
    """
    removal = _checked_removal(config, removal)
    version = release_of(config.version)  # 0.26.0.dev0 is developing 0.26: texts say 0.26
    new_dir = f"{config.experimental_dir}/{name}"
    new_package = f"{config.experimental_package}.{name}"
    done = _left_by_demotion(repo, config, name, new_dir)
    if done:
        plan = Plan("demote", name)
        plan.notes.append(f"{name} is experimental already ({new_package}); {', '.join(done)} "
                          "are the shims its demotion left: nothing to do")
        return plan
    source = (_flat_source if config.stable_layout == "flat" else _package_source)(
        repo, config, name, new_dir, new_package)
    style = _style_for(repo, config, source.files)
    plan = Plan("demote", name)

    # -- what moves: code (onto the shims a promotion left there), then tests ---------------
    code_moves = [(old, _new_path(config, old, new_dir)) for old in source.files]
    leftover_shims = _shims_in_the_way(repo, new_dir, {new for _, new in code_moves})
    test_moves = tests_moving(repo, config, name, source.tests)
    onto_shims = [(old, new) for old, new in code_moves if repo.exists(new)]
    plan.moves = [m for m in code_moves if m not in onto_shims] + test_moves
    for old, new in onto_shims:  # the shim's file takes the code: a write, not a move
        plan.originals[new] = repo.read(new)
        plan.writes[new] = repo.read(old) or ""
    plan.deletes = leftover_shims
    for path in leftover_shims:
        plan.originals[path] = repo.read(path)

    inits = {p for p in repo.files((".py",)) if p.endswith("/__init__.py")}
    new_inits = inits | {new for _, new in code_moves + test_moves if new.endswith("/__init__.py")}
    new_inits.add(f"{new_dir}/__init__.py")
    rules = dict(source.modules)
    for old, new in test_moves:
        old_module, new_module = repo.module_name(old), module_of(new, new_inits)
        if old.endswith(".py") and old_module and new_module and old_module != new_module:
            rules[old_module] = new_module
    for package in config.export_to:  # `from trl import RLOOTrainer` follows the name
        for module, names in source.exports.items():
            home = new_package if source.new_init is not None else module
            rules.update({f"{package}.{n}": f"{home}.{n}" for n in names})
    mapping = DottedMap(rules.items())
    test_roots = moved_test_roots(test_moves, source.tests)
    plan.test_paths = sorted(new for _, new in test_roots)
    plan.facts = {
        "from": ", ".join(sorted(source.modules)) or "-", "to": new_package,
        "layout": config.stable_layout, "exports": source.names, "demoted in": version,
        "shims removed in": removal,
        "tests": [f"{o} -> {n}" for o, n in test_roots],
    }

    progress(f"rewriting {len(code_moves) + len(test_moves)} moved files")
    manifest = None
    if source.manifest:
        paths = PathMap(test_roots)
        manifest = (source.manifest, {
            "stage": "experimental", "stable_path": None, "promoted_in": None,
            "removal": None, "tests": tuple(paths.map(t) or t for t in source.manifest_tests)
            or None})
    rewrite_moved(repo, plan, code_moves + test_moves, mapping, mapping, new_inits, manifest)
    rewrite_stage_expectations(repo, plan, test_moves, "stable", "experimental")
    if source.new_init is not None:
        record(plan, repo, f"{new_dir}/__init__.py", source.new_init)
    skip = [old for old, _ in code_moves + test_moves] + [new for _, new in onto_shims]
    skip += leftover_shims
    old_of = {new: old for old, new in source.modules.items()}  # each export's shim
    deprecate_exports(repo, config, plan, {n: old_of[m] for m, names in source.exports.items()
                                           if m in old_of for n in names}, set(source.modules))
    skip += export_inits(repo, config).values()  # their entries stay, pointing at the shims
    folders = [(posixpath.dirname(code_moves[0][0]), new_dir)] if code_moves else []
    rewrite_repository(repo, plan, mapping, PathMap(folders + test_roots),
                       needle=[name, *source.names], skip=skip, progress=progress)
    if config.docs_format == "doc-builder":
        _builder_references(repo, config, plan, source.names, f"experimental.{name}")
    _shims(repo, config, plan, source, code_moves, new_package, (version, removal), style)
    refuse_shadowed_exports(repo, [*config.export_to, new_package], config.source_root, plan)
    _docs(repo, config, plan, source.docs_page, NOTICE.format(
        name=name, version=version, package=new_package))
    old_paths = ", ".join(f"`{m}`" for m in sorted(source.modules) if m != new_package)
    exported = ", ".join(f"`{p}`" for p in config.export_to)
    kept = f" and its names' exports from {exported}" if source.names and exported else ""
    _changelog(repo, config, plan, f"- Moved `{name}` back to the experimental namespace: "
               f"import it from `{new_package}`. The old paths {old_paths}{kept} keep "
               f"working, warn when used, and go away in {removal}.")
    if source.names and config.export_to:
        plan.notes.append(f"{', '.join(source.names)} stay exported from {exported} as "
                          f"deprecated imports of the shims (`# deprecated import`): "
                          f"imported, and warning, only when used, until {removal}")
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, sorted(source.modules))
    return plan


# -- the two layouts -------------------------------------------------------------------------


def _package_source(repo: Repo, config: PromoteConfig, name: str, new_dir: str,
                    new_package: str) -> _Source:
    info = find_feature(repo, config, name, stage="stable")
    source = _Source()
    source.files = [p for p in repo.files_under(info.package_dir) if "/__pycache__/" not in p]
    for path in source.files:
        module = repo.module_name(path)
        if path.endswith(".py") and module:
            source.modules[module] = new_package + module[len(info.package):]
    if info.exports:
        export_module = new_package + info.export_module[len(info.package):]
        source.exports = {export_module: list(info.exports)}
    if info.manifest is not None:
        source.manifest = info.manifest_file
        source.manifest_tests = info.manifest.tests
    source.tests = info.tests if info.manifest and info.manifest.tests else stable_tests(
        repo, config, name)
    source.docs_page = info.docs_page if info.docs_page and repo.exists(info.docs_page) else None
    return source


def _flat_source(repo: Repo, config: PromoteConfig, name: str, new_dir: str,
                 new_package: str) -> _Source:
    folder = config.stable_dir
    here = [p for p in repo.files_under(folder) if posixpath.dirname(p) == folder
            and p.endswith(".py")]
    mine = [p for p in _flat_candidates(repo, config, name)
            if SHIM_MARKER not in (repo.read(p) or "")]
    if not mine:
        stems = sorted({posixpath.basename(p)[:-3].split("_")[0] for p in here
                        if not posixpath.basename(p).startswith("_")})
        raise UsageError(f"no stable feature named {name!r}: {folder}/ has no module {name}.py "
                         f"or {name}_*.py (found: {', '.join(stems) or 'none'})")
    exported = set()
    for package in config.export_to:
        exported |= set(package_exports(repo.read(
            f"{_package_dir(config.source_root, package)}/__init__.py") or ""))
    source = _Source()
    source.files = sorted(mine)
    for path in source.files:
        stem = posixpath.basename(path)[:-3]
        new_module = f"{new_package}.{stem}"
        source.modules[f"{config.stable_package}.{stem}"] = new_module
        names = [n for n in defined_names(repo.read(path) or "") if n in exported]
        if names:
            source.exports[new_module] = names
    source.tests = stable_tests(repo, config, name)
    source.docs_page = find_docs_page(repo, config, name)
    source.new_init = _new_init(repo, source, new_package, _style_for(repo, config, source.files))
    return source


def _flat_candidates(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    """``<stable_package>/<name>.py`` and ``<name>_*.py``: a flat feature's modules."""
    folder = config.stable_dir
    return [p for p in repo.files_under(folder) if posixpath.dirname(p) == folder
            and (posixpath.basename(p) == f"{name}.py"
                 or (posixpath.basename(p).startswith(f"{name}_") and p.endswith(".py")))]


def _left_by_demotion(repo: Repo, config: PromoteConfig, name: str, new_dir: str) -> list[str]:
    """The stable modules of ``name`` when all are shims a demotion left and its code is in
    the experimental namespace: a second run has nothing to do."""
    if not repo.exists(f"{new_dir}/__init__.py"):
        return []
    found = _flat_candidates(repo, config, name) if config.stable_layout == "flat" else [
        p for p in repo.files_under(f"{config.stable_dir}/{name}") if p.endswith(".py")]
    texts = [repo.read(p) or "" for p in found]
    demoted = [p for p, text in zip(found, texts, strict=True)
               if SHIM_MARKER in text and "(demoted in " in text]
    return demoted if found and len(demoted) == len(found) else []


def _new_init(repo: Repo, source: _Source, package: str, style: TargetStyle) -> str:
    """The ``__init__`` of the experimental package a flat demotion creates."""
    imports = "".join(style.from_import(f".{m.rpartition('.')[2]}", names)
                      for m, names in sorted(source.exports.items()))
    names = sorted(source.names, key=member_key(style.order_by_type))
    header = style.header + "\n" if style.header else ""
    body = f"{imports}{style.blank_after_imports}{style.string_list('__all__', names)}" \
        if names else ""
    return f'{header}"""Experimental: ``{package}``. Its API may change in any release."""\n\n' \
        + body


def _new_path(config: PromoteConfig, old: str, new_dir: str) -> str:
    if config.stable_layout == "flat":
        return f"{new_dir}/{posixpath.basename(old)}"
    rel = old.split("/")[len(config.stable_dir.split("/")) + 1:]
    return "/".join([new_dir, *rel])


def _shims_in_the_way(repo: Repo, new_dir: str, arriving: set[str]) -> list[str]:
    """The files at the destination, which must all be shims an earlier move left.

    Returns the shims no moved file replaces (they are deleted).

    Raises:
        PlanError: the destination holds a file that is not such a shim.
    """
    present = [p for p in repo.files_under(new_dir) if "/__pycache__/" not in p]
    real = [p for p in present if not p.endswith(".py") or SHIM_MARKER not in (repo.read(p)
                                                                                or "")]
    if real:
        raise PlanError([f"{new_dir}/ exists and holds {real[0]}, which is not a shim promote "
                         "left; move or remove it first"])
    return [p for p in present if p not in arriving and not p.endswith("/__init__.py")]


# -- exports, shims, references, docs ----------------------------------------------------------


def _shims(repo: Repo, config: PromoteConfig, plan: Plan, source: _Source,
           code_moves: list[tuple[str, str]], new_package: str, versions: tuple[str, str],
           style: TargetStyle) -> None:
    """A warning shim at every old Python module of the feature; its import of the new
    module gives no experimental notice (the FutureWarning is the user's one warning)."""
    version, removal = versions
    notice = experimental_notice(repo, config)
    texts = {source.modules[m]: repo.read(old) or "" for old, _new in code_moves
             if (m := repo.module_name(old)) in source.modules}
    for old, _new in code_moves:
        module = repo.module_name(old)
        if not old.endswith(".py") or not module:
            continue
        target = source.modules[module]
        if target == new_package and old.endswith("__init__.py"):
            shim_from = {m: names for m, names in source.exports.items()} or {target: []}
        else:
            shim_from = {target: defined_names(repo.read(old) or "")}
        names = [n for listed in shim_from.values() for n in listed]
        exported = bool(names) and set(names) <= set(source.names)
        what = f"import {', '.join(names)} from {new_package}" if exported else \
            f"import it from {target}"
        message = (f"{module} moved back to the experimental namespace in {version}: {what} "
                   f"instead; its API may change in any release. This shim will be removed "
                   f"in {removal}.")
        header = licence_header(repo.read(old) or "") or style.header
        plan.writes[old] = shim_source(module, target, shim_from, message=message,
                                       version=version, removal=removal,
                                       style=style.with_header(header), action="demoted",
                                       texts=texts, quiet=notice)
        plan.originals.setdefault(old, repo.read(old))
    if code_moves:
        plan.notes.append(f"shims left at the old module paths warn with FutureWarning until "
                          f"{removal}")


_REFERENCE = r"(\[\[autodoc\]\]\s+|\[`)(?:trainer\.)?({names})(?![\w.])"


def _builder_references(repo: Repo, config: PromoteConfig, plan: Plan, names: list[str],
                        prefix: str) -> None:
    """doc-builder's ``[[autodoc]] Name`` and ``[`Name`]`` name objects relative to the top
    package: a demoted name is ``experimental.<name>.Name`` now, in pages and docstrings."""
    if not names:
        return
    pattern = re.compile(_REFERENCE.format(names="|".join(map(re.escape, names))))
    for path in repo.files((".md", ".mdx", ".py")):
        text = plan.writes.get(path, repo.read(path))
        if path in plan.deletes or not text or not pattern.search(text):
            continue
        if path.endswith(".py") and path not in plan.writes:
            continue  # only the moved modules: other code is rewritten by its imports
        new = pattern.sub(lambda m: f"{m[1]}{prefix}.{m[2]}", text)
        if new != text:
            record(plan, repo, path, new)


def _docs(repo: Repo, config: PromoteConfig, plan: Plan, page: str | None, notice: str) -> None:
    if page is None:
        plan.notes.append("no docs page found: no notice added, navigation left as it is")
        return
    fmt = get_docs_format(config)
    record(plan, repo, page, fmt.add_notice(plan.writes.get(page, repo.read(page)) or "",
                                            "Experimental", notice))
    move_nav_entry(repo, config, plan, page, config.stable_section,
                   config.experimental_section)
