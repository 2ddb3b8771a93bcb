"""Which stable classes a feature subclasses, and how much of each it overrides.

Static analysis with :mod:`ast`: nothing is imported. A feature's modules are parsed, the bases
of each class are resolved through the module's imports (absolute and relative, re-exports
in ``__init__`` files, lazy ``_import_structure`` dictionaries) to the module that defines
them, in the repository first and else in the installed packages. A base that resolves to
code outside the experimental package is a *stable parent*; the subclass's methods whose
names the parent's own class body also defines are its *overrides*.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..repository._config import PromoteConfig
from ..repository._features import FeatureInfo
from ..repository._repo import Repo

__all__ = ["Override", "ParentUse", "stable_parents"]

_MAX_HOPS = 8
_SUBCLASS = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\(", re.M)
_EMPTY = re.compile(r"[ \t\f]*(#.*)?")  # a blank or comment-only line


@dataclass(frozen=True)
class Override:
    """A method of the subclass that replaces one of its stable parent.

    Attributes:
        method: the method's name.
        lines: lines of the parent's method (what a rewrite of the parent can break).
        own_lines: lines of the subclass's method.
    """

    method: str
    lines: int
    own_lines: int


@dataclass
class ParentUse:
    """One class of the feature that subclasses a stable class.

    Attributes:
        subclass: the feature's class.
        subclass_file: the file defining it, relative to the repository.
        parent: the stable class's name.
        module: the dotted module that defines the stable class.
        file: that module's file: relative when it is in the repository, else absolute.
        in_repo: whether the parent's module is in this repository (co-changes need it).
        methods: how many methods the parent's class body defines.
        parent_lines: the lines of the parent's class.
        overrides: the subclass's methods that the parent also defines.
    """

    subclass: str
    subclass_file: str
    parent: str
    module: str
    file: str
    in_repo: bool
    methods: int
    parent_lines: int
    overrides: list[Override] = field(default_factory=list)

    @property
    def overridden_lines(self) -> int:
        return sum(o.lines for o in self.overrides)

    def to_dict(self) -> dict:
        return {"subclass": self.subclass, "subclass_file": self.subclass_file,
                "parent": self.parent, "module": self.module, "file": self.file,
                "in_repo": self.in_repo, "methods": self.methods,
                "parent_lines": self.parent_lines,
                "overridden_methods": len(self.overrides),
                "overridden_lines": self.overridden_lines,
                "overrides": [{"method": o.method, "lines": o.lines, "own_lines": o.own_lines}
                              for o in self.overrides]}


@dataclass
class _Class:
    """A class statement; line counts are made on demand, from the module's source lines."""

    bases: list[str]
    lines_of: list[str]
    node: ast.ClassDef
    defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]
    _lines: dict[str, int] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return list(self.defs)

    def method_lines(self, name: str) -> int:
        """Lines of method ``name`` (every definition of it: property getter and setter)."""
        if name not in self._lines:
            self._lines[name] = sum(_lines(self.lines_of, d) for d in self.defs[name])
        return self._lines[name]

    @property
    def lines(self) -> int:
        if "" not in self._lines:
            self._lines[""] = _lines(self.lines_of, self.node)
        return self._lines[""]


@dataclass
class _Module:
    name: str
    is_package: bool
    classes: dict[str, _Class] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # local name -> qualified name


def _indented(lines: list[str], body: list[ast.stmt]) -> str | None:
    """The indentation of ``body`` when it is an indented block, else None (``if x: y``)."""
    first = body[0]
    prefix = lines[first.lineno - 1][: first.col_offset]
    return prefix if not prefix.strip(" \t\f") else None


def _lines(lines: list[str], node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of a class or function statement, as a concrete syntax tree counts them.

    From its first decorator (comments before it are not its lines) to its last statement,
    then on through the comment and blank lines after it up to the last one indented at
    least as deeply as its body (a block owns such trailing lines; shallower ones belong
    to what follows).
    """
    start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    while start > 1 and not lines[start - 1].lstrip(" \t\f").startswith("@") \
            and node.decorator_list:
        start -= 1  # a decorator's expression that starts after its "@" line
    end = node.end_lineno or node.lineno
    indent = _indented(lines, node.body)
    if indent is not None:
        line = end
        while line < len(lines) and _EMPTY.fullmatch(lines[line]):
            line += 1
            if lines[line - 1].startswith(indent):
                end = line
    return max(len("\n".join(lines[start - 1:end]).splitlines()), 1)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    if isinstance(node, (ast.Subscript, ast.Starred)):  # Generic[T], Base[Config], *bases
        return _dotted(node.value)
    return None


def _simple_string(lines: list[str], node: ast.expr) -> str | bytes | None:
    """The value of a single string literal (not an implicit concatenation), else None."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))):
        return None
    if node.lineno == node.end_lineno:
        raw = lines[node.lineno - 1].encode()[node.col_offset:node.end_col_offset].decode()
    else:
        raw = "\n".join([lines[node.lineno - 1].encode()[node.col_offset:].decode(),
                         *lines[node.lineno:node.end_lineno - 1],
                         lines[node.end_lineno - 1].encode()[:node.end_col_offset].decode()])
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(raw).readline)
                  if t.type == tokenize.STRING]
    except (tokenize.TokenError, SyntaxError):
        return None
    return node.value if len(tokens) == 1 else None


def _parse(name: str, is_package: bool, source: str) -> _Module:
    """The classes and the imported names of one module."""
    facts = _Module(name, is_package)
    source = source.removeprefix("\ufeff")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return facts
    lines = source.split("\n")
    if source.endswith("\n"):
        lines.pop()
    package = name if is_package else name.rpartition(".")[0]

    def absolute(level: int, target: str) -> str:
        if not level:
            return target
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - level + 1]) if level <= len(parts) else ""
        return ".".join(p for p in (base, target) if p)

    def block(body: list[ast.stmt]) -> None:
        if body and _indented(lines, body) is not None:  # statements on the header's line
            visit(body)                                  # are not looked at

    def visit(body: list[ast.stmt]) -> None:
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
                for item in statement.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        defs.setdefault(item.name, []).append(item)
                bases = [d for d in map(_dotted, statement.bases) if d]
                facts.classes[statement.name] = _Class(bases, lines, statement, defs)
            elif isinstance(statement, (ast.If, ast.Try)):  # an elif is an If in orelse
                block(statement.body)
                for handler in getattr(statement, "handlers", ()):
                    block(handler.body)
                block(statement.orelse)
            else:
                _small(statement)

    def _small(small: ast.stmt) -> None:
        if isinstance(small, ast.ImportFrom) and small.names[0].name != "*":
            source_module = absolute(small.level, small.module or "")
            for alias in small.names:
                facts.names[alias.asname or alias.name] = f"{source_module}.{alias.name}"
        elif isinstance(small, ast.Import):
            for alias in small.names:
                if alias.asname:
                    facts.names[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    facts.names.setdefault(top, top)
        elif isinstance(small, ast.Assign) and isinstance(small.value, ast.Dict):
            target = small.targets[0]
            if isinstance(target, ast.Name) and target.id == "_import_structure":
                _lazy(small.value)

    def _lazy(table: ast.Dict) -> None:
        for key, value in zip(table.keys, table.values, strict=True):
            if key is None or not isinstance(value, ast.List):
                continue
            text = _simple_string(lines, key)
            if text is None:
                continue
            submodule = f"{package}.{text}"
            for item in value.elts:
                item_text = _simple_string(lines, item)
                if isinstance(item_text, str):
                    facts.names.setdefault(item_text, f"{submodule}.{item_text}")

    visit(tree.body)
    return facts


class _Index:
    """Parsed modules, found in the repository first and else among installed packages."""

    def __init__(self, repo: Repo, config: PromoteConfig) -> None:
        self.repo = repo
        roots = [config.source_root, *config.python_path, "."]
        self.roots = [r for r in dict.fromkeys(roots) if (repo.root / r).is_dir()]
        self.modules: dict[str, tuple[_Module, str, bool] | None] = {}
        self._parsed: dict[tuple[str, bool, str], _Module] = {}

    def parse(self, name: str, is_package: bool, source: str) -> _Module:
        """:func:`_parse`, once per module text: a feature's file may also be a base's."""
        key = (name, is_package, source)
        if key not in self._parsed:
            self._parsed[key] = _parse(name, is_package, source)
        return self._parsed[key]

    def locate(self, name: str) -> tuple[Path, bool, bool] | None:
        """(file, is_package, in_repo) of module ``name``, or None."""
        parts = name.split(".")
        for root in self.roots:
            base = (self.repo.root / root).joinpath(*parts)
            for path, package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
                if path.is_file():
                    return path, package, True
        if parts[0] in sys.stdlib_module_names:
            return None  # Enum, Generic, ABC...: not a parent a feature keeps up with
        try:
            spec = importlib.util.find_spec(parts[0])  # the top package only: never imported
        except (ImportError, ValueError):
            return None
        for location in (spec.submodule_search_locations or []) if spec else []:
            base = Path(location).joinpath(*parts[1:])
            for path, package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
                if path.is_file():
                    return path, package, False
        return None

    def module(self, name: str) -> tuple[_Module, str, bool] | None:
        """(facts, file, in_repo) of module ``name`` (cached)."""
        if name not in self.modules:
            found = self.locate(name)
            if found is None:
                self.modules[name] = None
            else:
                path, package, in_repo = found
                text = path.read_text(encoding="utf-8", errors="replace")
                file = path.relative_to(self.repo.root).as_posix() if in_repo else str(path)
                self.modules[name] = (self.parse(name, package, text), file, in_repo)
        return self.modules[name]

    def resolve(self, qualified: str) -> tuple[str, str] | None:
        """The (module, class) that defines ``qualified``, following re-exports."""
        for _ in range(_MAX_HOPS):
            module_name, _, attr = qualified.rpartition(".")
            while module_name and self.module(module_name) is None:
                attr = f"{module_name.rpartition('.')[2]}.{attr}"
                module_name = module_name.rpartition(".")[0]
            if not module_name:
                return None
            facts = self.module(module_name)[0]  # type: ignore[index]
            head, _, rest = attr.partition(".")
            if not rest and head in facts.classes:
                return module_name, head
            if head in facts.names:
                qualified = facts.names[head] + (f".{rest}" if rest else "")
                continue
            if rest:  # a submodule not re-exported by name: pkg.sub.Class
                qualified = f"{module_name}.{head}.{rest}"
                if self.module(f"{module_name}.{head}") is not None:
                    continue
            return None
        return None


def stable_parents(repo: Repo, config: PromoteConfig, info: FeatureInfo,
                   index: _Index | None = None) -> list[ParentUse]:
    """The stable classes that ``info``'s classes subclass, with their overrides.

    Args:
        index: a shared module index, so that several features parse a parent only once.
    """
    index = index or _Index(repo, config)
    uses: list[ParentUse] = []
    files = [f for f in repo.files_under(info.package_dir) if f.endswith(".py")]
    for rel in files:
        name, text = repo.module_name(rel), repo.read(rel) or ""
        if not name or not _SUBCLASS.search(text):
            continue  # no class with a base: nothing to parse
        own = index.parse(name, rel.endswith("__init__.py"), text)
        for class_name, klass in own.classes.items():
            for base in klass.bases:
                head, _, rest = base.partition(".")
                if head in own.classes and not rest:
                    continue  # a class of the same module: its own bases are looked at
                if head not in own.names:
                    continue
                found = index.resolve(own.names[head] + (f".{rest}" if rest else ""))
                if found is None:
                    continue
                module, parent = found
                if module == config.experimental_package or module.startswith(
                        config.experimental_package + "."):
                    continue  # the feature's own code, or another experimental feature's
                facts, file, in_repo = index.module(module)  # type: ignore[misc]
                target = facts.classes[parent]
                overrides = [Override(m, target.method_lines(m), klass.method_lines(m))
                             for m in klass.methods if m in target.defs]
                uses.append(ParentUse(class_name, rel, parent, module, file, in_repo,
                                      len(target.methods), target.lines, overrides))
    return uses


def make_index(repo: Repo, config: PromoteConfig) -> _Index:
    """A module index to share between the features of one report."""
    return _Index(repo, config)
