"""Which stable classes a feature subclasses, and how much of each it overrides.

Static analysis with LibCST: nothing is imported. A feature's modules are parsed, the bases
of each class are resolved through the module's imports (absolute and relative, re-exports
in ``__init__`` files, lazy ``_import_structure`` dictionaries) to the module that defines
them, in the repository first and else in the installed packages. A base that resolves to
code outside the experimental package is a *stable parent*; the subclass's methods whose
names the parent's own class body also defines are its *overrides*.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from ._config import PromoteConfig
from ._features import FeatureInfo
from ._repo import Repo

__all__ = ["Override", "ParentUse", "stable_parents"]

_MAX_HOPS = 8
_SUBCLASS = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\(", re.M)


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
    """A class statement; line counts are made on demand (generating code is the slow part)."""

    bases: list[str]
    tree: cst.Module
    node: cst.ClassDef
    defs: dict[str, list[cst.FunctionDef]]
    _lines: dict[str, int] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return list(self.defs)

    def method_lines(self, name: str) -> int:
        """Lines of method ``name`` (every definition of it: property getter and setter)."""
        if name not in self._lines:
            self._lines[name] = sum(_lines(self.tree, d) for d in self.defs[name])
        return self._lines[name]

    @property
    def lines(self) -> int:
        if "" not in self._lines:
            self._lines[""] = _lines(self.tree, self.node)
        return self._lines[""]


@dataclass
class _Module:
    name: str
    is_package: bool
    classes: dict[str, _Class] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # local name -> qualified name


def _lines(module: cst.Module, node: cst.CSTNode) -> int:
    code = module.code_for_node(node)
    leading = len(getattr(node, "leading_lines", ()))
    return max(len(code.rstrip("\n").splitlines()) - leading, 1)


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    if isinstance(node, cst.Subscript):  # Generic[T], Base[Config]
        return _dotted(node.value)
    return None


def _parse(name: str, is_package: bool, source: str) -> _Module:
    """The classes and the imported names of one module."""
    facts = _Module(name, is_package)
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return facts
    package = name if is_package else name.rpartition(".")[0]

    def absolute(level: int, target: str) -> str:
        if not level:
            return target
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - level + 1]) if level <= len(parts) else ""
        return ".".join(p for p in (base, target) if p)

    def visit(body) -> None:
        for statement in body:
            if isinstance(statement, cst.ClassDef):
                defs: dict[str, list[cst.FunctionDef]] = {}
                inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) \
                    else ()
                for item in inner:
                    if isinstance(item, cst.FunctionDef):
                        defs.setdefault(item.name.value, []).append(item)
                bases = [d for d in (_dotted(a.value) for a in statement.bases if not a.keyword)
                         if d]
                facts.classes[statement.name.value] = _Class(bases, tree, statement, defs)
            elif isinstance(statement, (cst.If, cst.Try)):
                visit(statement.body.body)
                for extra in getattr(statement, "handlers", ()):
                    visit(extra.body.body)
                orelse = getattr(statement, "orelse", None)
                if orelse is not None and hasattr(orelse, "body"):
                    visit(orelse.body.body if isinstance(orelse, cst.Else) else [orelse])
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    _small(small)

    def _small(small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            source_module = absolute(len(small.relative),
                                     _dotted(small.module) if small.module else "")
            for alias in small.names:
                imported = _dotted(alias.name)
                local = _dotted(alias.asname.name) if alias.asname else imported
                if imported and local:
                    facts.names[local] = f"{source_module}.{imported}"
        elif isinstance(small, cst.Import):
            for alias in small.names:
                imported = _dotted(alias.name)
                if not imported:
                    continue
                if alias.asname:
                    facts.names[_dotted(alias.asname.name) or imported] = imported
                else:
                    top = imported.partition(".")[0]
                    facts.names.setdefault(top, top)
        elif isinstance(small, cst.Assign) and isinstance(small.value, cst.Dict):
            target = small.targets[0].target
            if isinstance(target, cst.Name) and target.value == "_import_structure":
                _lazy(small.value)

    def _lazy(table: cst.Dict) -> None:
        for element in table.elements:
            if not (isinstance(element, cst.DictElement)
                    and isinstance(element.key, cst.SimpleString)
                    and isinstance(element.value, cst.List)):
                continue
            submodule = f"{package}.{element.key.evaluated_value}"
            for item in element.value.elements:
                if isinstance(item.value, cst.SimpleString):
                    value = item.value.evaluated_value
                    if isinstance(value, str):
                        facts.names.setdefault(value, f"{submodule}.{value}")

    visit(tree.body)
    return facts


class _Index:
    """Parsed modules, found in the repository first and else among installed packages."""

    def __init__(self, repo: Repo, config: PromoteConfig) -> None:
        self.repo = repo
        roots = [config.source_root, *config.python_path, "."]
        self.roots = [r for r in dict.fromkeys(roots) if (repo.root / r).is_dir()]
        self.modules: dict[str, tuple[_Module, str, bool] | None] = {}

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
                self.modules[name] = (_parse(name, package, text), file, in_repo)
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
        own = _parse(name, rel.endswith("__init__.py"), text)
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
