"""The shape of the code: no import circle in core/, plugins/ or promotion/, the promote
package's parts importing only in the direction their docstrings declare, and
ARCHITECTURE.md naming exactly the packages that exist.

Imports are read with ``ast``, so the test sees every import that can run, the lazy ones
inside functions included; only imports under ``if TYPE_CHECKING:`` are left out, since they
never run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = {"fledge": ROOT / "core", "fledge_plugins": ROOT / "plugins",
                "fledge_promote": ROOT / "promotion"}
PROMOTE = "fledge_promote"


def modules_of(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name; a package is named by its ``__init__``."""
    base = SOURCE_ROOTS[package]
    found = {}
    for path in sorted((base / package).rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """The nodes of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str, path: Path, known: set[str],
               lazy: dict[str, dict[str, str]] | None = None) -> set[str]:
    """The modules in ``known`` that ``module`` imports at run time.

    ``from pkg import name`` imports ``pkg.name`` when that is a module, else ``pkg`` itself
    (whose ``__init__`` must define ``name``): the edge goes to what actually runs. Where
    ``pkg`` imports its names on first access (``lazy``: PEP 562 tables by package), the
    edge goes to the module that defines ``name``, for ``from pkg import name`` and for
    ``pkg.name`` alike.
    """
    lazy = lazy or {}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif alias.name in lazy.get(base, {}):
                    found.add(lazy[base][alias.name])
                elif base in known:
                    found.add(base)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.attr in lazy.get(node.value.id, {})):
            found.add(lazy[node.value.id][node.attr])
    found.discard(module)
    return found


def lazy_table(package: str, path: Path) -> dict[str, str]:
    """A package root's PEP 562 table, ``_LAZY = {name: ".module"}``, as absolute modules."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)):
            return {k.value: package + v.value
                    for k, v in zip(node.value.keys, node.value.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
    return {}


def import_graph(*packages: str) -> dict[str, set[str]]:
    paths = {name: path for package in packages for name, path in modules_of(package).items()}
    known = set(paths)
    lazy = {package: lazy_table(package, paths[package]) for package in packages}
    return {name: imports_of(name, path, known, lazy) for name, path in paths.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (circle := visit(nxt)):
                return circle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (circle := visit(start)):
            return circle
    return None


def test_find_circle_finds_one_and_passes_a_tree():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_imports_of_sees_lazy_imports_and_skips_type_checking_ones(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n"
        "def f():\n    from . import c\n")
    (pkg / "__init__.py").write_text('_LAZY = {"C": ".c"}\n')
    known = {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"}
    assert imports_of("pkg.a", pkg / "a.py", known) == {"pkg.c"}
    (pkg / "d.py").write_text("import pkg\nfrom pkg import C\ndef f():\n    return pkg.C\n")
    lazy = {"pkg": lazy_table("pkg", pkg / "__init__.py")}
    assert lazy == {"pkg": {"C": "pkg.c"}}
    assert imports_of("pkg.d", pkg / "d.py", known, lazy) == {"pkg", "pkg.c"}


@pytest.mark.parametrize("packages", [("fledge",), ("fledge_plugins", "fledge"),
                                      ("fledge_promote", "fledge")])
def test_no_import_circle_at_run_time(packages):
    assert find_circle(import_graph(*packages)) is None


# --- the parts of fledge_promote and the direction of their imports ----------------------

def promote_parts() -> dict[str, Path]:
    """The parts of fledge_promote: each subpackage, and each module at its top level."""
    top = SOURCE_ROOTS[PROMOTE] / PROMOTE
    parts = {p.stem: p for p in top.glob("*.py") if p.name != "__init__.py"}
    parts.update({p.name: p / "__init__.py" for p in top.iterdir()
                  if (p / "__init__.py").is_file()})
    return parts


def declared_imports(path: Path) -> set[str] | None:
    """The parts named on the ``May import:`` line of a docstring; ``every part`` is all."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.search(r"^May import: (.+?)\.?$", doc, re.MULTILINE)
    if match is None:
        return None
    if match.group(1).strip() in {"every part", "nothing of fledge_promote"}:
        return set(promote_parts()) if match.group(1).startswith("every") else set()
    return set(re.findall(r"``([\w]+)``", match.group(1)))


def part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == PROMOTE and len(parts) > 1 else None


def test_every_part_declares_what_it_may_import():
    parts = promote_parts()
    undeclared = [name for name, path in parts.items() if declared_imports(path) is None]
    assert undeclared == [], "add a 'May import: ...' line to their docstrings"
    unknown = {name: declared_imports(path) - set(parts) for name, path in parts.items()}
    assert {k: v for k, v in unknown.items() if v} == {}


def test_the_declared_directions_form_no_circle():
    parts = promote_parts()
    declared = {name: declared_imports(path) - {name} for name, path in parts.items()}
    # cli and the package root may import everything: they sit on top, so leave them out
    bottom_up = {k: v - {"cli", "_pytest_coverage"} for k, v in declared.items()
                 if k not in {"cli", "_pytest_coverage"}}
    assert find_circle(bottom_up) is None


def test_every_import_between_parts_runs_in_the_declared_direction():
    parts = promote_parts()
    declared = {name: declared_imports(path) for name, path in parts.items()}
    against = []
    for module, targets in import_graph(PROMOTE).items():
        source = part_of(module)
        if source is None:  # the package's own __init__ re-exports the public API
            continue
        for target in targets:
            dest = part_of(target)
            if dest is not None and dest != source and dest not in declared[source]:
                against.append(f"{module} -> {target}")
    assert against == []


def test_the_promote_package_is_in_small_parts():
    top = SOURCE_ROOTS[PROMOTE] / PROMOTE
    assert len([p for p in top.glob("*.py") if p.name != "__init__.py"]) <= 8
    for package in [top, *(p.parent for p in top.rglob("__init__.py"))]:
        if package.name == "codemods":
            # one interchangeable command a module, as LibCST's own commands folder: the
            # count is the number of rewrites, not a sign of a part doing too much
            continue
        modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 12, package


# --- ARCHITECTURE.md ---------------------------------------------------------------------

def existing_packages() -> set[str]:
    """Every package folder below the three import packages, as ``root/pkg/sub/``."""
    found = set()
    for package, base in SOURCE_ROOTS.items():
        for init in (base / package).rglob("__init__.py"):
            if init.parent != base / package:
                found.add(init.parent.relative_to(ROOT).as_posix() + "/")
    return found


def named_packages() -> set[str]:
    """The package folders ARCHITECTURE.md names, as ``root/pkg/sub/`` in backquotes."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    roots = "|".join(f"{base.name}/{package}" for package, base in SOURCE_ROOTS.items())
    return set(re.findall(rf"`((?:{roots})/[\w/]+/)`", text))


def test_architecture_names_every_package_and_only_packages_that_exist():
    named, existing = named_packages(), existing_packages()
    assert sorted(existing - named) == [], "name these in ARCHITECTURE.md"
    assert sorted(named - existing) == [], "ARCHITECTURE.md names packages that do not exist"


def test_architecture_names_the_rooms_at_the_root():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for room in ("core/fledge/", "plugins/fledge_plugins/", "promotion/fledge_promote/",
                 "docs/", "tests/", "benchmarks/", "examples/"):
        assert f"`{room}`" in text, room
        assert (ROOT / room).is_dir(), room


def test_the_checks_protocol_imports_no_check_and_formats_no_checks():
    graph = import_graph(PROMOTE)
    assert not {m for m in graph["fledge_promote.checks._protocol"] if "check" in m}
    assert not {m for m in graph["fledge_promote.repository._docs_formats"] if "checks" in m}
