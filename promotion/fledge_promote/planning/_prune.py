"""``prune``: the shims whose removal version has come go, in one diff, whoever wrote them.

Shims are recognised by their shape (``pruning``): fledge's marked re-export modules
and hand-written ones alike (TRL's warning subclasses and functions, a shim class inside a
real module). ``prune --version V`` (default: the version being developed, as its release:
``0.29.0.dev0`` is due by ``0.29``) deletes every shim due at or before V: a module of
nothing but shims goes whole, a shim inside a real module goes with the imports only it
used, and the package ``__init__`` entries that export it go (``pruning``). Imports
and references that still use an old path are pointed at the new one; the mentions left are
listed. What is not clearly a shim (it warns, but holds real code; it has no removal
version) is listed, never deleted. Deprecated features (``promote deprecate``) carry real
code: the due ones are named for a person to remove.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from packaging.version import InvalidVersion, Version

from .._errors import UsageError
from ..repository._config import PromoteConfig
from ..repository._repo import Repo
from ..repository._version import release_of
from . import codemods as cm
from ._paths import DottedMap, PathMap, resolve_relative
from ._plan import Plan
from ._promotion import _changelog, _verify, collect_mentions
from ._rewrite import record, rewrite_repository
from .inclusion._text import sort_imports
from .pruning import (
    ExportEntry,
    Inits,
    ModuleReading,
    Recognised,
    RemoveShimDefinitionsCommand,
    RemoveShimExportsCommand,
    Unsure,
    exports_of,
    marked_but_real,
    read_inits,
    read_module,
)

__all__ = ["due_by", "find_shims", "plan_prune"]

_DEPRECATED = re.compile(r"_warnings\.warn\(\s*['\"](.+?) will be removed in ([^.\s'\"]+(?:\.\d+)*)"
                         r".*#\s*fledge-promote: deprecated")


def find_shims(repo: Repo, config: PromoteConfig) -> list[ModuleReading]:
    """What every module of the target's packages holds in shims and unsure cases."""
    packages = {p.partition(".")[0] for p in (config.experimental_package,
                                              config.stable_package, *config.export_to)}
    readings = []
    for path in repo.files((".py",)):
        module = repo.module_name(path)
        if not module or module.partition(".")[0] not in packages:
            continue
        reading = read_module(path, module, repo.read(path) or "")
        if reading is not None:
            readings.append(reading)
    return readings


def due_by(version: str | None, config: PromoteConfig) -> str:
    """The release whose shims are due: ``version``, else the version being developed.

    Raises:
        UsageError: ``version`` is empty or not a PEP 440 version.
    """
    if version is not None and not version.strip():
        raise UsageError("--version '' is empty: give the release whose shims go, e.g. "
                         "--version 0.29, or leave --version out for the version being "
                         "developed")
    what = "--version" if version is not None else "the version being developed"
    until = version if version is not None else config.version
    try:
        Version(until)
    except InvalidVersion:
        raise UsageError(f"{what} {until!r} is not a PEP 440 version, e.g. 0.5.0") from None
    return release_of(until)


def _deletable(repo: Repo, whole: list[ModuleReading]) -> list[ModuleReading]:
    """The whole shim modules that can go: a package ``__init__`` only when nothing else of
    its package stays (its other modules would be orphaned)."""
    going = {r.path for r in whole}
    kept = []
    for reading in whole:
        if reading.path.endswith("__init__.py"):
            folder = reading.path[: -len("__init__.py")]
            if any(p.startswith(folder) and p not in going for p in repo.files((".py",))):
                continue
        kept.append(reading)
    return kept


def _is_due(removal: str, limit: Version) -> bool:
    try:
        return Version(release_of(removal)) <= limit
    except InvalidVersion:
        return False


def _release_key(version: str) -> tuple:
    try:
        return (0, Version(release_of(version)))
    except InvalidVersion:
        return (1, version)


def plan_prune(repo: Repo, config: PromoteConfig, version: str | None = None,
               progress: Callable[[str], None] = lambda line: None) -> Plan:
    """Plan removing every shim due at or before ``version`` (default: ``config.version``).

    Raises:
        UsageError: ``version`` is empty or not a PEP 440 version.
    """
    until = due_by(version, config)
    limit = Version(until)
    plan = Plan("prune", f"shims due by {until}")
    readings = find_shims(repo, config)
    shims = [s for r in readings for s in r.shims]
    due = [s for s in shims if _is_due(s.removal or "", limit)]
    later = sorted({s.removal or "" for s in shims if s not in due}, key=_release_key)
    plan.notes.extend(f"{s.path}:{s.line}: its removal version {s.removal!r} is not a PEP 440 "
                      "version; fix the text that says it, or remove the shim by hand"
                      for s in shims if _release_key(s.removal or "")[0])
    inits = read_inits(repo)
    known, _ = exports_of(_renames(shims), {r.module for r in readings if r.whole}, inits)
    unsure = [u for r in readings for u in r.unsure if u.removal is None
              or _is_due(u.removal, limit)] + marked_but_real(known, inits)
    deleted = _deletable(repo, [r for r in readings if r.whole
                                and all(s in due for s in r.shims)])
    plan.facts = {"due by": until, "shims found": len(shims), "removed": len(due),
                  "kept (due later)": ", ".join(later) or "-",
                  "listed, not removed": len(unsure)}
    _due_deprecations(repo, plan, limit)
    if due:
        progress(f"removing {len(due)} shims due by {until}")
        _remove(repo, config, plan, (until, due, deleted), inits, progress)
    else:
        plan.notes.append(f"no shim is due at or before {until}; nothing to remove")
    if unsure:
        plan.facts["listed"] = [_unsure_fact(u) for u in unsure]
        plan.notes.append("the entries under 'listed' warn of their removal but are not only "
                          "shims (or say no version): read them, nothing was removed there")
    return plan


def _remove(repo: Repo, config: PromoteConfig, plan: Plan,
            what: tuple[str, list[Recognised], list[ModuleReading]], inits: Inits,
            progress: Callable[[str], None]) -> None:
    """Delete the whole shim modules, take the other shims out of their modules, drop the
    export entries, point callers at the new paths, list what is left."""
    until, due, deleted = what
    gone_modules = {r.module for r in deleted}
    stays = [s for s in due if s.name is None and s.path not in {r.path for r in deleted}]
    plan.notes.extend(f"{s.path}: a re-export module due in {s.removal}, but its package "
                      "keeps other modules: remove it by hand" for s in stays)
    due = [s for s in due if s not in stays]
    for reading in deleted:
        plan.originals[reading.path] = repo.read(reading.path)
        plan.deletes.append(reading.path)
    _remove_definitions(repo, plan, due, {r.path for r in deleted})
    renames = _renames(due, deleted)
    entries, renames = exports_of(renames, gone_modules, inits)
    _remove_exports(repo, plan, entries, renames, gone_modules)
    plan.facts.update({
        "modules deleted": len(deleted),
        "export entries removed": f"{len(entries)} ({sum(e.marked for e in entries)} marked "
                                  "'# deprecated import')",
        "shims": [_shim_fact(s) for s in due],
        "export entries": _entry_facts(entries, renames),
    })
    mapping = DottedMap(renames.items())
    olds = sorted(renames)
    needles = sorted(set(olds) | {old.rpartition(".")[2] for old in olds})
    imports = _import_pattern(olds)
    untouched = [p for p in repo.files((".py",)) if p not in plan.deletes
                 and not _names_old_paths(repo, plan, p, (mapping, olds, imports))]
    before = dict(plan.writes)
    rewrite_repository(repo, plan, mapping, PathMap([]), needle=needles,
                       skip=plan.deletes + untouched, progress=progress)
    for path, text in list(plan.writes.items()):  # a rewritten import may be out of order now
        if path.endswith(".py") and before.get(path) != text:
            plan.writes[path] = sort_imports(repo, plan, path, text)
    _changelog(repo, config, plan, f"- Removed the deprecated import paths due in {until}: "
               + ", ".join(f"`{old}` (use `{new}`)" for old, new in _by_old(
            renames, gone_modules)) + ".")
    if config.docs_format == "doc-builder":
        _builder_references(repo, plan, renames, config.top_package)
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, olds + [r.path for r in deleted])
    if plan.mentions:
        plan.notes.append("the mentions below still name a removed path (prose, comments, "
                          "strings): edit them by hand")


def _builder_references(repo: Repo, plan: Plan, renames: dict[str, str], top: str) -> None:
    """doc-builder's ``[[autodoc]] Name`` and ``[`Name`]`` name objects relative to the top
    package: a removed ``trl.CPOTrainer`` is ``experimental.cpo.CPOTrainer`` now, in pages
    and docstrings."""
    relative = {old[len(top) + 1:]: new[len(top) + 1:] for old, new in renames.items()
                if old.startswith(top + ".") and new.startswith(top + ".")}
    if not relative:
        return
    names = "|".join(map(re.escape, sorted(relative, key=len, reverse=True)))
    pattern = re.compile(rf"(\[\[autodoc\]\]\s+|\[`)({names})(?![\w.])")
    for path in repo.files((".md", ".mdx", ".py")):
        if path in plan.deletes:
            continue
        text = plan.writes.get(path, repo.read(path))
        if not text or ("[[autodoc]]" not in text and "[`" not in text):
            continue
        new = pattern.sub(lambda m: m[1] + relative[m[2]], text)
        if new != text:
            record(plan, repo, path, new)


def _import_pattern(olds: list[str]) -> re.Pattern:
    """An import that may name an old path: ``from <...parent> import``, ``from . import``,
    ``import <...old module>``, where parent is the package or module an old name is in."""
    parents = {old.rpartition(".")[0].rpartition(".")[2] for old in olds} - {""}
    leaves = {old.rpartition(".")[2] for old in olds}
    return re.compile(
        rf"\bfrom\s+\.*(?:[\w.]*\.)?(?:{'|'.join(map(re.escape, sorted(parents)))})\s+import\b"
        rf"|\bfrom\s+\.+\s+import\b"
        rf"|\bimport\s+[\w.]*\b(?:{'|'.join(map(re.escape, sorted(leaves)))})\b")


def _names_old_paths(repo: Repo, plan: Plan, path: str,
                     olds: tuple[DottedMap, list[str], re.Pattern]) -> bool:
    """Whether Python file ``path`` imports or spells out an old path: a regular expression
    first, then ``ast`` (ten times faster than LibCST): only the files that do are parsed
    with LibCST for the rewrite."""
    mapping, paths, imports = olds
    text = plan.writes.get(path, repo.read(path)) or ""
    if not mapping.mentions(text):
        return False
    if any(old in text for old in paths if "." in old):
        return True
    if not imports.search(text):
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    module = repo.module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(mapping.map(alias.name) for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            base = node.module
            if node.level:
                base = resolve_relative(module, path.endswith("__init__.py"), node.level,
                                        node.module) if module else None
            if base and (mapping.map(base) or any(mapping.map(f"{base}.{alias.name}")
                                                  for alias in node.names)):
                return True
    return False


def _renames(shims: list[Recognised], deleted: list[ModuleReading] | None = None
             ) -> dict[str, str]:
    """Old dotted path -> new, for every removed name, and for a deleted module whose names
    all come from one module, the module itself."""
    renames: dict[str, str] = {}
    for shim in shims:
        if shim.name is not None and shim.new:
            renames[shim.old] = shim.new
        for old, new in shim.names:
            renames[old] = new
        if shim.name is None and shim.new:
            renames[shim.old] = shim.new
    for reading in deleted or []:
        sources = {s.new.rpartition(".")[0] for s in reading.shims if s.name and s.new}
        if len(sources) == 1 and all(s.name for s in reading.shims):
            renames[reading.module] = sources.pop()
    return renames


def _remove_definitions(repo: Repo, plan: Plan, due: list[Recognised], deleted: set[str]
                        ) -> None:
    """Shims inside modules that keep real code: the definitions go, the module stays."""
    by_path: dict[str, set[str]] = {}
    for shim in due:
        if shim.path not in deleted and shim.name is not None:
            by_path.setdefault(shim.path, set()).add(shim.name)
    for path, names in sorted(by_path.items()):
        text = plan.writes.get(path, repo.read(path)) or ""
        result = cm.run_commands(path, text, [RemoveShimDefinitionsCommand(names)])
        if result.status == "changed":
            record(plan, repo, path, result.code)
        elif result.status == "failed":
            plan.failures.append(f"{path}: {result.reason.strip().splitlines()[-1]}")


def _remove_exports(repo: Repo, plan: Plan, entries: list[ExportEntry],
                    renames: dict[str, str], gone_modules: set[str]) -> None:
    for path in sorted({e.path for e in entries}):
        package = repo.module_name(path) or ""
        text = plan.writes.get(path, repo.read(path)) or ""
        command = RemoveShimExportsCommand(package, renames, gone_modules)
        result = cm.run_commands(path, text, [command])
        if result.status == "changed":
            record(plan, repo, path, result.code)
        elif result.status == "failed":
            plan.failures.append(f"{path}: {result.reason.strip().splitlines()[-1]}")


def _by_old(renames: dict[str, str], gone_modules: set[str]) -> list[tuple[str, str]]:
    """One line per old path, a deleted module standing for the names it held."""
    return sorted((old, new) for old, new in renames.items()
                  if not any(old.startswith(m + ".") for m in gone_modules))


def _shim_fact(shim: Recognised) -> dict[str, str]:
    return {"old": shim.old, "new": shim.new or "-", "rule": shim.rule,
            "removal": shim.removal or "-", "version from": shim.source,
            "at": f"{shim.path}:{shim.line}"}


def _entry_facts(entries: list[ExportEntry], renames: dict[str, str]) -> list[dict[str, str]]:
    """One record per old path and ``__init__``: its lazy-table and import lines together."""
    grouped: dict[tuple[str, str], list[ExportEntry]] = {}
    for entry in entries:
        grouped.setdefault((entry.path, entry.old), []).append(entry)
    facts = []
    for (path, old), group in grouped.items():
        marked = all(e.marked for e in group)
        facts.append({"old": old, "new": renames.get(old, "-"),
                      "rule": "export entry" + (" marked '# deprecated import'" if marked
                                                else " of a removed shim"),
                      "at": f"{path}:" + ",".join(str(e.line) for e in group)})
    return facts


def _unsure_fact(unsure: Unsure) -> dict[str, str]:
    return {"what": unsure.what, "reason": unsure.reason, "removal": unsure.removal or "-",
            "version from": unsure.source, "at": f"{unsure.path}:{unsure.line}"}


def _due_deprecations(repo: Repo, plan: Plan, limit: Version) -> None:
    """Name each deprecated module whose removal version has come: real code, for a person."""
    for path in repo.files((".py",)):
        text = repo.read(path) or ""
        if "fledge-promote: deprecated" not in text:
            continue
        match = _DEPRECATED.search(text)
        if match is None or not _is_due(match.group(2).rstrip("."), limit):
            continue
        plan.notes.append(f"{path}: {match.group(1)} was deprecated for removal in "
                          f"{match.group(2)}; it is real code, not a shim: remove it "
                          "by hand (or `promote retire` once it is experimental)")
