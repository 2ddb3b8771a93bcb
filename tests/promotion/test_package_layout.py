"""The promote package's own layout: no import circle among its modules (lazy imports
inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import fledge_promote

PACKAGE = Path(fledge_promote.__file__).parent


def imports_of(path: Path, module: str) -> set[str]:
    """The fledge_promote modules that ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("fledge_promote"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("fledge_promote"))
    return found


def module_graph() -> dict[str, set[str]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    graph = {}
    for name, path in modules.items():
        graph[name] = {t for t in imports_of(path, name) if t in modules and t != name}
    return graph


def test_no_import_circle_among_the_private_modules():
    graph = module_graph()
    # packages' __init__ files re-export their parts; a circle through one is no circle
    inner = {m: {t for t in deps if not _is_package(t)} for m, deps in graph.items()
             if not _is_package(m)}
    circles = []

    def visit(node, path):
        for nxt in inner.get(node, ()):
            if nxt in path:
                circles.append(path[path.index(nxt):] + [nxt])
            elif len(path) < 12:
                visit(nxt, path + [nxt])

    for start in inner:
        visit(start, [start])
    assert circles == [], circles[:3]


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def test_the_checks_protocol_imports_no_check_and_formats_no_checks():
    graph = module_graph()
    assert not {m for m in graph["fledge_promote._checks"] if "check" in m}
    assert "fledge_promote._checks" not in graph["fledge_promote._docs_formats"]
