"""In-tree features: the subpackages of a host's namespace folder, read without importing them.

A library whose ``pkg/experimental/`` is a real folder (TRL's ``trl/experimental/<name>/``)
keeps its features there. Each subpackage is a feature; its metadata comes from a literal
``Feature(...)`` call in its ``__init__.py`` when there is one, read with `ast` (never
executed here), or else from defaults: the name of the folder, stage ``experimental``, the
exports from ``__all__`` (or ``_import_structure``, or the public names the ``__init__``
binds), the summary from the docstring's first line. Modules that are not packages
(``trl/experimental/utils.py``) and private folders stay plain modules.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from keyword import iskeyword
from pathlib import Path
from typing import Any

from ._errors import ManifestError
from ._manifest import Feature, field_docs

__all__ = ["Folder", "read_feature"]

_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
_FIELDS = tuple(field_docs())


class Folder:
    """What a namespace's folders hold: feature packages and plain modules, listed once.

    Args:
        folders: the namespace package's ``__path__``.
    """

    def __init__(self, folders: Iterable[str]) -> None:
        self.folders = tuple(folders)
        self._packages: dict[str, Path] | None = None
        self._plain: frozenset[str] = frozenset()

    def package(self, name: str) -> Path | None:
        """The ``__init__.py`` of feature package ``name``, without listing the folders."""
        if self._packages is not None:
            return self._packages.get(name)
        if not name.isidentifier() or name.startswith("_"):
            return None
        for folder in self.folders:
            init = Path(folder, name, "__init__.py")
            if init.is_file():
                return init
        return None

    def packages(self) -> dict[str, Path]:
        """Every feature package's name and ``__init__.py``, sorted by name."""
        if self._packages is None:
            self._scan()
        assert self._packages is not None
        return self._packages

    def plain_modules(self) -> frozenset[str]:
        """Names in the folders that are modules, private or namespace packages: no features."""
        self.packages()
        return self._plain

    def _scan(self) -> None:
        packages: dict[str, Path] = {}
        plain: set[str] = set()
        for folder in self.folders:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if entry.is_dir():
                    init = Path(entry.path, "__init__.py")
                    if not name.isidentifier() or name == "__pycache__":
                        continue
                    if name.startswith("_") or not init.is_file():
                        plain.add(name)  # private, or a namespace package: not a feature
                    else:
                        packages.setdefault(name, init)
                elif name.endswith(_SUFFIXES) and name != "__init__.py":
                    stem = name.partition(".")[0]
                    if stem.isidentifier():
                        plain.add(stem)
        self._packages = dict(sorted(packages.items()))
        self._plain = frozenset(plain - set(packages))


def read_feature(
    name: str, init: Path, namespace: str, version: str | None
) -> tuple[Feature, ManifestError | None]:
    """The manifest of in-tree feature ``name``, read from its ``__init__.py`` statically.

    Args:
        name: the folder's name.
        init: the package's ``__init__.py``.
        namespace: the host's namespace, e.g. ``trl.experimental``.
        version: the version of the distribution that ships the namespace (the default of
            ``since``), or None when it is unknown.

    Returns:
        The feature, and None; or, when its ``Feature(...)`` is invalid, a feature built from
        the defaults and the error (the registry marks the feature broken with it).

    Raises:
        ManifestError: ``name`` itself cannot be a feature's (a keyword, not ASCII, or
            reserved: `ReservedNameError`); no record can exist for it.
    """
    module = f"{namespace}.{name}"
    try:
        tree = ast.parse(init.read_bytes(), filename=str(init))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        tree = ast.Module(body=[], type_ignores=[])
        error: ManifestError | None = ManifestError(
            "module", f"must be a readable Python package ({init} could not be parsed: {exc})",
            module, feature=name)
    else:
        error = None
    defaults = _defaults(name, module, tree, namespace, version)
    try:
        found = None if error else _manifest_call(tree)
        if found is not None:
            return _checked(name, module, found, defaults), None
    except ManifestError as exc:
        error = exc if exc.feature else type(exc)(exc.field, exc.expected, exc.got,
                                                  feature=name)
    except TypeError as exc:  # an unknown keyword
        error = ManifestError("Feature(...)", f"must be a valid call ({exc})", "...",
                              feature=name)
    if not defaults["exports"]:
        error = error or ManifestError(
            "exports", "must name at least one public name: give the package's __init__.py "
            "an __all__ list", [], feature=name)
        # A placeholder export, so that the record exists; the registry marks it broken.
        defaults["exports"] = ("__doc__",)
    return Feature(**defaults), error


def _checked(name: str, module: str, found: dict[str, Any], defaults: dict[str, Any]
             ) -> Feature:
    if "name" in found and found["name"] != name:
        raise ManifestError("name", f"must be the folder's name {name!r}", found["name"],
                            feature=name)
    if "module" in found and found["module"] != module:
        raise ManifestError("module", f"must be the feature's own package {module!r}",
                            found["module"], feature=name)
    return Feature(**{**defaults, **found})


def _manifest_call(tree: ast.Module) -> dict[str, Any] | None:
    """The literal keyword arguments of the first top-level ``Feature(...)`` call."""
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) else None
        if not isinstance(value, ast.Call):
            continue
        func = value.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called != "Feature":
            continue
        arguments: dict[str, Any] = {}
        if value.args:
            raise ManifestError("Feature(...)", "must take keyword arguments only",
                                ast.unparse(value.args[0]))
        for keyword in value.keywords:
            if keyword.arg is None:
                raise ManifestError("Feature(...)", "must not unpack '**' arguments",
                                    ast.unparse(keyword.value))
            if keyword.arg not in _FIELDS:
                raise ManifestError("Feature(...)", f"takes only the manifest's fields "
                                    f"({', '.join(_FIELDS)})", keyword.arg)
            try:
                arguments[keyword.arg] = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                raise ManifestError(
                    keyword.arg, "must be a literal (the manifest is read without importing "
                    "the feature)", ast.unparse(keyword.value)) from None
        return arguments
    return None


def _defaults(name: str, module: str, tree: ast.Module, namespace: str,
              version: str | None) -> dict[str, Any]:
    doc = ast.get_docstring(tree) or ""
    first = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    if not first or len(first) > 200 or not first.isprintable():
        first = f"The {name} feature of {namespace}."
        if len(first) > 200:  # a long folder name: the summary must still be valid
            first = first[:197] + "..."
    return {"name": name, "summary": first, "module": module,
            "exports": tuple(_exports(tree)), "since": _release(version)}


def _release(version: str | None) -> str:
    """The host's version as a default ``since``; "0" when unknown or not PEP 440 (a
    package's ``__version__ = "dev"``), which no in-tree feature should pay for."""
    if version:
        from packaging.version import InvalidVersion, Version

        try:
            Version(version)
        except InvalidVersion:
            return "0"
        return version
    return "0"


def _exports(tree: ast.Module) -> list[str]:
    """``__all__``, else ``_import_structure``'s names, else the public names bound."""
    for key in ("__all__", "_import_structure"):
        literal = _assigned(tree, key)
        if isinstance(literal, (list, tuple)):
            return _unique(n for n in literal if isinstance(n, str))
        if isinstance(literal, dict):
            return _unique(n for names in literal.values() if isinstance(names, (list, tuple))
                           for n in names if isinstance(n, str))
    bound: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            bound += [alias.asname or alias.name for alias in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.append(node.name)
    return _unique(n for n in bound if not n.startswith("_") and n != "*")


def _assigned(tree: ast.Module, target: str) -> object:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        if any(isinstance(t, ast.Name) and t.id == target for t in targets):
            try:
                return ast.literal_eval(node.value)  # type: ignore[union-attr]
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                return None  # not a literal ({[1]} is not even a value): no exports from it
    return None


def _unique(names: Iterable[str]) -> list[str]:
    """The names, once each, that can be exports (ASCII identifiers, not keywords)."""
    return [n for n in dict.fromkeys(names)
            if n.isidentifier() and n.isascii() and not iskeyword(n)]
