"""``include``: a prototype made outside the repository becomes an in-tree experimental feature.

SOURCE is the prototype's source tree (a ``pyproject.toml`` and one top-level package: what
``fledge new`` writes, or any project such as TRL's ``trl-cgrpo``) or the name of an
installed distribution (its source tree when it is installed editable, else its installed
package alone); see ``_prototype``. The package becomes ``<experimental_package>.<name>``,
its tests go to the experimental tests, its docs page (its own, else its readme) to the docs
with an entry in the experimental navigation section, its imports and dotted strings follow
the new package, in the target's import style. A plugin's manifest keeps its owners and
summary with ``since`` set to the version being developed. Python files get the target's
licence header, and the prototype's own notice when its licence is another. Where the target
registers its features through entry points (this repository's
``[project.entry-points.fledge]``), the feature gets one; a host whose features are the
subpackages of its folder (TRL's ``trl/experimental/``) finds it there. A name the target
already uses is refused up front (``repository._name_uses``); a second run on an included
prototype plans nothing. Nothing outside the target is changed: the prototype's distribution
is named for retirement, and when it is installed where promote runs, the plan says so.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from fledge._namespace import FLEDGE_NAMESPACE

from .._errors import PlanError
from ..repository._config import PromoteConfig
from ..repository._docs_formats import get_docs_format, remove_notice
from ..repository._name_uses import name_uses
from ..repository._repo import Repo
from ._paths import DottedMap
from ._plan import Mention, Plan
from ._promotion import _changelog, _style_for, _verify, collect_mentions
from ._rewrite import record
from .inclusion._manifest import GENERATED_MANIFEST, add_manifest, manifest_text
from .inclusion._prototype import Prototype, find_prototype
from .inclusion._register import add_entry_point, entry_table, exported, in_tree_exports
from .inclusion._text import (
    find_ruff,
    licence_notice,
    markdown_text,
    outside_links,
    python_text,
    relative_style,
    requirements_note,
    sort_imports,
    source_url,
    target_licence,
    target_project,
    with_headers,
)

__all__ = ["find_ruff", "installed_prototype", "plan_inclusion"]

#: The plan's fact naming the prototype's distribution installed where promote runs.
INSTALLED = "installed prototype"


@dataclass
class _Inclusion:
    """Where an include puts a prototype, worked out before any text is written.

    Attributes:
        files: each destination and what it comes from (see ``_placed``).
        api: the module a manifest written for the prototype names, or None.
        page: the docs page's destination, or None.
        tests: the destinations of its tests.
        by_entry_point: whether the target registers the feature by entry point.
    """

    prototype: Prototype
    new_dir: str
    new_package: str
    shown: str
    kind: str
    files: dict[str, str]
    api: str | None
    page: str | None
    tests: list[str]
    by_entry_point: bool

    @property
    def name(self) -> str:
        return self.prototype.name


def plan_inclusion(repo: Repo, config: PromoteConfig, source: str,
                   progress: Callable[[str], None] = lambda line: None,
                   name: str | None = None) -> Plan:
    """Plan including the prototype ``source`` names as an experimental in-tree feature.

    Args:
        name: the feature's name (default: the plugin's entry point, else its package's name
            without a prefix naming the target).

    Raises:
        UsageError: ``source`` is no prototype (no folder with a pyproject.toml, no installed
            distribution, not one top-level package), or its name is no identifier.
        PlanError: the name is already used in the target (each place named).
    """
    inclusion = _inclusion(repo, config, find_prototype(
        source, _target_prefixes(repo, config), name))
    plan = Plan("include", inclusion.name)
    notice = licence_notice(inclusion.prototype, target_licence(repo))
    if notice and inclusion.prototype.licence.text:
        inclusion.files[f"{inclusion.new_dir}/LICENSE"] = "LICENSE"
    texts, unlinked = _texts(repo, config, plan, inclusion, notice)
    if _already_there(repo, inclusion.new_dir, texts, plan):
        return plan
    _refuse_taken(repo, config, inclusion.name, inclusion.files)
    progress(f"including {len(inclusion.files)} files of {inclusion.prototype.distribution}")
    if inclusion.by_entry_point:
        add_entry_point(repo, plan, inclusion.prototype, inclusion.new_package)
    elif inclusion.prototype.is_plugin:
        plan.notes.append(f"no [project.entry-points.{inclusion.prototype.group}] table in "
                          f"pyproject.toml: the host finds {inclusion.new_package} as a "
                          "subpackage of its folder")
    for dest, text in texts.items():
        record(plan, repo, dest, text)
    _summarise(repo, config, plan, inclusion, notice)
    _verify(plan)
    mentions = collect_mentions(repo, plan, [inclusion.prototype.module,
                                             inclusion.prototype.distribution])
    plan.mentions = [m for m in mentions if not (notice and m.text.startswith(notice[:24]))]
    plan.mentions += unlinked  # above: the kept licence notice is no mention to review
    return plan


def _inclusion(repo: Repo, config: PromoteConfig, prototype: Prototype) -> _Inclusion:
    name = prototype.name
    new_dir = f"{config.experimental_dir}/{name}"
    files = _placed(config, prototype, new_dir)
    kind = "plugin" if prototype.is_plugin else "prototype"
    api = add_manifest(repo, config, prototype, new_dir, files) \
        if config.manifests == "fledge" and not prototype.is_plugin else None
    new_package = f"{config.experimental_package}.{name}"
    page = next((dest for dest, src in files.items() if src == "README" or src in prototype.docs),
                None)
    return _Inclusion(
        prototype, new_dir, new_package,
        config.public_aliases[0].format(name=name) if config.public_aliases else new_package,
        kind, files, api, page, [dest for dest, src in files.items() if src in prototype.tests],
        prototype.is_plugin and entry_table(repo, prototype.group) is not None)


def _texts(repo: Repo, config: PromoteConfig, plan: Plan, inclusion: _Inclusion,
           notice: str | None) -> tuple[dict[str, str], list[Mention]]:
    """What include writes at each destination, and the page's links it changed."""
    prototype, new_dir, new_package = inclusion.prototype, inclusion.new_dir, \
        inclusion.new_package
    rules = [(prototype.module, new_package)]
    if prototype.group:  # the namespace it was served in: its tests import it there
        rules.append((f"{_namespace_of(prototype.group)}.{inclusion.name}", inclusion.shown))
    mapping = DottedMap(rules)
    relative = relative_style(repo, config)
    style = _style_for(repo, config, repo.files_under(config.experimental_dir)[:50])
    project = target_project(repo).get("name")
    generated = None if inclusion.api is None else manifest_text(
        prototype, f"{new_package}.{inclusion.api}", _source_text(
            prototype, inclusion.files[f"{new_dir}/{inclusion.api}.py"]), config.version,
        project, style)
    exports = None if inclusion.by_entry_point or not prototype.is_plugin else \
        in_tree_exports(prototype, generated)
    manifest = {"since": config.version, "docs": inclusion.page,
                "tests": (_test_root(config, inclusion.name),) if inclusion.tests else None}
    if exports is not None:  # an in-tree feature's manifest names its own package
        manifest["module"] = new_package
    renamed = (prototype.distribution, project) if isinstance(project, str) else None
    texts, unlinked = {}, []
    for dest, src in inclusion.files.items():
        text = generated if src == GENERATED_MANIFEST else _source_text(prototype, src)
        if dest.endswith(".py"):
            inside = relative and dest.startswith(new_dir + "/")
            text = python_text(plan, dest, text, mapping, _module(new_package, new_dir, dest)
                               if inside else None, manifest if prototype.is_plugin else None,
                               renamed)
            if exports and dest == f"{new_dir}/__init__.py":
                text = exported(plan, dest, text, *exports, style)
            text = sort_imports(repo, plan, dest, with_headers(text, style.header, notice))
        elif dest == inclusion.page:
            text, unlinked = outside_links(markdown_text(text, mapping), dest, lambda p: (
                p in inclusion.files or repo.exists(p)), source_url(prototype, src))
            text = _with_notice(config, text, inclusion.shown)
        texts[dest] = text
    return texts, unlinked


def _summarise(repo: Repo, config: PromoteConfig, plan: Plan, inclusion: _Inclusion,
               notice: str | None) -> None:
    """The plan's facts and notes, its navigation entry and changelog line."""
    prototype, name, kind = inclusion.prototype, inclusion.name, inclusion.kind
    tests = [_test_root(config, name)] if inclusion.tests else []
    plan.facts = {"from": f"{prototype.distribution} ({prototype.root})",
                  "to": inclusion.new_package, "import path": inclusion.shown,
                  "since": config.version, "summary": prototype.summary or "-",
                  "owners": list(prototype.owners),
                  "requirements": list(prototype.requirements), "tests": tests,
                  "docs": inclusion.page or "-"}
    plan.test_paths = tests
    licence = prototype.licence
    if notice:
        plan.facts["licence"] = (f"{licence.spdx or 'its own'} (not the target's): its "
                                 "copyright and licence notice are kept" + (
                                     f" ({inclusion.new_dir}/LICENSE)" if licence.text else ""))
    elif licence.spdx is None and licence.text is None:
        plan.notes.append(f"{prototype.distribution} states no licence: make sure its authors "
                          "agree to its inclusion under the target's licence")
    if inclusion.page:
        _navigation(repo, config, plan, inclusion.page, name)
    else:
        plan.notes.append(f"the {kind} has no docs page (docs/*.md): none added")
    requirements_note(plan, prototype, target_project(repo))
    _changelog(repo, config, plan, f"- New experimental feature `{name}`, included from the "
               f"{kind} `{prototype.distribution}`: import it from `{inclusion.shown}`.")
    plan.notes.append(f"the {kind} distribution {prototype.distribution} can now be retired: "
                      f"`pip uninstall {prototype.distribution}` wherever it is installed (both "
                      f"would provide {name!r}) and archive its repository")
    _installed_note(plan, prototype)


def installed_prototype(plan: Plan) -> str | None:
    """The distribution an include plan names as installed where promote runs, or None."""
    found = plan.facts.get(INSTALLED)
    return found.split(" ")[0] if isinstance(found, str) else None


def _installed_note(plan: Plan, prototype: Prototype) -> None:
    try:
        dist = metadata.distribution(prototype.distribution)
    except metadata.PackageNotFoundError:
        return
    where = dist.locate_file("")
    plan.facts[INSTALLED] = f"{prototype.distribution} {dist.version} (in {where})"
    plan.notes.append(f"{prototype.distribution} is installed where promote runs: --apply "
                      "refuses while it is (both would provide the feature, and the moved "
                      "tests would see two); pass --uninstall-prototype to uninstall it with "
                      f"pip first, or run `{sys.executable} -m pip uninstall "
                      f"{prototype.distribution}`")


def _target_prefixes(repo: Repo, config: PromoteConfig) -> tuple[str, ...]:
    """Prefixes naming the target that a prototype's package name drops (``trl_``)."""
    names = {config.top_package, config.experimental_package.split(".")[0]}
    project = target_project(repo).get("name")
    if isinstance(project, str):
        names.add(re.sub(r"[-_.]+", "_", project).lower())
    return tuple(f"{n}_" for n in names if n)


def _module(new_package: str, new_dir: str, dest: str) -> str:
    """The dotted name file ``dest`` of the feature's package will have."""
    parts = posixpath.splitext(dest[len(new_dir) + 1:])[0].split("/")
    return ".".join([new_package, *(parts[:-1] if parts[-1] == "__init__" else parts)])


def _with_notice(config: PromoteConfig, page: str, shown: str) -> str:
    """The page with the experimental notice in the docs format's style, unless it has one."""
    if remove_notice(page)[1]:
        return page
    return get_docs_format(config).add_notice(
        page, "Experimental", f"`{shown}` is experimental: its API may change, or it may be "
        "removed, in any release.")


def _source_text(prototype: Prototype, src: str) -> str:
    if src == "README":
        assert prototype.readme is not None
        return prototype.readme[1]
    if src == "LICENSE":
        return prototype.licence.text or ""
    return (prototype.root / src).read_text(encoding="utf-8")


def _already_there(repo: Repo, new_dir: str, texts: dict[str, str], plan: Plan) -> bool:
    """Whether the prototype is included already: every file it would write is there, the
    same. The plan then stays empty, with a note."""
    if not repo.exists(new_dir) or any(repo.read(d) != t for d, t in texts.items()):
        return False
    plan.notes.append(f"already included: {new_dir}/ and the files beside it hold what include "
                      "would write; nothing to do")
    return True


def _refuse_taken(repo: Repo, config: PromoteConfig, name: str, files: dict[str, str]) -> None:
    uses = name_uses(repo, config, name)
    uses += [f"{dest} exists already" for dest in files
             if repo.exists(dest) and not any(dest.startswith(u.split(":")[0]) for u in uses)]
    if uses:
        raise PlanError([f"the name {name!r} is already used in {repo.root.name}; pass "
                         "--name NAME to include it under another name", *uses])


def _placed(config: PromoteConfig, prototype: Prototype, new_dir: str) -> dict[str, str]:
    """Each destination in the repository and what it comes from: a file of the prototype
    (relative to its root), or ``README`` (its readme, as the docs page)."""
    out: dict[str, str] = {}
    for path in prototype.code_files():
        rel = path.relative_to(prototype.package).as_posix()
        out[f"{new_dir}/{rel}"] = path.relative_to(prototype.root).as_posix()
    name = prototype.name
    template = config.experimental_tests[0].format(name=name) \
        if config.experimental_tests else None
    tests = [t for t in prototype.tests if posixpath.basename(t) not in ("__init__.py",
                                                                        "conftest.py")]
    for test in tests if template else ():
        if template.endswith(".py"):
            dest = template if len(tests) == 1 else posixpath.join(
                posixpath.dirname(template), posixpath.basename(test))
        else:
            dest = f"{template}/{test.split('/', 1)[1]}"
        out[dest] = test
    page = config.docs_pages[0].format(name=name) if config.docs_pages else None
    stems = {name, prototype.module}
    own = [d for d in prototype.docs if posixpath.splitext(posixpath.basename(d))[0] in stems]
    if page and own:
        out[page] = own[0]
    elif page and prototype.readme:
        out[page] = "README"
    elif page and prototype.docs:
        out[page] = prototype.docs[0]
    return out


def _namespace_of(group: str) -> str:
    """The namespace a host serves its plugins' features in: fledge's, or the group's own
    (a host's group is its namespace unless it says otherwise)."""
    return FLEDGE_NAMESPACE if group == "fledge" else group


def _test_root(config: PromoteConfig, name: str) -> str:
    return config.experimental_tests[0].format(name=name)


def _navigation(repo: Repo, config: PromoteConfig, plan: Plan, page: str, name: str) -> None:
    nav = plan.writes.get(config.nav_file, repo.read(config.nav_file))
    if nav is None:
        plan.notes.append(f"no navigation file {config.nav_file}: {page} is not listed")
        return
    fmt = get_docs_format(config)
    text = plan.writes[page]
    heading = re.search(r"^#\s+(.+?)\s*$", text, re.M)
    title = heading.group(1).strip("`") if heading else name
    ref = fmt.page_ref(config, page)
    record(plan, repo, config.nav_file,
           fmt.add_entry(nav, ref, title, config.experimental_section))
    plan.notes.append(f"{config.nav_file}: {ref} added to {config.experimental_section!r}")
