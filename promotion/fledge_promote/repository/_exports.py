"""Exports a submodule would shadow: a package ``__init__`` read with ``ast``.

Python binds a submodule on its package once the submodule is imported
(``import pkg.word_variety`` sets ``pkg.word_variety`` to the module). A name the package
exports lazily (``_import_structure`` with a module ``__getattr__``, transformers'
``_LazyModule``) that is also a submodule's name therefore becomes the module as soon as
anything imports that submodule, and ``from pkg import word_variety`` returns a module.

An export is safe from this when the package binds it eagerly by importing it from that
very submodule (``from .word_variety.core import word_variety``: the submodule is loaded,
and bound, before the name is), or when the package keeps its exports over submodules of
the same name (``sys.modules[__name__].__class__`` set to a module class whose
``__setattr__`` refuses the import system's binding, as the stable package promote writes
does).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

__all__ = ["exported_names", "shadowed_exports", "submodule_names"]


def exported_names(source: str) -> set[str]:
    """The names a package ``__init__`` exports: ``_import_structure``'s lists, ``__all__``
    and its relative ``from .module import`` statements (type-checking ones included)."""
    tree = _parse(source)
    if tree is None:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _targets(node, "_import_structure"):
            values = node.value.values if isinstance(node.value, ast.Dict) else [node.value]
            names |= set().union(*(_strings_in(v) for v in values if v is not None))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and _name_of(t.value) == "_import_structure"
                for t in node.targets):
            names |= _strings_in(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("extend", "append") \
                and isinstance(node.func.value, ast.Subscript) \
                and _name_of(node.func.value.value) == "_import_structure":
            names |= set().union(*(_strings_in(a) for a in node.args))
        elif isinstance(node, (ast.Assign, ast.AugAssign)) and _targets(node, "__all__"):
            names |= _strings_in(node.value)
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            # (``from . import sub`` binds the submodule itself: nothing to shadow)
            names |= {a.asname or a.name for a in node.names if a.name != "*"}
    return names


def submodule_names(package_dir: str, files: Iterable[str]) -> set[str]:
    """The submodules of the package at ``package_dir`` among repository paths ``files``:
    ``<dir>/<name>.py`` and ``<dir>/<name>/__init__.py``."""
    prefix = package_dir.rstrip("/") + "/"
    names = set()
    for path in files:
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):].split("/")
        if len(rest) == 1 and rest[0].endswith(".py") and rest[0] != "__init__.py":
            names.add(rest[0][:-3])
        elif len(rest) == 2 and rest[1] == "__init__.py":
            names.add(rest[0])
    return {n for n in names if n.isidentifier()}


def shadowed_exports(source: str, submodules: Iterable[str]) -> list[str]:
    """The names the package ``__init__`` ``source`` exports that a submodule of the same
    name would replace once imported, sorted. Empty when every such name is kept (see the
    module's docstring)."""
    tree = _parse(source)
    if tree is None:
        return []
    clashes = exported_names(source) & set(submodules)
    if not clashes or _keeps_exports(tree):
        return []
    eager = dict(_eager_imports(tree.body))
    return sorted(n for n in clashes if eager.get(n, "").split(".")[0] != n)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _name_of(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _targets(node: ast.Assign | ast.AugAssign, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(_name_of(t) == name for t in targets)


def _strings_in(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _eager_imports(body: list[ast.stmt]) -> Iterator[tuple[str, str]]:
    """``(name, module)`` of each relative import run when the package is imported."""
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
            for alias in stmt.names:
                yield alias.asname or alias.name, stmt.module or ""
        elif isinstance(stmt, ast.If) and not _is_type_checking(stmt.test):
            yield from _eager_imports(stmt.body)
            yield from _eager_imports(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _eager_imports(stmt.body)
            yield from _eager_imports(stmt.orelse)


def _keeps_exports(tree: ast.Module) -> bool:
    """Whether the module sets its own class (``sys.modules[__name__].__class__ = C``) to a
    top-level class that defines ``__setattr__``."""
    keepers = {stmt.name for stmt in tree.body if isinstance(stmt, ast.ClassDef) and any(
        isinstance(item, ast.FunctionDef) and item.name == "__setattr__" for item in stmt.body)}
    return any(isinstance(stmt, ast.Assign) and _name_of(stmt.value) in keepers
               and any(isinstance(t, ast.Attribute) and t.attr == "__class__"
                       for t in stmt.targets)
               for stmt in tree.body)

