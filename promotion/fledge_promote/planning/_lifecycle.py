"""The other two fates: ``deprecate`` (stable -> deprecated) and ``retire`` (experimental ->
gone). Planned like a promotion, applied with the same journal."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable

from packaging.version import InvalidVersion, Version

from .._errors import UsageError
from ..repository._config import PromoteConfig, _package_dir
from ..repository._docs_formats import get_docs_format
from ..repository._features import RETIRED_MARKER, FeatureInfo
from ..repository._links import PAGE_SUFFIXES, resolve_link, rewrite_links
from ..repository._repo import Repo
from ..repository._style import read_style
from . import codemods as cm
from ._plan import Mention, Plan
from ._promotion import _changelog, _verify, collect_mentions
from ._rewrite import record
from ._shims import init_sources

__all__ = ["plan_deprecation", "plan_retirement", "last_release"]

RETIRED_TEMPLATE = '''"""``{old}`` was retired after {last}. {hint}"""
# {marker} (retired in {version})

raise ImportError(
    "{message}",
    name=__name__,
)
'''


def _module_file(repo: Repo, config: PromoteConfig, dotted: str) -> str | None:
    stem = _package_dir(config.source_root, dotted)
    for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
        if repo.exists(candidate):
            return candidate
    return None


def plan_deprecation(
    repo: Repo, config: PromoteConfig, info: FeatureInfo, removal: str,
    replacement: str | None = None, progress: Callable[[str], None] = lambda s: None,
) -> Plan:
    """Plan deprecating stable feature ``info``, to be removed in ``removal``.

    Raises:
        UsageError: ``removal`` is not a version later than the one being developed.
    """
    try:
        if Version(removal) <= Version(config.version):
            raise UsageError(f"--removal {removal} must be later than the version being "
                             f"developed ({config.version})")
    except InvalidVersion:
        raise UsageError(f"--removal {removal!r} is not a PEP 440 version, e.g. 0.5.0") from None
    replacement = replacement or (info.manifest.replacement if info.manifest else None)
    plan = Plan("deprecate", info.name)
    path = (info.manifest.stable_path if info.manifest and info.manifest.stable_path
            else info.package)
    use = f" Use {replacement} instead." if replacement else ""
    message = f"{path} is deprecated and will be removed in {removal}.{use}"
    plan.facts = {"feature": info.package, "removal": removal,
                  "replacement": replacement or "-", "warning": message}
    target = _module_file(repo, config, info.export_module)
    if target is None:
        plan.failures.append(f"cannot find the file of module {info.export_module}")
        return plan
    commands = [cm.AddDeprecationWarningCommand(message)]
    result = cm.run_commands(target, repo.read(target) or "", commands)
    if result.status == "changed":
        record(plan, repo, target, result.code)
    else:
        plan.notes.append(f"{target}: already warns ({result.reason})")
    _mark_for_checkers(repo, config, plan, info, target, message)
    if info.manifest is not None and info.manifest_file:
        changes = {"stage": "deprecated", "removal": removal}
        if replacement:
            changes["replacement"] = replacement
        text = plan.writes.get(info.manifest_file, repo.read(info.manifest_file)) or ""
        result = cm.run_commands(info.manifest_file, text,
                                 [cm.UpdateManifestCommand(changes)])
        if result.status == "changed":
            record(plan, repo, info.manifest_file, result.code)
        else:
            plan.failures.append(f"{info.manifest_file}: the manifest could not be updated")
    page = info.docs_page
    if page and repo.exists(page):
        fmt = get_docs_format(config)
        record(plan, repo, page, fmt.add_notice(repo.read(page) or "", "Deprecated", message))
    else:
        plan.notes.append(f"no docs page at {page}: no notice added")
    _changelog(repo, config, plan, f"- Deprecated `{info.name}` ({path}): it warns with a "
               f"FutureWarning and is removed in {removal}.{use}")
    _verify(plan)
    return plan


def defined_here(source: str) -> set[str]:
    """The classes and functions ``source`` defines at top level."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return set()
    return {n.name for n in body
            if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}


def _defining_files(repo: Repo, config: PromoteConfig, info: FeatureInfo, target: str
                    ) -> dict[str, list[str]]:
    """The file that defines each export: the export module, or the module its ``from .sub
    import name`` names."""
    imported, _ = init_sources(repo.read(target) or "")
    package = info.export_module if target.endswith("/__init__.py") else \
        info.export_module.rpartition(".")[0]
    files: dict[str, list[str]] = {}
    for name in info.exports:
        sub = imported.get(name)
        path = _module_file(repo, config, f"{package}.{sub}") if sub else target
        files.setdefault(path or target, []).append(name)
    return files


def _mark_for_checkers(repo: Repo, config: PromoteConfig, plan: Plan, info: FeatureInfo,
                       target: str, message: str) -> None:
    """PEP 702 ``@deprecated`` on the exported classes and functions, for type checkers."""
    style = read_style(repo.root)
    unmarked = []
    for path, names in sorted(_defining_files(repo, config, info, target).items()):
        text = plan.writes.get(path, repo.read(path)) or ""
        result = cm.run_commands(path, text, [cm.MarkDeprecatedCommand(message, names, style)])
        if result.status == "changed":
            record(plan, repo, path, result.code)
        unmarked += [n for n in names if n not in defined_here(text)]
    if unmarked:
        plan.notes.append(f"type checkers are not told that {', '.join(unmarked)} "
                          "is deprecated: PEP 702 marks classes and functions only (the "
                          "import still warns)")


def last_release(repo: Repo, config: PromoteConfig) -> str:
    """The newest release tag's version, else the version being developed."""
    tags = repo.release_tags(config.release_tags)
    return str(tags[-1][0]) if tags else config.version


def plan_retirement(
    repo: Repo, config: PromoteConfig, info: FeatureInfo,
    replacement: str | None = None, progress: Callable[[str], None] = lambda s: None,
) -> Plan:
    """Plan removing experimental feature ``info``: code, tests, page, nav entry go; the old
    import path raises an ImportError naming the last release that had it."""
    plan = Plan("retire", info.name)
    last = last_release(repo, config)
    replacement = replacement or (info.manifest.replacement if info.manifest else None)
    hint = f"Use {replacement} instead." if replacement else "It has no replacement."
    message = (f"{info.package} was retired: the last release that had it is {last}. {hint}")
    plan.facts = {"feature": info.package, "last release": last,
                  "replacement": replacement or "-"}
    init = f"{info.package_dir}/__init__.py"
    for path in repo.files_under(info.package_dir):
        plan.originals[path] = repo.read(path)
        if path != init:
            plan.deletes.append(path)
    record(plan, repo, init, RETIRED_TEMPLATE.format(
        old=info.package, last=last, hint=hint, marker=RETIRED_MARKER, version=config.version,
        message=message.replace('"', '\\"')))
    for test in info.tests:
        for path in repo.files_under(test):
            plan.originals[path] = repo.read(path)
            plan.deletes.append(path)
    page = info.docs_page
    if page and repo.exists(page):
        plan.originals[page] = repo.read(page)
        plan.deletes.append(page)
        nav = repo.read(config.nav_file)
        if nav is not None:
            fmt = get_docs_format(config)
            ref = fmt.page_ref(config, page)
            new_nav = fmt.remove_entry(nav, ref)
            if new_nav != nav:
                record(plan, repo, config.nav_file, new_nav)
                plan.notes.append(f"{config.nav_file}: {ref} removed from the navigation")
            else:
                plan.notes.append(f"{config.nav_file} does not list {ref}; nothing to remove")
    _remove_entry_point(repo, plan, info)
    _changelog(repo, config, plan, f"- Removed the experimental feature `{info.name}` (last "
               f"shipped in {last}). {hint}")
    removed_pages = [p for p in plan.deletes if p.endswith(PAGE_SUFFIXES)]
    link_edits = retire_links(repo, config, plan, removed_pages, last)
    _verify(plan)
    top = config.top_package + "."
    short = info.package[len(top):] if info.package.startswith(top) else ""
    needles = [info.package, info.package_dir, short, *info.exports]
    needles += [posixpath.splitext(posixpath.relpath(p, config.docs_dir))[0]
                for p in removed_pages]
    edited_lines = {(m.path, m.line) for m in link_edits}
    left = [m for m in collect_mentions(repo, plan, needles)
            if (m.path, m.line) not in edited_lines]
    plan.mentions = sorted(link_edits + left, key=lambda m: (m.path, m.line))
    if left:
        plan.notes.append("the mentions below still name the retired feature (its import "
                          "path, folder, names or page); imports among them will raise "
                          "ImportError")
    return plan


def _remove_entry_point(repo: Repo, plan: Plan, info: FeatureInfo) -> None:
    text = repo.read("pyproject.toml") or ""
    pattern = re.compile(rf"""^\s*[\w.-]+\s*=\s*["']{re.escape(info.package)}([.:][\w.:]*)?["']"""
                         r"\s*(#.*)?\n", re.M)
    new, count = pattern.subn("", text)
    if count:
        record(plan, repo, "pyproject.toml", new)
        plan.notes.append(f"pyproject.toml: removed {count} entry point(s) of {info.package}")


# -- retire: no relative link to a removed page survives --------------------------------------
# A link to a page the plan deletes is rewritten to the last release's copy of the page when
# ``docs_release_url`` is set, else made plain text; either way it is listed.


def retire_links(repo: Repo, config: PromoteConfig, plan: Plan, removed: list[str],
                 last_release: str) -> list[Mention]:
    """Rewrite, into ``plan``, every link to one of the ``removed`` pages.

    Returns:
        One mention per link changed (``edited`` or ``unlinked``), with file and line.
    """
    if not removed:
        return []
    gone = set(plan.deletes)
    remaining = (set(repo.files()) - gone) | set(plan.writes)
    stems = {posixpath.splitext(posixpath.basename(p))[0] for p in removed}

    def exists(path: str) -> bool:
        return path in remaining or path in gone

    def url(target: str, anchor: str) -> str | None:
        if not config.docs_release_url:
            return None
        page = posixpath.splitext(posixpath.relpath(target, config.docs_dir))[0]
        return config.docs_release_url.format(version=last_release.lstrip("vV"),
                                              page=page) + anchor

    found: list[Mention] = []
    for path in sorted(p for p in remaining if p.endswith(PAGE_SUFFIXES)):
        text = plan.writes.get(path, repo.read(path))
        if not text or not any(stem in text for stem in stems):
            continue

        def dead(href: str, page: str = path) -> str | None:
            target = resolve_link(page, href, exists)
            return target if target in gone else None

        new, edits = rewrite_links(text, path, dead, url)
        if not edits:
            continue
        record(plan, repo, path, new)
        for edit in edits:
            if edit.new:
                found.append(Mention(path, edit.line, f"link {edit.old} -> {edit.new}",
                                     "edited"))
            else:
                found.append(Mention(path, edit.line, f"link {edit.old} to a removed page "
                                     "made plain text", "unlinked"))
    return found
