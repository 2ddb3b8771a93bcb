"""Every third-party import in the package belongs to a declared dependency of its extra.

CI installs every extra at once, so an import that no extra declares goes unnoticed there and
breaks the user who installs one extra (``fledge[promote]`` once lacked markdown-it-py). The
imports are read with ``ast``, lazy ones inside functions included; an import inside a
``try`` whose ``except`` catches ``ImportError`` is optional, and one under
``if TYPE_CHECKING:`` never runs. Import names map to distributions through
``importlib.metadata.packages_distributions()``. tests/test_extras.py installs each extra in
a fresh environment and runs its commands (slow).
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
FIRST_PARTY = {"fledge", "fledge_plugins", "fledge_promote"}

#: Which extras a file's imports may come from, besides the base dependencies: the first
#: matching glob (relative to the repository) wins.
EXTRAS = [
    ("core/fledge/mkdocs_plugin.py", ["docs"]),
    ("core/fledge/sphinx_ext.py", ["sphinx"]),
    ("core/fledge/_catalogue_docbuilder.py", ["docs"]),
    ("core/fledge/testing/**", ["train", "test"]),
    ("core/fledge/**", []),
    ("plugins/fledge_plugins/**", ["train"]),
    ("promotion/fledge_promote/**", ["promote"]),
]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace(
        "_", "-").replace(".", "-")


def declared(extras: list[str]) -> set[str]:
    """Normalised distribution names of the base dependencies and ``extras``."""
    found = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    for extra in extras:
        found |= {_name(r) for r in PYPROJECT["project"]["optional-dependencies"][extra]}
    return found


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
               for n in names):
            return True
    return False


def required_imports(tree: ast.AST) -> set[str]:
    """Top-level names of the absolute imports that run unconditionally when reached."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Try) and _catches_import_error(node):
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def extras_of(path: Path) -> list[str]:
    """The extras whose dependencies ``path`` may import, from `EXTRAS`."""
    relative = path.relative_to(REPO).as_posix()
    return next(extras for pattern, extras in EXTRAS if _matches(relative, pattern))


def _matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/**"):
        return path.startswith(pattern[:-2])
    return path == pattern


FILES = sorted(p for folder in ("core/fledge", "plugins/fledge_plugins",
                                "promotion/fledge_promote")
               for p in (REPO / folder).rglob("*.py"))


def with_meta_parts(names: set[str], distributions: dict[str, list[str]]) -> set[str]:
    """``names`` plus what a meta-distribution among them installs (``griffe`` ships no
    module: its ``griffelib`` does)."""
    providing = {_name(d) for dists in distributions.values() for d in dists}
    found = set(names)
    for name in names - providing:
        try:
            found |= {_name(r) for r in requires(name) or () if "extra ==" not in r}
        except PackageNotFoundError:
            pass
    return found


def undeclared(path: Path, distributions: dict[str, list[str]]) -> list[str]:
    """The imports of ``path`` that no dependency it may use declares."""
    allowed = with_meta_parts(declared(extras_of(path)), distributions)
    problems = []
    for name in sorted(required_imports(ast.parse(path.read_text(encoding="utf-8")))):
        if name in FIRST_PARTY or name in sys.stdlib_module_names or name == "__future__":
            continue
        dists = {_name(d) for d in distributions.get(name, [])} or {_name(name)}
        if not dists & allowed:
            problems.append(f"{name} (from {', '.join(sorted(dists))})")
    return problems


def test_the_map_of_files_to_extras_names_real_extras() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {e for _, names in EXTRAS for e in names} <= set(extras)
    assert all(any(_matches(p.relative_to(REPO).as_posix(), pattern) for pattern, _ in EXTRAS)
               for p in FILES)


def test_every_third_party_import_is_declared_by_the_extra_that_uses_it() -> None:
    distributions = packages_distributions()
    found = {p.relative_to(REPO).as_posix(): undeclared(p, distributions) for p in FILES}
    found = {path: names for path, names in found.items() if names}
    assert not found, (
        "imports no declared dependency provides (add the distribution to the extra in "
        f"pyproject.toml, or map the file to another extra here): {found}")


@pytest.mark.parametrize(("source", "expected"), [
    ("import yaml\n", {"yaml"}),
    ("def f():\n    from markdown_it import MarkdownIt\n", {"markdown_it"}),
    ("try:\n    import tomllib\nexcept ModuleNotFoundError:\n    import tomli\n", {"tomli"}),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n", {"typing"}),
    ("from . import x\nfrom .y import z\n", set()),
])
def test_imports_are_read_as_they_run(source: str, expected: set[str]) -> None:
    assert required_imports(ast.parse(source)) == expected


def test_an_undeclared_import_is_named(tmp_path: Path) -> None:
    module = REPO / "promotion" / "fledge_promote" / "x_probe.py"  # never written: parsed
    source = "import markdown_it\nimport ruamel.yaml\nimport sphinx\n"
    allowed = declared(["promote"])
    names = required_imports(ast.parse(source))
    missing = sorted(n for n in names if {_name(d) for d in packages_distributions().get(
        n, [n])}.isdisjoint(allowed))
    assert extras_of(module) == ["promote"]
    assert missing == ["sphinx"]
