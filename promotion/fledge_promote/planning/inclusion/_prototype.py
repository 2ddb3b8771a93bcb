"""What ``include`` reads from an outside prototype: a source tree or an installed distribution.

A prototype is any Python project with one top-level package: a fledge plugin (an entry
point naming its package), or a plain project (TRL's ``trl-cgrpo``: a ``GRPOTrainer``
subclass in its own repository). From a source tree, ``[project]`` of its
``pyproject.toml`` gives the distribution's name, summary, owners (authors, then
maintainers), requirements, readme and licence; from an installed distribution, its
metadata does. The feature's name is the entry point's name, else the package's with a
prefix naming the target dropped (``trl_cgrpo`` -> ``cgrpo``), unless the caller names it.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any

from ..._errors import UsageError
from ...repository._repo import editable_root

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Licence", "Prototype", "feature_name", "find_prototype", "tree_licence"]

_SKIP = ("__pycache__", ".pyc", ".egg-info")
#: Top-level folders of a source tree that are never the prototype's package.
_NOT_PACKAGES = {"tests", "test", "docs", "doc", "examples", "example", "benchmarks",
                 "scripts", "build", "dist", "tools"}
_LICENCE_FILES = ("LICENSE", "LICENCE", "COPYING", "LICENSE.md", "LICENSE.txt", "LICENCE.md",
                  "LICENCE.txt", "COPYING.md", "COPYING.txt")
_README_FILES = ("README.md", "readme.md", "README.markdown")
# The first line of the common licences' texts, for an SPDX id where metadata names none.
_LICENCE_TITLES = (("mit license", "MIT"), ("apache license", "Apache-2.0"),
                   ("bsd 3-clause", "BSD-3-Clause"), ("bsd 2-clause", "BSD-2-Clause"),
                   ("gnu general public license", "GPL"), ("mozilla public license", "MPL-2.0"),
                   ("gnu lesser general public", "LGPL"), ("isc license", "ISC"))
_CLASSIFIER_LICENCES = {"MIT License": "MIT", "Apache Software License": "Apache-2.0",
                        "BSD License": "BSD", "ISC License (ISCL)": "ISC",
                        "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0"}


@dataclass
class Licence:
    """A prototype's licence, as far as its metadata and files say.

    Attributes:
        spdx: its SPDX identifier (or expression), when known.
        text: the licence file's text, when there is one.
        copyright: its copyright lines (``Copyright (c) 2026 ...``), from the licence text,
            else one naming the prototype's authors.
    """

    spdx: str | None
    text: str | None
    copyright: list[str] = field(default_factory=list)


@dataclass
class Prototype:
    """An outside prototype to include, read from its source tree or installed distribution.

    Attributes:
        name: the feature's name.
        distribution: the distribution's name (``trl-cgrpo``).
        version: its version, when stated.
        module: its top-level package's import name (``trl_cgrpo``).
        root: its source tree, or the folder holding its installed package.
        package: its package folder.
        group: the entry point group it registers a feature in; None when it is no plugin.
        summary: ``[project] description`` (or the metadata's ``Summary``).
        owners: its authors, else its maintainers.
        requirements: its requirements on other distributions (PEP 508, no extras).
        readme: ``(where it comes from, its text)``: a Markdown readme, or None.
        licence: its licence.
        tests: its test files, relative to ``root``.
        docs: its Markdown docs pages, relative to ``root``.
        excluded: files inside ``package`` that are not code to copy (its readme, its tests).
        repository: its GitHub or GitLab repository's URL, from ``[project.urls]``.
    """

    name: str
    distribution: str
    version: str | None
    module: str
    root: Path
    package: Path
    group: str | None = None
    summary: str = ""
    owners: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    readme: tuple[str, str] | None = None
    licence: Licence = field(default_factory=lambda: Licence(None, None))
    tests: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    repository: str | None = None

    @property
    def is_plugin(self) -> bool:
        return self.group is not None

    def code_files(self) -> list[Path]:
        """The package's files that come along (not its readme, tests or caches)."""
        return [p for p in sorted(self.package.rglob("*"))
                if p.is_file() and not any(s in str(p) for s in _SKIP)
                and p.relative_to(self.root).as_posix() not in self.excluded]


def find_prototype(source: str, target_prefixes: tuple[str, ...] = (),
                   name: str | None = None) -> Prototype:
    """The prototype ``source`` names: a source tree, or an installed distribution's name.

    Args:
        source: a folder with a ``pyproject.toml``, or a distribution ``pip list`` shows.
        target_prefixes: prefixes naming the target (``trl_``), dropped from a package's
            name to make the feature's.
        name: the feature's name, overriding the one the prototype implies.

    Raises:
        UsageError: neither, or no single top-level package to include.
    """
    path = Path(source)
    if path.is_dir():
        found = _from_tree(path.resolve())
    else:
        try:
            dist = metadata.distribution(source)
        except metadata.PackageNotFoundError:
            raise UsageError(f"{source!r} is neither a folder nor an installed distribution; "
                             "give the prototype's source tree (a folder with pyproject.toml) "
                             "or the name `pip list` shows") from None
        root = editable_root(dist)
        if root is not None and (root / "pyproject.toml").is_file():
            found = _from_tree(root)
        else:
            found = _from_installed(dist)
    found.name = name or found.name or feature_name(found.module, target_prefixes)
    if not found.name.isidentifier() or keyword.iskeyword(found.name):
        raise UsageError(f"the feature's name {found.name!r} (from {found.distribution}) is not "
                         "a Python identifier that can be imported; pass --name NAME")
    return found


def feature_name(package: str, target_prefixes: tuple[str, ...]) -> str:
    """``package`` without a prefix naming the target: ``trl_cgrpo`` -> ``cgrpo``."""
    for prefix in sorted(target_prefixes, key=len, reverse=True):
        rest = package[len(prefix):]
        if package.startswith(prefix) and rest.isidentifier():
            return rest
    return package


# -- a source tree ---------------------------------------------------------------------------

def _from_tree(root: Path) -> Prototype:
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{pyproject}: cannot read it ({exc}); a prototype's source tree has "
                         "a pyproject.toml with a [project] table") from None
    if not isinstance(project, dict):
        raise UsageError(f"{pyproject}: [project] is not a table")
    distribution = str(project.get("name") or root.name)
    group, entry_name, module = _entry_point(project)
    package = _tree_package(root, distribution, module)
    prototype = Prototype(entry_name or "", distribution, _str(project.get("version")),
                          package.name, root, package, group)
    prototype.summary = _str(project.get("description")) or ""
    prototype.owners = _people(project.get("authors")) or _people(project.get("maintainers"))
    prototype.requirements = tuple(r for r in _list(project.get("dependencies"))
                                   if isinstance(r, str))
    prototype.readme = _tree_readme(root, project.get("readme"))
    if prototype.readme and (root / prototype.readme[0]).resolve().is_relative_to(package):
        prototype.excluded.add(prototype.readme[0])
    prototype.licence = tree_licence(root, project, prototype.owners)
    prototype.repository = _repository(project.get("urls"))
    prototype.tests = _files(root, root / "tests", (".py",))
    inner_tests = _files(root, package / "tests", (".py",))
    prototype.tests += inner_tests
    prototype.excluded.update(inner_tests)
    prototype.docs = _files(root, root / "docs", (".md", ".mdx"))
    return prototype


def _entry_point(project: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The first entry point naming a module: ``(group, name, module)``; Nones without."""
    points = project.get("entry-points") or {}
    for group, table in points.items() if isinstance(points, dict) else ():
        for name, value in table.items() if isinstance(table, dict) else ():
            if isinstance(value, str) and value.strip():
                return group, name, value.split(":")[0].strip()
    return None, None, None


def _tree_package(root: Path, distribution: str, module: str | None) -> Path:
    """The source tree's one top-level package (at its root, or under ``src/``)."""
    candidates = [p.parent for base in (root, root / "src") if base.is_dir()
                  for p in sorted(base.glob("*/__init__.py"))
                  if p.parent.name.isidentifier() and p.parent.name not in _NOT_PACKAGES]
    if module:
        top = module.split(".")[0]
        named = [p for p in candidates if p.name == top]
        if named:
            return named[0]
    expected = re.sub(r"[-_.]+", "_", distribution).lower()
    named = [p for p in candidates if p.name.lower() == expected]
    if named:
        return named[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UsageError(f"{root}: no top-level package (a folder with __init__.py, at the root "
                         "or under src/) to include")
    listed = ", ".join(p.relative_to(root).as_posix() for p in candidates)
    raise UsageError(f"{root}: several top-level packages ({listed}) and none named after the "
                     f"distribution {distribution!r}; include takes one package")


def _tree_readme(root: Path, readme: Any) -> tuple[str, str] | None:
    """The Markdown readme ``[project] readme`` names, else ``README.md`` at the root."""
    named = readme.get("file") if isinstance(readme, dict) else readme
    candidates = [named] if isinstance(named, str) else list(_README_FILES)
    for rel in candidates:
        path = (root / rel).resolve()
        if path.suffix.lower() in (".md", ".markdown") and path.is_file() \
                and path.is_relative_to(root):
            return path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
    return None


def tree_licence(root: Path, project: dict[str, Any], owners: tuple[str, ...]) -> Licence:
    declared = project.get("license")
    spdx = declared if isinstance(declared, str) else None
    files = [f for f in _list(project.get("license-files")) if isinstance(f, str)]
    if isinstance(declared, dict):
        if isinstance(declared.get("file"), str):
            files.insert(0, declared["file"])
        elif isinstance(declared.get("text"), str) and len(declared["text"]) < 60:
            spdx = declared["text"]
    text = None
    for rel in [*files, *_LICENCE_FILES]:
        path = (root / rel).resolve()
        if path.is_file() and path.is_relative_to(root):
            text = path.read_text(encoding="utf-8", errors="replace")
            break
    spdx = spdx or _classifier_licence(_list(project.get("classifiers"))) or _titled(text)
    return Licence(spdx, text, _copyright(text, owners))


# -- an installed distribution ---------------------------------------------------------------

def _from_installed(dist: metadata.Distribution) -> Prototype:
    meta: Message = dist.metadata  # type: ignore[assignment]
    distribution = meta["Name"]
    points = [p for p in dist.entry_points if p.value.strip()]
    point = points[0] if points else None
    tops = _installed_packages(dist)
    top = point.value.split(":")[0].split(".")[0] if point else None
    expected = re.sub(r"[-_.]+", "_", distribution).lower()
    chosen = top if top in tops else next((t for t in tops if t.lower() == expected), None)
    if chosen is None and len(tops) == 1:
        chosen = tops[0]
    if chosen is None:
        raise UsageError(f"distribution {distribution!r} installs "
                         f"{', '.join(tops) or 'no package folder'}: include takes one package")
    package = Path(str(dist.locate_file(chosen)))
    prototype = Prototype(point.name if point and top == chosen else "", distribution,
                          meta["Version"], chosen, package.parent, package,
                          point.group if point and top == chosen else None)
    prototype.summary = meta["Summary"] or ""
    prototype.owners = tuple(o for o in (_meta_person(meta, "Author"),
                                         _meta_person(meta, "Maintainer")) if o)[:1]
    prototype.requirements = tuple(r for r in meta.get_all("Requires-Dist") or ()
                                   if "extra ==" not in r)
    body = meta.get_payload() if isinstance(meta, Message) else None
    kind = (meta["Description-Content-Type"] or "").lower()
    if isinstance(body, str) and body.strip() and "markdown" in kind:
        prototype.readme = (f"{distribution} metadata (its readme)", body)
    text = _installed_licence_text(dist)
    spdx = meta["License-Expression"] or _classifier_licence(meta.get_all("Classifier") or ()) \
        or _titled(text) or (meta["License"] if len(meta["License"] or "") < 60 else None)
    prototype.licence = Licence(spdx, text, _copyright(text, prototype.owners))
    return prototype


def _installed_packages(dist: metadata.Distribution) -> list[str]:
    listed = (dist.read_text("top_level.txt") or "").split()
    if not listed:
        listed = sorted({f.parts[0] for f in dist.files or () if len(f.parts) > 1
                         and f.name == "__init__.py" and not f.parts[0].endswith("-info")})
    return [t for t in listed if (Path(str(dist.locate_file(t))) / "__init__.py").is_file()]


def _installed_licence_text(dist: metadata.Distribution) -> str | None:
    for file in dist.files or ():
        if file.parts and file.parts[0].endswith(".dist-info") and \
                file.name.split(".")[0].upper() in ("LICENSE", "LICENCE", "COPYING"):
            return file.read_text(encoding="utf-8")
    return None


def _meta_person(meta: Message, field_name: str) -> str | None:
    name = meta[field_name]
    if name:
        return name
    email = meta[f"{field_name}-email"] or ""
    match = re.match(r'\s*"?([^"<,]+?)"?\s*<', email)
    return match.group(1) if match else None


# -- shared ----------------------------------------------------------------------------------

def _files(root: Path, base: Path, suffixes: tuple[str, ...]) -> list[str]:
    if not base.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*")
                  if p.is_file() and p.suffix in suffixes and not any(s in str(p) for s in _SKIP))


def _repository(urls: Any) -> str | None:
    for value in urls.values() if isinstance(urls, dict) else ():
        if isinstance(value, str) and re.fullmatch(
                r"https://(?:github|gitlab)\.com/[\w.-]+/[\w.-]+/?", value.strip()):
            return value.strip().rstrip("/").removesuffix(".git")
    return None


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _people(value: Any) -> tuple[str, ...]:
    people = []
    for person in value if isinstance(value, list) else ():
        if isinstance(person, dict):
            shown = person.get("name") or person.get("email")
            if isinstance(shown, str) and shown:
                people.append(shown)
    return tuple(people)


def _classifier_licence(classifiers) -> str | None:
    for classifier in classifiers:
        if isinstance(classifier, str) and classifier.startswith("License ::"):
            found = _CLASSIFIER_LICENCES.get(classifier.rsplit("::", 1)[1].strip())
            if found:
                return found
    return None


def _titled(text: str | None) -> str | None:
    """The SPDX id of a licence text, from its title (its first non-empty line)."""
    first = next((line.strip().lower() for line in (text or "").splitlines() if line.strip()),
                 "")
    return next((spdx for title, spdx in _LICENCE_TITLES if title in first), None)


def _copyright(text: str | None, owners: tuple[str, ...]) -> list[str]:
    found = [line.strip() for line in (text or "").splitlines()
             if re.match(r"\s*copyright\b", line, re.I) and re.search(r"\d{4}|\(c\)|©", line,
                                                                      re.I)]
    if found:
        return found[:3]
    return [f"Copyright (c) {', '.join(owners)}"] if owners else []
