"""``include``: a plugin prototyped outside the repository becomes an in-tree experimental
feature.

SOURCE is the plugin's source tree (what ``fledge new`` writes: ``pyproject.toml`` with an
entry point naming the plugin's package, ``tests/``, ``docs/``) or the name of an installed
plugin distribution (its source tree when it is installed editable, else its installed
package alone). The package becomes ``<experimental_package>.<name>``, its tests go to the
experimental tests, its docs page to the docs with an entry in the experimental navigation
section, its imports and dotted strings follow the new package, and its manifest keeps its
owners and summary with ``since`` set to the version being developed. Python files get the
target's licence header. Where the target registers its features through entry points
(this repository's ``[project.entry-points.fledge]``), the feature gets one; a host whose
features are the subpackages of its folder (TRL's ``trl/experimental/``) finds it there.
Nothing outside the target is changed: the plugin's distribution is named for retirement.
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from fledge import Feature
from fledge._namespace import FLEDGE_NAMESPACE

from .._errors import PlanError, UsageError
from ..repository._config import PromoteConfig
from ..repository._docs_formats import get_docs_format
from ..repository._exports import shadowed_exports, submodule_names
from ..repository._features import _static_manifest
from ..repository._repo import Repo, editable_root
from ..repository._style import licence_header
from . import codemods as cm
from ._paths import DottedMap
from ._plan import Plan
from ._promotion import _changelog, _style_for, _verify, collect_mentions
from ._rewrite import python_commands, record

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Plugin", "find_plugin", "plan_inclusion"]

_SKIP = ("__pycache__", ".pyc", ".egg-info")


@dataclass
class Plugin:
    """A plugin to include, read from its source tree or its installed distribution.

    Attributes:
        name: the feature's name (its entry point's name).
        distribution: the plugin's distribution name.
        group: the entry point group it registers in.
        module: the dotted package its entry point names.
        root: its source tree, or the folder holding its installed package.
        package: its package folder.
        tests: its test files (relative to ``root``).
        docs: its docs pages (relative to ``root``).
    """

    name: str
    distribution: str
    group: str
    module: str
    root: Path
    package: Path
    tests: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)


def find_plugin(source: str) -> Plugin:
    """The plugin ``source`` names: a source tree, or an installed distribution's name.

    Raises:
        UsageError: neither, or no entry point naming a package of it.
    """
    path = Path(source)
    if path.is_dir():
        return _from_tree(path.resolve())
    try:
        dist = metadata.distribution(source)
    except metadata.PackageNotFoundError:
        raise UsageError(f"{source!r} is neither a folder nor an installed distribution; give "
                         "the plugin's source tree (a folder with pyproject.toml) or the name "
                         "`pip list` shows") from None
    root = editable_root(dist)
    if root is not None and (root / "pyproject.toml").is_file():
        return _from_tree(root)
    points = list(dist.entry_points)
    if not points:
        raise UsageError(f"distribution {source!r} has no entry point: it is not a plugin")
    point = points[0]
    top = point.value.split(":")[0].split(".")[0]
    spec = Path(str(dist.locate_file(top)))
    if not (spec / "__init__.py").is_file():
        raise UsageError(f"distribution {source!r}: entry point {point.name} names {top}, which "
                         "is not an installed package folder")
    return Plugin(point.name, dist.metadata["Name"], point.group, point.value.split(":")[0],
                  spec.parent, spec)


def _from_tree(root: Path) -> Plugin:
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read it ({exc})") from None
    for group, points in project.get("entry-points", {}).items():
        for name, value in points.items():
            module = value.split(":")[0]
            top = module.split(".")[0]
            for base in (root, root / "src"):
                if (base / top / "__init__.py").is_file():
                    plugin = Plugin(name, project.get("name", root.name), group, module, root,
                                    base / top)
                    plugin.tests = _files(root, "tests", (".py",))
                    plugin.docs = _files(root, "docs", (".md", ".mdx"))
                    return plugin
    raise UsageError(f"{pyproject} has no entry point naming a package of {root}: add one "
                     "(`[project.entry-points.fledge] <name> = \"<package>\"`)")


def _files(root: Path, folder: str, suffixes: tuple[str, ...]) -> list[str]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*")
                  if p.is_file() and p.suffix in suffixes and not any(s in str(p) for s in _SKIP))


def plan_inclusion(repo: Repo, config: PromoteConfig, source: str,
                   progress: Callable[[str], None] = lambda line: None) -> Plan:
    """Plan including the plugin ``source`` names as an experimental in-tree feature.

    Raises:
        UsageError: ``source`` is not a plugin.
        PlanError: the feature's destination (package, tests, page) exists already.
    """
    plugin = find_plugin(source)
    name = plugin.name
    if not name.isidentifier():
        raise UsageError(f"the plugin's entry point name {name!r} is not a Python identifier")
    new_dir = f"{config.experimental_dir}/{name}"
    new_package = f"{config.experimental_package}.{name}"
    plan = Plan("include", name)
    files = _placed(repo, config, plugin, new_dir)
    taken = [f"{dest} exists already; remove it or rename the feature" for dest in files
             if repo.exists(dest)]
    if repo.exists(new_dir):
        taken.insert(0, f"{new_dir}/ exists already: the repository has a feature {name!r}")
    if taken:
        raise PlanError(taken)
    progress(f"including {len(files)} files of {plugin.distribution}")
    style = _style_for(repo, config, repo.files_under(config.experimental_dir)[:50])
    shown = config.public_aliases[0].format(name=name) if config.public_aliases else new_package
    # the plugin's package, and the namespace it was served in (its tests import it there)
    mapping = DottedMap([(plugin.module.split(".")[0], new_package),
                         (f"{_namespace_of(plugin.group)}.{name}", shown)])
    page = next((dest for dest, src in files.items() if src in plugin.docs), None)
    tests = [dest for dest, src in files.items() if src in plugin.tests]
    manifest = {"since": config.version, "docs": page,
                "tests": (_test_root(config, name),) if tests else None}
    by_entry_point = _entry_point(repo, plan, plugin, new_package)
    exports = None if by_entry_point else _in_tree_exports(plugin, new_package)
    if exports is not None:  # an in-tree feature's manifest names its own package
        manifest["module"] = new_package
    for dest, src in files.items():
        text = (plugin.root / src).read_text(encoding="utf-8")
        if dest.endswith(".py"):
            text = _rewritten(repo, plan, dest, text, mapping, manifest, plugin)
            if exports and dest == f"{new_dir}/__init__.py":
                text = _exported(plan, dest, text, *exports, style)
            if style.header and not licence_header(text):
                text = style.header + "\n" + text
            text = _sorted_imports(repo, plan, dest, text)
        record(plan, repo, dest, text)
    plan.facts = {"from": f"{plugin.distribution} ({plugin.root})", "to": new_package,
                  "import path": shown, "since": config.version,
                  "tests": [_test_root(config, name)] if tests else [], "docs": page or "-"}
    plan.test_paths = [_test_root(config, name)] if tests else []
    if page:
        _navigation(repo, config, plan, page, name)
    else:
        plan.notes.append("the plugin has no docs page (docs/*.md): none added")
    _changelog(repo, config, plan, f"- New experimental feature `{name}`, included from the "
               f"plugin `{plugin.distribution}`: import it from `{shown}`.")
    plan.notes.append(f"the plugin distribution {plugin.distribution} can now be retired: "
                      f"`pip uninstall {plugin.distribution}` wherever it is installed (both "
                      f"would provide {name!r}) and archive its repository")
    _verify(plan)
    plan.mentions = collect_mentions(repo, plan, [plugin.module.split(".")[0],
                                                  plugin.distribution])
    return plan


def _placed(repo: Repo, config: PromoteConfig, plugin: Plugin, new_dir: str) -> dict[str, str]:
    """Each destination in the repository and the plugin file it comes from."""
    out: dict[str, str] = {}
    for path in sorted(plugin.package.rglob("*")):
        if path.is_file() and not any(s in str(path) for s in _SKIP):
            rel = path.relative_to(plugin.package).as_posix()
            out[f"{new_dir}/{rel}"] = path.relative_to(plugin.root).as_posix()
    template = config.experimental_tests[0].format(name=plugin.name) \
        if config.experimental_tests else None
    tests = [t for t in plugin.tests if posixpath.basename(t) != "__init__.py"]
    for test in tests if template else ():
        if template.endswith(".py"):
            dest = template if len(tests) == 1 else posixpath.join(
                posixpath.dirname(template), posixpath.basename(test))
        else:
            dest = f"{template}/{test.split('/', 1)[1]}"
        out[dest] = test
    page = config.docs_pages[0].format(name=plugin.name) if config.docs_pages else None
    own = [d for d in plugin.docs if posixpath.splitext(posixpath.basename(d))[0] == plugin.name]
    if page and (own or plugin.docs):
        out[page] = (own or plugin.docs)[0]
    return out


def _namespace_of(group: str) -> str:
    """The namespace a host serves its plugins' features in: fledge's, or the group's own
    (a host's group is its namespace unless it says otherwise)."""
    return FLEDGE_NAMESPACE if group == "fledge" else group


def _test_root(config: PromoteConfig, name: str) -> str:
    return config.experimental_tests[0].format(name=name)


def _rewritten(repo: Repo, plan: Plan, dest: str, text: str, mapping: DottedMap,
               manifest: dict, plugin: Plugin) -> str:
    """``text`` with the plugin's package renamed, its distribution's name replaced by the
    target's in strings, and its manifest updated."""
    commands = python_commands(mapping, None, dest.endswith("__init__.py"), text)
    if "Feature(" in text:
        commands.append(cm.UpdateManifestCommand(manifest))
    if commands:
        result = cm.run_commands(dest, text, commands)
        if result.status == "failed":
            plan.failures.append(f"{dest}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            text = result.code
    project = _target_project(repo)
    if project:
        text = re.sub(rf"""(["']){re.escape(plugin.distribution)}\1""", rf"\g<1>{project}\1", text)
    return text


def _sorted_imports(repo: Repo, plan: Plan, dest: str, text: str) -> str:
    """``text`` with its imports sorted by the target's own ruff configuration (isort's
    sections, first-party packages, blank lines after imports); without ruff, or where ruff
    fails, the text as it is and a note that says so."""
    ruff = find_ruff()
    if ruff is None:
        _note_once(plan, f"imports not sorted: ruff was not found beside {sys.executable} nor "
                         "on PATH (pip install ruff); run `ruff check --select I --fix` on the "
                         "included files")
        return text
    done = subprocess.run([ruff, "check", "--fix", "--select", "I", "--exit-zero", "--quiet",
                           "--stdin-filename", dest, "-"], input=text, cwd=repo.root,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.strip():
        _note_once(plan, f"imports of {dest} not sorted: ruff failed "
                         f"({(done.stderr.strip().splitlines() or ['no message'])[-1]})")
        return text
    return done.stdout


def find_ruff() -> str | None:
    """The ruff of the running environment (beside its Python: a venv that is not activated
    has it there, not on PATH), else the one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / ("ruff.exe" if os.name == "nt" else "ruff")
    return str(beside) if beside.is_file() else shutil.which("ruff")


def _note_once(plan: Plan, note: str) -> None:
    if note not in plan.notes:
        plan.notes.append(note)


def _target_project(repo: Repo) -> str | None:
    """The target's distribution name (``[project] name``), which now ships the feature."""
    try:
        project = tomllib.loads(repo.read("pyproject.toml") or "").get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    return project.get("name")


def _entry_point(repo: Repo, plan: Plan, plugin: Plugin, new_package: str) -> bool:
    """An entry point for the feature, where the target registers its features that way.

    Returns whether it does; otherwise the host finds the feature in its folder.
    """
    text = plan.writes.get("pyproject.toml", repo.read("pyproject.toml")) or ""
    header = re.search(rf"""^\[project\.entry-points\.(?:"{re.escape(plugin.group)}"|"""
                       rf"""{re.escape(plugin.group)})\]\s*$""", text, re.M)
    if header is None:
        plan.notes.append(f"no [project.entry-points.{plugin.group}] table in pyproject.toml: "
                          f"the host finds {new_package} as a subpackage of its folder")
        return False
    # after the table's last key: blank lines and comments below it introduce the next table
    lines = text[header.end():].split("\n")
    last = 0
    for i, current in enumerate(lines[1:], 1):
        if current.startswith("["):
            break
        if current.strip() and not current.lstrip().startswith("#"):
            last = i
    line = f'{plugin.name} = "{new_package}"'
    lines.insert(last + 1, line)
    record(plan, repo, "pyproject.toml", text[:header.end()] + "\n".join(lines))
    plan.notes.append(f"pyproject.toml: entry point {plugin.group} {line}")
    return True


def _in_tree_exports(plugin: Plugin, new_package: str) -> tuple[str, list[str]] | None:
    """Where the feature's exports live (relative to its package) and their names, read
    from the plugin's manifest: an in-tree feature's package ``__init__`` must export them."""
    found = _static_manifest((plugin.package / "__init__.py").read_text(encoding="utf-8"))
    if not isinstance(found, Feature):
        raise UsageError(f"{plugin.package / '__init__.py'}: {found}")
    top = plugin.module.split(".")[0]
    module = found.module
    if module == top or not module.startswith(top + "."):
        return None  # the package exports them itself
    return module[len(top) + 1:], list(found.exports)


def _exported(plan: Plan, dest: str, text: str, submodule: str, names: list[str],
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
