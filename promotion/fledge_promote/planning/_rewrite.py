"""The repository-wide rewrite shared by every action, the exports kept through the shims
that moves leave, and the small texts promote writes (shims, stubs, changelog entries)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from packaging.version import Version

from ..repository._config import PromoteConfig, _package_dir
from ..repository._markdown import relative_link, relative_link_target, rewrite_markdown
from ..repository._repo import Repo
from . import codemods as cm
from ._paths import DottedMap, PathMap
from ._plan import Plan

__all__ = ["bump", "changelog_entry", "deprecate_exports", "export_inits", "module_of",
           "note_unreadable", "rewrite_moved", "rewrite_repository"]

_QUOTED_DOTTED = re.compile(r"""(["'])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(:[\w.]+)?\1""")


def bump(version: str, releases: int) -> str:
    """The version ``releases`` minor releases after ``version`` (``0.3.1``, 2 -> ``0.5.0``)."""
    v = Version(version)
    major, minor = (v.release + (0, 0))[:2]
    return f"{major}.{minor + releases}.0"


def python_commands(mapping: DottedMap, module: str | None, is_package: bool,
                    text: str | None = None) -> list:
    """The rewrites of references to moved modules; none when ``text`` names none of them."""
    if text is not None and not mapping.mentions(text):
        return []
    commands = [cm.RewriteImportsCommand(mapping, module, is_package)]
    if text is None or any(f"{q}{old}" in text for old, _ in mapping.rules for q in "\"'"):
        commands.append(cm.RewriteDottedStringsCommand(mapping))
    # docstrings name whole dotted paths: without one in the text, that pass finds nothing
    if text is None or any(old in text for old, _ in mapping.rules):
        commands.append(cm.RewriteDocstringReferencesCommand(mapping))
    return commands


def rewrite_code_block(mapping: DottedMap) -> Callable[[str], str | None]:
    def rewrite(code: str) -> str | None:
        if not mapping.mentions(code):
            return None
        result = cm.run_commands("<block>", code, python_commands(mapping, None, False))
        if result.status == "changed":
            return result.code
        if result.status == "skipped":  # a snippet or a console session: whole paths only
            return mapping.sub(code)[0]
        return None

    return rewrite


def module_of(path: str, inits: set[str]) -> str:
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


def rewrite_moved(
    repo: Repo, plan: Plan, moves: Sequence[tuple[str, str]], mapping: DottedMap,
    docs_mapping: DottedMap, new_inits: set[str],
    manifest: tuple[str | None, dict[str, Any]] | None = None,
) -> None:
    """Rewrite the Python files of ``moves`` for their new place, into ``plan``.

    Relative imports are fixed for the new module, every reference to a moved module is
    rewritten through ``mapping`` (docstrings and doc references through ``docs_mapping``),
    and ``manifest`` (its file and the fields to set) updates the ``Feature(...)`` call.
    A file that cannot be rewritten is a failure of the plan.
    """
    manifest_file, changes = manifest or (None, {})
    for old, new in moves:
        text = plan.writes.get(new) or repo.read(old)
        plan.originals.setdefault(new, repo.read(old))
        if text is None:
            note_unreadable(repo, plan, old, "it moves unchanged")
        if text is None or not old.endswith(".py"):
            continue
        old_module = repo.module_name(old) or ""
        new_module = module_of(new, new_inits)
        is_package, new_is_package = old.endswith("__init__.py"), new.endswith("__init__.py")
        commands = [cm.FixRelativeImportsCommand(mapping, old_module, new_module, is_package,
                                                 new_is_package)]
        commands += python_commands(docs_mapping, new_module, new_is_package, text)
        commands.append(cm.SortRelativeImportsCommand())
        if old == manifest_file:
            commands.append(cm.UpdateManifestCommand(changes))
        result = cm.run_commands(new, text, commands)
        if result.status == "skipped":
            plan.notes.append(f"{old}: {result.reason}; it moves without its imports "
                              "rewritten: fix them by hand")
        if result.status == "failed":
            plan.failures.append(f"{old}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            plan.writes[new] = result.code
        if old == manifest_file and result.status != "changed":
            plan.failures.append(f"{old}: the manifest could not be updated ({result.reason})")


def rewrite_repository(
    repo: Repo,
    plan: Plan,
    mapping: DottedMap,
    paths: PathMap,
    *,
    needle: str | Sequence[str],
    skip: Iterable[str],
    progress: Callable[[str], None],
    docs_mapping: DottedMap | None = None,
) -> None:
    """Rewrite every Python, Markdown and TOML file that mentions ``needle``, into ``plan``.

    Files in ``skip`` (moved files, handled by the caller) are left out. Only files whose
    text contains ``needle`` (or one of several) are parsed, each once, which keeps a
    2,000-file repository fast.
    """
    needles = (needle,) if isinstance(needle, str) else tuple(needle)
    skip = set(skip)
    docs_mapping = docs_mapping or mapping
    files = [p for p in repo.files() if p not in skip]
    progress(f"scanning {len(files)} files for {', '.join(map(repr, needles))}")
    block = rewrite_code_block(docs_mapping)
    for path in files:
        text = plan.writes.get(path, repo.read(path))
        if text is None:
            note_unreadable(repo, plan, path, "not rewritten", needles)
        if text is None or not any(n in text for n in needles):
            continue
        if path.endswith(".py"):
            commands = python_commands(mapping, repo.module_name(path),
                                       path.endswith("__init__.py"), text)
            if not commands:  # the needle is there, but no old path nor its last part
                continue
            result = cm.run_commands(path, text, commands)
            if result.status == "skipped":  # not valid Python: its mentions stay listed
                plan.notes.append(f"{path}: {result.reason}; not rewritten, review its "
                                  "mentions by hand")
            if result.status == "changed":
                record(plan, repo, path, result.code)
            elif result.status == "failed":
                plan.failures.append(f"{path}: {result.reason.strip().splitlines()[-1]}")
        elif path.endswith((".md", ".mdx")):
            new = rewrite_markdown(text, block, docs_mapping.sub, _link_rewriter(path, paths))
            if new != text:
                record(plan, repo, path, new)
        elif path.endswith((".toml", ".cfg")):
            new = _QUOTED_DOTTED.sub(lambda m: _quoted(m, mapping), text)
            if new != text:
                record(plan, repo, path, new)


def note_unreadable(repo: Repo, plan: Plan, path: str, consequence: str,
                    needles: Sequence[str] = ()) -> None:
    """Say in the plan that ``path`` could not be decoded (never skip it silently)."""
    reason = repo.unreadable.get(path)
    if reason is None:
        return
    try:
        raw = (repo.root / path).read_bytes()
    except OSError:
        raw = b""
    named = [n for n in needles if n.isascii() and n.encode() in raw]
    mentions = f"; its bytes mention {', '.join(map(repr, named))}" if named else ""
    plan.notes.append(f"{path}: could not be read ({reason}){mentions}; {consequence}: "
                      "check it by hand, or give it a PEP 263 coding line or UTF-8")


def _quoted(match: re.Match, mapping: DottedMap) -> str:
    new = mapping.map(match[2])
    if new is None:
        return match[0]
    return f"{match[1]}{new}{match[3] or ''}{match[1]}"


def _link_rewriter(page: str, paths: PathMap) -> Callable[[str], str | None]:
    def rewrite(target: str) -> str | None:
        if "://" in target:
            new, count = paths.sub(target)
            return new if count else None
        resolved = relative_link_target(page, target)
        moved = paths.map(resolved) if resolved else None
        if moved is None:
            return None
        anchor = "#" + target.split("#", 1)[1] if "#" in target else ""
        return relative_link(page, moved, anchor)

    return rewrite


def record(plan: Plan, repo: Repo, path: str, text: str, original_path: str | None = None) -> None:
    """Put ``text`` as the new content of ``path`` into ``plan``, keeping the original."""
    if path not in plan.originals:
        plan.originals[path] = repo.read(original_path or path)
    plan.writes[path] = text


def changelog_entry(text: str | None, line: str) -> str:
    """``text`` (a changelog, or None) with ``line`` added under ``## Unreleased``."""
    if not text:
        return f"# Changelog\n\n## Unreleased\n\n{line}\n"
    lines = text.splitlines(keepends=True)
    for i, current in enumerate(lines):
        if re.match(r"^##\s+\[?unreleased\]?", current, re.I):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            while j < len(lines) and lines[j].startswith(("- ", "* ", "  ")):
                j += 1
            body = lines[:j]
            if body and not body[-1].endswith("\n"):
                body[-1] += "\n"
            if j == i + 1 or not lines[j - 1].strip():
                body = lines[: i + 1] + ["\n"]
                return "".join(body + [line + "\n"] + (["\n"] if j < len(lines) else [])
                               + lines[j:])
            return "".join(body + [line + "\n"] + lines[j:])
    for i, current in enumerate(lines):
        if current.startswith("## "):
            return "".join(lines[:i] + ["## Unreleased\n\n", line + "\n\n"] + lines[i:])
    return text.rstrip("\n") + f"\n\n## Unreleased\n\n{line}\n"


# -- exports kept through the shims -----------------------------------------------------------
#
# Names that leave a package stay importable from it: the ``export_to`` packages keep each
# demoted name (and the experimental package each promoted name it exported), through the
# shim at its old module, as a ``# deprecated import`` that is imported (and warns) only when
# used. ``prune`` removes them with the shims.


def export_inits(repo: Repo, config: PromoteConfig, packages: Iterable[str] | None = None
                 ) -> dict[str, str]:
    """Each package (default: ``export_to``) and its ``__init__`` file, for those that exist."""
    inits = {p: f"{_package_dir(config.source_root, p)}/__init__.py"
             for p in (config.export_to if packages is None else packages)}
    return {p: init for p, init in inits.items() if repo.exists(init)}


def deprecate_exports(repo: Repo, config: PromoteConfig, plan: Plan, shims: Mapping[str, str],
                      moved: set[str], packages: Iterable[str] | None = None) -> list[str]:
    """Keep every name of ``shims`` exported from each package that exports it, through its
    shim; returns the ``__init__`` files it edited.

    Args:
        shims: each exported name and the dotted module of its shim (its old module).
        moved: every dotted module that is a shim after the plan.
        packages: the packages whose exports stay (default: ``export_to``).
    """
    edited = []
    for package, init in export_inits(repo, config, packages).items() if shims else ():
        inside = {n: m[len(package) + 1:] for n, m in shims.items()
                  if m.startswith(package + ".")}
        outside = sorted(set(shims) - set(inside))
        if outside:
            plan.failures.append(f"export_to {package!r}: {', '.join(outside)} come from "
                                 f"{shims[outside[0]]}, outside the package; its exports "
                                 "cannot be kept through their shims")
            continue
        relative = {m[len(package) + 1:] for m in moved if m.startswith(package + ".")}
        text = plan.writes.get(init, repo.read(init)) or ""
        result = cm.run_commands(init, text, [cm.DeprecateExportsCommand(inside, relative)])
        if result.status == "failed":
            plan.failures.append(f"{init}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            record(plan, repo, init, result.code)
            edited.append(init)
    return edited
