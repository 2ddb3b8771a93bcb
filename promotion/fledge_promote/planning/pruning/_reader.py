"""Reading one module for shims: which shape each definition has, whether the module is
nothing but shims, and what is unsure."""

from __future__ import annotations

import ast
import re

from .._paths import resolve_relative
from ._ast import (
    all_names,
    declares_only,
    delegate,
    dotted,
    is_docstring,
    is_empty,
    is_neutral,
    is_type_checking,
    is_warn,
    message,
    moved_table,
    only_warns_then_delegates,
    text_of,
    warn_call,
)
from ._records import (
    ALIAS,
    DECORATOR,
    DOCSTRING,
    FUNCTION,
    MARKER,
    RE_EXPORT,
    SUBCLASS,
    WARNING,
    ModuleReading,
    Recognised,
    Unsure,
    removal_in,
)

__all__ = ["read_module"]

_MARKER = re.compile(r"#\s*fledge-promote: shim\s*\((\w+) in ([^;)]+); remove in ([^)]+)\)")
_MOVED = re.compile(r"Moved: ``([\w.]+)``(?: is now ``([\w.]+)``|\.\s+It is now ``([\w.]+)``)")


def read_module(path: str, module: str, text: str) -> ModuleReading | None:
    """The shims of one module; None when it has nothing to say (no deprecation warning)."""
    if not any(word in text for word in ("warn", "deprecated", "fledge-promote: shim")):
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    reader = _Reader(path, module, path.endswith("__init__.py"), text)
    return reader.read(tree)


class _Reader:
    def __init__(self, path: str, module: str, is_package: bool, text: str) -> None:
        self.path, self.module, self.is_package = path, module, is_package
        self.origins: dict[str, str] = {}  # local name -> dotted origin, for imported names
        self.plain: dict[str, str] = {}  # ``import a.b``: what it makes importable
        self.modules: set[str] = set()  # local names bound by ``import``, never re-exports
        self.stars: set[str] = set()  # ``from a import *``
        self.moved: list[tuple[str, str]] = []  # a ``_MOVED`` table's (old, new)
        marker = _MARKER.search(text)
        self.marker = marker.group(3).strip() if marker else None
        self.reading = ModuleReading(path, module)
        self.lines = text.splitlines()

    # -- the module ---------------------------------------------------------------------------

    def read(self, tree: ast.Module) -> ModuleReading | None:
        self._collect_imports(tree.body)
        docstring = ast.get_docstring(tree) or ""
        module_warnings: list[ast.Call] = []
        real = False
        for index, node in enumerate(tree.body):
            if index == 0 and is_docstring(node):
                continue
            if not self._shim_statement(node, module_warnings):
                real = True
        reading = self.reading
        if module_warnings:
            self._module_warning(tree, module_warnings, docstring, real)
        if not reading.shims and not reading.unsure:
            return None
        reading.whole = not real and bool(reading.shims)
        return reading

    def _shim_statement(self, node: ast.stmt, module_warnings: list[ast.Call]) -> bool:
        """Whether top-level ``node`` belongs in a shim (recording what it holds); False
        for real code."""
        if is_neutral(node):
            return True
        call = warn_call(node)
        if call is not None:
            module_warnings.append(call)
            return True
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"):
            # PEP 562: a module that warns when one of its names is used, not at import
            module_warnings += [c for c in self._warn_calls(node)]
            return True
        if isinstance(node, ast.If) and is_type_checking(node.test) and declares_only(
                node.body):
            # PEP 702 stand-ins for type checkers; the run time's branch is the shim's
            return all([self._shim_statement(n, module_warnings) for n in node.orelse])
        table = moved_table(node)
        if table is not None and all(local in self.origins for local in table.values()):
            self.moved += [(f"{self.module}.{name}", f"{self.origins[local]}.{name}")
                           for name, local in table.items()]
            return True
        return self._definition(node)

    def _module_warning(self, tree: ast.Module, calls: list[ast.Call], docstring: str,
                        real: bool) -> None:
        removal, source = self._version([(message(c), WARNING) for c in calls], docstring)
        line = calls[0].lineno
        if real:
            if removal is not None:
                self.reading.unsure.append(Unsure(
                    self.path, line, self.module, "warns at import but also defines real code",
                    removal, source))
            return
        names = self._reexports(tree)
        moved = _MOVED.search(docstring)
        if not names and not self.plain and not self.stars and not moved:
            return
        sources = {new.rpartition(".")[0] for _, new in names} | set(self.plain.values())
        sources |= self.stars
        new = (moved.group(2) or moved.group(3)) if moved else (
            next(iter(sources)) if len(sources) == 1 else None)
        self._add(Recognised(self.path, line, self.module, new, RE_EXPORT, removal, source,
                             names=tuple(names)))

    def _reexports(self, tree: ast.Module) -> list[tuple[str, str]]:
        listed = all_names(tree)
        names = []
        for local, origin in self.origins.items():
            if listed is not None and local not in listed:
                continue
            if local.startswith("_") or local in self.modules or origin.startswith(
                    ("warnings.", "typing", "__future__")):
                continue
            names.append((f"{self.module}.{local}", origin))
        return sorted(dict(names + self.moved).items())

    # -- definitions ---------------------------------------------------------------------------

    def _definition(self, node: ast.stmt) -> bool:
        """Record ``node`` if it is a shim; True when it is one (or an unsure one)."""
        if isinstance(node, ast.ClassDef):
            return self._class(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self._function(node)
        if isinstance(node, ast.Assign):
            return self._alias(node)
        return False

    def _class(self, node: ast.ClassDef) -> bool:
        if len(node.bases) != 1 or node.keywords:
            return self._unsure_if_warns(node)
        base = self._origin(node.bases[0])
        decorations = [self._decoration(d) for d in node.decorator_list]
        if base is None or None in decorations:
            return self._unsure_if_warns(node)
        texts = [(t, DECORATOR) for t in decorations if t]
        for item in node.body:
            if is_docstring(item) or is_empty(item):
                continue
            if not isinstance(item, ast.FunctionDef):
                return self._unsure_if_warns(node)
            warned = only_warns_then_delegates(item, {"super", *self.origins})
            if warned is None:
                return self._unsure_if_warns(node)
            texts += [(t, WARNING) for t in warned]
        return bool(texts) and self._shim(node, node.name, base, SUBCLASS, texts)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        decorations = [self._decoration(d) for d in node.decorator_list]
        if None in decorations:
            return self._unsure_if_warns(node)
        warned = only_warns_then_delegates(node, set(self.origins))
        target = delegate(node)
        origin = self.origins.get(target) if target else None
        texts = [(t, DECORATOR) for t in decorations if t] + [(t, WARNING) for t in warned or []]
        if warned is None or origin is None or not texts:
            return self._unsure_if_warns(node)
        return self._shim(node, node.name, origin, FUNCTION, texts)

    def _alias(self, node: ast.Assign) -> bool:
        """``Name = deprecated("...", category=FutureWarning)(_Name)``."""
        value = node.value
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(value, ast.Call) and len(value.args) == 1):
            return False
        text = self._decoration(value.func)
        origin = self._origin(value.args[0])
        if not text or origin is None:
            return False
        return self._shim(node, node.targets[0].id, origin, ALIAS, [(text, DECORATOR)])

    def _shim(self, node: ast.stmt, name: str, origin: str, rule: str,
              texts: list[tuple[str, str]]) -> bool:
        removal, source = self._version(texts, "")
        return self._add(Recognised(self.path, node.lineno, f"{self.module}.{name}", origin,
                                    rule, removal, source, name=name))

    def _add(self, shim: Recognised) -> bool:
        """Keep ``shim``; without a removal version it is unsure (and stays: False)."""
        if shim.removal is None:
            self.reading.unsure.append(Unsure(
                self.path, shim.line, shim.old, f"looks like a {shim.rule} but no text says "
                "when it goes", None, "-"))
            return False
        self.reading.shims.append(shim)
        return True

    def _unsure_if_warns(self, node: ast.stmt) -> bool:
        """A definition that warns of its removal but does more: listed, and real code."""
        dated = [(removal_in(t), t) for t in map(message, self._warn_calls(node))
                 if removal_in(t)]
        if dated:
            name = getattr(node, "name", "?")
            self.reading.unsure.append(Unsure(
                self.path, node.lineno, f"{self.module}.{name}",
                "warns of removal but also holds real code", dated[0][0], "warning text"))
        return False

    def _warn_calls(self, node: ast.AST):
        """The ``warnings.warn`` calls under ``node``, entering only statements whose lines
        say ``warn`` (a 2,000-line trainer class has a handful)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.stmt):
                end = current.end_lineno or current.lineno
                if not any("warn" in line for line in self.lines[current.lineno - 1:end]):
                    continue
            if isinstance(current, ast.Call) and is_warn(current):
                yield current
                continue
            stack.extend(ast.iter_child_nodes(current))

    # -- helpers --------------------------------------------------------------------------------

    def _version(self, texts: list[tuple[str, str]], docstring: str
                 ) -> tuple[str | None, str]:
        if self.marker:
            return self.marker, MARKER
        for text, source in texts:
            found = removal_in(text)
            if found:
                return found, source
        found = removal_in(docstring) if docstring else None
        return (found, DOCSTRING) if found else (None, "-")

    def _decoration(self, node: ast.expr) -> str | None:
        """``""`` for ``@dataclass``, the message for ``@deprecated(msg)``, None otherwise."""
        target = node.func if isinstance(node, ast.Call) else node
        name = dotted(target) or ""
        leaf = self.origins.get(name, name).rpartition(".")[2] or name
        if leaf == "dataclass":
            return ""
        if leaf == "deprecated" and isinstance(node, ast.Call) and node.args:
            return text_of(node.args[0]) or "deprecated"
        return None

    def _origin(self, node: ast.expr) -> str | None:
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        origin = self.origins.get(head)
        if origin is None:
            return None
        return f"{origin}.{rest}" if rest else origin

    def _collect_imports(self, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.With, ast.If, ast.Try)):
                self._collect_imports(node.body + getattr(node, "orelse", []) + [
                    s for handler in getattr(node, "handlers", []) for s in handler.body])
            elif isinstance(node, ast.ImportFrom):
                base = (resolve_relative(self.module, self.is_package, node.level, node.module)
                        if node.level else node.module)
                for alias in node.names:
                    if base and alias.name == "*":
                        self.stars.add(base)
                    elif base:
                        self.origins[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.partition(".")[0]
                    self.origins[local] = alias.name if alias.asname else local
                    self.modules.add(local)
                    if alias.name.partition(".")[0] == self.module.partition(".")[0]:
                        self.plain[local] = alias.name  # a re-export of a whole module
