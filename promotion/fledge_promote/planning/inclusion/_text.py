"""The texts ``include`` writes: a prototype's Python files and docs page made the target's own.

Python files have the prototype's package renamed (absolute imports of it, and of the
target's own package, become relative where the target writes relative imports), a licence
header, and their imports sorted by the target's ruff. A prototype under another licence
than the target's keeps its copyright and licence notice: the licence's text goes beside
the package as ``LICENSE`` and each Python file says where it comes from, under the
target's header.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ...repository._config import PromoteConfig
from ...repository._links import resolve_link, rewrite_links
from ...repository._markdown import rewrite_markdown
from ...repository._repo import Repo
from ...repository._style import licence_header
from .. import codemods as cm
from .._paths import DottedMap
from .._plan import Mention, Plan
from .._rewrite import python_commands, rewrite_code_block
from ._prototype import Licence, Prototype, tree_licence

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["find_ruff", "licence_notice", "markdown_text", "outside_links", "python_text",
           "relative_style", "requirements_note", "sort_imports", "source_url",
           "target_licence", "target_project"]

_RELATIVE = re.compile(r"^\s*from \.", re.M)
_INLINE_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")


def relative_style(repo: Repo, config: PromoteConfig) -> bool:
    """Whether the target's experimental code imports its own package relatively."""
    top = config.experimental_package.split(".")[0]
    absolute = re.compile(rf"^\s*(?:from|import) {re.escape(top)}\b", re.M)
    relative = absolute_count = 0
    for path in [p for p in repo.files_under(config.experimental_dir) if p.endswith(".py")][:80]:
        text = repo.read(path) or ""
        relative += len(_RELATIVE.findall(text))
        absolute_count += len(absolute.findall(text))
    return relative > absolute_count


def python_text(plan: Plan, dest: str, text: str, mapping: DottedMap, module: str | None,
                manifest: dict | None, renamed: tuple[str, str] | None = None) -> str:
    """``text`` with the prototype's package renamed through ``mapping`` (imports of the
    target's package made relative inside ``module``, when given), its ``Feature(...)``
    manifest updated, and its distribution's name in strings replaced by the target's
    (``renamed``: old, new), which now ships the feature."""
    if renamed:
        old, new = renamed
        text = re.sub(rf"""(["']){re.escape(old)}\1""", rf"\g<1>{new}\1", text)
    is_package = dest.endswith("__init__.py")
    commands = python_commands(mapping, module, is_package, text)
    if module is not None:  # the target's style: its own package imported relatively
        commands += [cm.MakeImportsRelativeCommand(module, is_package),
                     cm.SortRelativeImportsCommand()]
    if manifest is not None and "Feature(" in text:
        commands.append(cm.UpdateManifestCommand(manifest))
    if not commands:
        return text
    result = cm.run_commands(dest, text, commands)
    if result.status == "failed":
        plan.failures.append(f"{dest}: {result.reason.strip().splitlines()[-1]}")
    return result.code if result.status == "changed" else text


def with_headers(text: str, header: str, notice: str | None) -> str:
    """``text`` under the target's ``header`` and the prototype's ``notice``; a file with a
    licence header of its own keeps it, under the target's."""
    own = licence_header(text)
    lead = ""
    if header and not (own and not notice):
        lead += header
    if notice and not own:
        lead += notice
    return lead + "\n" + text if lead else text


def markdown_text(text: str, mapping: DottedMap) -> str:
    """A docs page with the prototype's imports and dotted paths renamed in its code: its
    code blocks, builder references and inline code (the page is the prototype's own)."""
    text = rewrite_markdown(text, rewrite_code_block(mapping), mapping.sub, lambda link: None)
    return _INLINE_CODE.sub(lambda m: mapping.sub(m.group(0))[0], text)


def target_project(repo: Repo) -> dict:
    try:
        project = tomllib.loads(repo.read("pyproject.toml") or "").get("project", {})
    except tomllib.TOMLDecodeError:
        return {}
    return project if isinstance(project, dict) else {}


def target_licence(repo: Repo) -> Licence:
    return tree_licence(repo.root, target_project(repo), ())


def licence_notice(prototype: Prototype, target: Licence) -> str | None:
    """The comment each Python file keeps when the prototype's licence is not the target's;
    None when they are the same licence, or the prototype states none."""
    own = prototype.licence
    if own.spdx is None and own.text is None:
        return None
    if own.spdx and target.spdx and own.spdx.lower() == target.spdx.lower():
        return None
    origin = prototype.distribution + (f" {prototype.version}" if prototype.version else "")
    lines = [f"This file comes from {origin}, {' '.join(own.copyright) or 'its authors'},",
             f"under the {own.spdx or 'licence'} licence"
             + ("; its text is in LICENSE beside this file." if own.text else ".")]
    if own.spdx:
        lines.append(f"SPDX-License-Identifier: {own.spdx}")
    return "".join(f"# {line}\n" for line in lines)


def sort_imports(repo: Repo, plan: Plan, dest: str, text: str) -> str:
    """``text`` with its imports sorted by the target's own ruff configuration (isort's
    sections, first-party packages, blank lines after imports); without ruff, or where ruff
    fails, the text as it is and a note that says so."""
    ruff = find_ruff()
    if ruff is None:
        note_once(plan, f"imports not sorted: ruff was not found beside {sys.executable} nor "
                        "on PATH (pip install ruff); run `ruff check --select I --fix` on the "
                        "included files")
        return text
    done = subprocess.run([ruff, "check", "--fix", "--select", "I", "--exit-zero", "--quiet",
                           "--stdin-filename", dest, "-"], input=text, cwd=repo.root,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        note_once(plan, f"imports of {dest} not sorted: ruff failed "
                        f"({(done.stderr.strip().splitlines() or ['no message'])[-1]})")
        return text
    return done.stdout


def find_ruff() -> str | None:
    """The ruff of the running environment (beside its Python: a venv that is not activated
    has it there, not on PATH), else the one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / ("ruff.exe" if os.name == "nt" else "ruff")
    return str(beside) if beside.is_file() else shutil.which("ruff")


def note_once(plan: Plan, note: str) -> None:
    if note not in plan.notes:
        plan.notes.append(note)


def outside_links(text: str, page: str, exists: Callable[[str], bool],
                  source_base: str | None) -> tuple[str, list[Mention]]:
    """The included page with each relative link that points at nothing in the target (a
    file of the prototype's own repository) pointed at that repository (``source_base``:
    the URL of the page's folder there), else made plain text; one mention per link."""

    def dead(href: str) -> str | None:
        if "://" in href or href.startswith(("#", "/", "mailto:")) or not href:
            return None
        return None if resolve_link(page, href, exists) else href

    def replacement(target: str, anchor: str) -> str | None:
        path = posixpath.normpath(target.split("#", 1)[0])
        return f"{source_base}/{path}{anchor}" if source_base and not path.startswith("..") \
            else None

    new, edits = rewrite_links(text, page, dead, replacement)
    return new, [Mention(page, e.line, f"link {e.old} -> {e.new}", "edited") if e.new else
                 Mention(page, e.line, f"link {e.old} made plain text: it points into the "
                                       "prototype's own tree", "unlinked") for e in edits]


def requirements_note(plan: Plan, prototype: Prototype, project: dict) -> None:
    """Name the prototype's requirements that the target does not declare."""
    declared = {canonicalize_name(str(project.get("name") or ""))}
    optional = project.get("optional-dependencies")
    groups = [project.get("dependencies"), *(optional.values() if isinstance(optional, dict)
                                              else ())]
    for line in [r for group in groups if isinstance(group, list) for r in group]:
        try:
            declared.add(canonicalize_name(Requirement(str(line)).name))
        except InvalidRequirement:
            continue
    missing = []
    for line in prototype.requirements:
        try:
            if canonicalize_name(Requirement(line).name) not in declared:
                missing.append(line)
        except InvalidRequirement:
            missing.append(line)
    if missing:
        plan.notes.append(f"requirements of {prototype.distribution} the target does not "
                          f"declare: {', '.join(missing)}; add them to [project] dependencies "
                          "or an extra")


def source_url(prototype: Prototype, src: str) -> str | None:
    """The URL of the folder holding ``src`` in the prototype's GitHub or GitLab repository."""
    if prototype.repository is None or src == "README" and prototype.readme is None:
        return None
    rel = prototype.readme[0] if src == "README" and prototype.readme else src
    if not (prototype.root / rel).is_file():
        return None  # a readme from installed metadata: where it sits is unknown
    folder = posixpath.dirname(rel)
    return f"{prototype.repository}/blob/HEAD" + (f"/{folder}" if folder else "")
