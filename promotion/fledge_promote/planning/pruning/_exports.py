"""The export entries that point at shims: a package ``__init__``'s lazy ``_import_structure``
names, its ``from .module import Name`` lines (TRL's ``if TYPE_CHECKING:`` block), the
``_DEPRECATED_IMPORTS`` table promote and demote give an eagerly importing package, and its
``__all__``. TRL marks them ``# deprecated import``; entries that point at a removed module
go whether marked or not (else the package would fail to import them).

An export of a shim is itself an old path (``trl.trainer.CPOTrainer`` and ``trl.CPOTrainer``
re-export ``trl.trainer.cpo_trainer.CPOTrainer``), so the entries are followed package by
package until nothing new points at a removed name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ...repository._repo import Repo
from .._paths import resolve_relative
from ._records import Unsure

__all__ = ["DEPRECATED_IMPORT", "DEPRECATED_TABLE", "ExportEntry", "Inits", "exports_of",
           "marked_but_real", "read_inits"]

DEPRECATED_IMPORT = "# deprecated import"
DEPRECATED_TABLE = "_DEPRECATED_IMPORTS"  # demote's and promote's table for eager packages


@dataclass(frozen=True)
class ExportEntry:
    """One entry of a package ``__init__`` that re-exports a removed name.

    Attributes:
        path: the ``__init__``.
        line: the entry's line.
        old: the path the entry made importable (``trl.CPOTrainer``).
        points_at: what it re-exports (``trl.trainer.CPOTrainer``).
        marked: whether its line says ``# deprecated import``.
    """

    path: str
    line: int
    old: str
    points_at: str
    marked: bool


@dataclass(frozen=True)
class _Export:
    path: str
    line: int
    package: str
    module: str
    name: str
    exported_as: str


def _init_exports(path: str, package: str, text: str) -> list[_Export]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    found: list[_Export] = []
    for node in _top_statements(tree.body):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = (resolve_relative(package, True, node.level, node.module) if node.level
                    else node.module)
            for alias in node.names:
                if base and alias.name != "*":
                    found.append(_Export(path, alias.lineno, package, base, alias.name,
                                         alias.asname or alias.name))
        elif _assigns(node, DEPRECATED_TABLE):
            found += _table_exports(path, package, node.value)
        elif _assigns(node, "_import_structure"):
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                        and isinstance(value, (ast.List, ast.Tuple))):
                    continue
                for item in value.elts:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        found.append(_Export(path, item.lineno, package,
                                             f"{package}.{key.value}", item.value, item.value))
    return found


def _assigns(node: ast.stmt, name: str) -> bool:
    """``name = {...}``."""
    return isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
        isinstance(t, ast.Name) and t.id == name for t in node.targets)


def _table_exports(path: str, package: str, table: ast.Dict) -> list[_Export]:
    """``_DEPRECATED_IMPORTS = {"Name": ".module"}``: what an eagerly importing package
    imports lazily, through its ``__getattr__``, from the shim at ``module``."""
    found = []
    for key, value in zip(table.keys, table.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                and isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        relative = value.value
        level = len(relative) - len(relative.lstrip("."))
        module = resolve_relative(package, True, level, relative[level:] or None) if level \
            else relative
        if module:
            found.append(_Export(path, key.lineno, package, module, key.value, key.value))
    return found


def _top_statements(body: list[ast.stmt]):
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.With, ast.Try)):
            yield from _top_statements(node.body)
            yield from _top_statements(getattr(node, "orelse", []))


@dataclass(frozen=True)
class Inits:
    """Every package ``__init__`` of the repository: its text and its export entries."""

    texts: dict[str, str]
    exports: dict[str, list[_Export]]


def read_inits(repo: Repo) -> Inits:
    """The package ``__init__``s of ``repo``, each parsed once."""
    texts: dict[str, str] = {}
    for path in repo.files((".py",)):
        if path.endswith("__init__.py"):
            text = repo.read(path)
            if text:
                texts[path] = text
    exports = {path: _init_exports(path, repo.module_name(path) or "", text)
               for path, text in texts.items()}
    return Inits(texts, exports)


def exports_of(new_of: dict[str, str], removed_modules: set[str], inits: Inits
               ) -> tuple[list[ExportEntry], dict[str, str]]:
    """The export entries pointing at the names of ``new_of`` (old -> new) or into
    ``removed_modules``, followed from package to package.

    Returns:
        the entries, and ``new_of`` grown by the exported paths (``trl.CPOTrainer`` ->
        ``trl.experimental.cpo.CPOTrainer``).
    """
    texts = inits.texts
    exports = [e for found in inits.exports.values() for e in found]
    mapping = dict(new_of)
    entries: dict[tuple[str, int, str], ExportEntry] = {}
    grew = True
    while grew:
        grew = False
        for export in exports:
            target = f"{export.module}.{export.name}"
            new = mapping.get(target)
            if new is None and export.module not in removed_modules:
                continue
            old = f"{export.package}.{export.exported_as}"
            key = (export.path, export.line, old)
            if key in entries:
                continue
            line = texts[export.path].splitlines()[export.line - 1]
            entries[key] = ExportEntry(export.path, export.line, old, target,
                                       DEPRECATED_IMPORT in line)
            if new is not None and old not in mapping:
                mapping[old] = new
                grew = True
    return sorted(entries.values(), key=lambda e: (e.path, e.line)), mapping


def marked_but_real(entries: list[ExportEntry], inits: Inits) -> list[Unsure]:
    """Entries marked ``# deprecated import`` that point at no shim: real code, listed."""
    known = {(e.path, e.line) for e in entries}
    unsure = []
    for path, text in inits.texts.items():
        if DEPRECATED_IMPORT not in text:
            continue
        for export in inits.exports[path]:
            line = text.splitlines()[export.line - 1]
            if DEPRECATED_IMPORT in line and (path, export.line) not in known:
                unsure.append(Unsure(
                    path, export.line, f"{export.package}.{export.exported_as}",
                    f"marked {DEPRECATED_IMPORT!r} but points at "
                    f"{export.module}.{export.name}, which is not a shim", None, "-"))
    return unsure

