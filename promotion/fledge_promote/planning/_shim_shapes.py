"""Deprecation shims recognised by their shape, whoever wrote them.

A shim keeps an old import path working while it warns that the path goes away. fledge's
own carry a marker comment; TRL's and most libraries' are written by hand. Both are found
here by what the code does, read with ``ast`` (nothing is imported):

- ``re-export module``: a module of nothing but imports, ``__all__`` and a module-level
  ``warnings.warn`` (fledge's promote and demote shims);
- ``warning subclass``: ``class Name(_Name)`` over a class imported from elsewhere, whose
  methods only warn and hand on to ``super()`` (TRL's ``CPOTrainer(_CPOTrainer)``), or a
  bodiless subclass decorated with PEP 702's ``@deprecated``;
- ``warning function``: a function that only warns and returns the imported function's
  result (TRL's ``merge_models``), or is decorated with ``@deprecated`` and only delegates;
- ``deprecated alias``: ``Name = deprecated(...)(_Name)``.

The removal version is read from the marker comment, else the warning's (or
``@deprecated``'s) text ("removed in 0.29", "no longer supported in TRL 0.29", "in version
0.29.0"), else the module docstring. A definition that warns of removal but also holds real
code, or a shim without a removal version, is :class:`Unsure`: listed, never deleted.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ._paths import resolve_relative

__all__ = ["ModuleReading", "Recognised", "Unsure", "read_module", "removal_in"]

RE_EXPORT, SUBCLASS, FUNCTION, ALIAS = ("re-export module", "warning subclass",
                                        "warning function", "deprecated alias")
# where a removal version was read
MARKER, WARNING, DECORATOR, DOCSTRING = ("marker comment", "warning text",
                                         "@deprecated message", "module docstring")
_VERSION = r"v?(\d+(?:\.\d+)+(?:\.?(?:dev|rc|a|b)\d+)?)"
_REMOVAL = re.compile(
    r"\b(?:remov\w*|no longer (?:be )?(?:supported|available|importable)|go(?:es)? away|"
    r"deleted|dropped)\b[^.;]*?\b(?:in|by|from|with|after)\s+"
    r"(?:(?:the\s+)?(?:version|release|v)\s*|[A-Z][\w-]*\s+(?:version\s+)?)?" + _VERSION,
    re.IGNORECASE)
_MARKER = re.compile(r"#\s*fledge-promote: shim\s*\((\w+) in ([^;)]+); remove in ([^)]+)\)")
_WARNING_CATEGORIES = ("FutureWarning", "DeprecationWarning", "PendingDeprecationWarning")


def removal_in(text: str) -> str | None:
    """The version a deprecation text says its subject is removed in, or None.

    ``"... will be removed and no longer supported in TRL 0.29. For ..."`` -> ``0.29``.
    """
    match = _REMOVAL.search(" ".join(text.split()))
    return match.group(1) if match else None


@dataclass(frozen=True)
class Recognised:
    """One shim: a definition (or a whole re-export module) that keeps an old path alive.

    Attributes:
        path: its file, relative to the repository.
        line: the line it starts on.
        old: the dotted path it keeps importable (``trl.trainer.cpo_trainer.CPOTrainer``).
        new: where the real thing lives (``trl.experimental.cpo.CPOTrainer``); for a module,
            the one module its names come from, or None when they come from several.
        rule: the shape that recognised it (``warning subclass``, ...).
        removal: the version that removes it, or None when no text says.
        source: where the version came from (``warning text``, ``marker comment``, ...).
        name: the definition's name; None for a whole re-export module.
        names: for a re-export module, ``(old, new)`` of every name it re-exports.
    """

    path: str
    line: int
    old: str
    new: str | None
    rule: str
    removal: str | None
    source: str
    name: str | None = None
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unsure:
    """Something that warns of its removal but is not only a shim: for a person to read."""

    path: str
    line: int
    what: str
    reason: str
    removal: str | None
    source: str


@dataclass
class ModuleReading:
    """What one module holds: its shims, whether it is nothing but shims, what is unsure."""

    path: str
    module: str
    shims: list[Recognised] = field(default_factory=list)
    whole: bool = False
    unsure: list[Unsure] = field(default_factory=list)


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
        marker = _MARKER.search(text)
        self.marker = marker.group(3).strip() if marker else None
        self.reading = ModuleReading(path, module)

    # -- the module ---------------------------------------------------------------------------

    def read(self, tree: ast.Module) -> ModuleReading | None:
        self._collect_imports(tree.body)
        docstring = ast.get_docstring(tree) or ""
        module_warnings: list[ast.Call] = []
        real = False
        for index, node in enumerate(tree.body):
            if index == 0 and _is_docstring(node):
                continue
            if _is_neutral(node):
                continue
            call = _warn_call(node)
            if call is not None:
                module_warnings.append(call)
                continue
            if not self._definition(node):
                real = True
        reading = self.reading
        if module_warnings:
            self._module_warning(tree, module_warnings, docstring, real)
        if not reading.shims and not reading.unsure:
            return None
        reading.whole = not real and bool(reading.shims)
        return reading

    def _module_warning(self, tree: ast.Module, calls: list[ast.Call], docstring: str,
                        real: bool) -> None:
        removal, source = self._version([(_message(c), WARNING) for c in calls], docstring)
        line = calls[0].lineno
        if real:
            if removal is not None:
                self.reading.unsure.append(Unsure(
                    self.path, line, self.module, "warns at import but also defines real code",
                    removal, source))
            return
        names = self._reexports(tree)
        if not names and not self.plain and not self.stars:
            return
        sources = {new.rpartition(".")[0] for _, new in names} | set(self.plain.values())
        sources |= self.stars
        moved = _MOVED.search(docstring)
        new = (moved.group(2) or moved.group(3)) if moved else (
            next(iter(sources)) if len(sources) == 1 else None)
        self._add(Recognised(self.path, line, self.module, new, RE_EXPORT, removal, source,
                             names=tuple(names)))

    def _reexports(self, tree: ast.Module) -> list[tuple[str, str]]:
        listed = _all_names(tree)
        names = []
        for local, origin in self.origins.items():
            if listed is not None and local not in listed:
                continue
            if local.startswith("_") or local in self.modules or origin.startswith(
                    ("warnings.", "typing", "__future__")):
                continue
            names.append((f"{self.module}.{local}", origin))
        return sorted(names)

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
            if _is_docstring(item) or _is_empty(item):
                continue
            if not isinstance(item, ast.FunctionDef):
                return self._unsure_if_warns(node)
            warned = _only_warns_then_delegates(item, {"super", *self.origins})
            if warned is None:
                return self._unsure_if_warns(node)
            texts += [(t, WARNING) for t in warned]
        return bool(texts) and self._shim(node, node.name, base, SUBCLASS, texts)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        decorations = [self._decoration(d) for d in node.decorator_list]
        if None in decorations:
            return self._unsure_if_warns(node)
        warned = _only_warns_then_delegates(node, set(self.origins))
        target = _delegate(node)
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
        texts = [_message(c) for c in ast.walk(node) if isinstance(c, ast.Call) and _is_warn(c)]
        dated = [(removal_in(t), t) for t in texts if removal_in(t)]
        if dated:
            name = getattr(node, "name", "?")
            self.reading.unsure.append(Unsure(
                self.path, node.lineno, f"{self.module}.{name}",
                "warns of removal but also holds real code", dated[0][0], "warning text"))
        return False

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
        name = _dotted(target) or ""
        leaf = self.origins.get(name, name).rpartition(".")[2] or name
        if leaf == "dataclass":
            return ""
        if leaf == "deprecated" and isinstance(node, ast.Call) and node.args:
            return _text(node.args[0]) or "deprecated"
        return None

    def _origin(self, node: ast.expr) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        origin = self.origins.get(head)
        if origin is None:
            return None
        return f"{origin}.{rest}" if rest else origin

    def _collect_imports(self, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.With):
                self._collect_imports(node.body)
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
                    if alias.name not in ("warnings", "typing", "typing_extensions"):
                        self.plain[local] = alias.name


_MOVED = re.compile(r"Moved: ``([\w.]+)``(?: is now ``([\w.]+)``|\.\s+It is now ``([\w.]+)``)")


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(
        node.value.value, str)


def _is_empty(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(
        node.value, ast.Constant) and node.value.value is Ellipsis)


def _is_neutral(node: ast.stmt) -> bool:
    """Imports (also under ``with`` or ``if TYPE_CHECKING:``), ``__all__``, a logger."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.With):
        return all(_is_neutral(n) or _is_filter(n) for n in node.body)
    if isinstance(node, ast.If) and _dotted(node.test) in ("TYPE_CHECKING",
                                                           "typing.TYPE_CHECKING"):
        return all(_is_neutral(n) for n in node.body + node.orelse)
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [_dotted(t) for t in targets]
        if names == ["__all__"]:
            return True
        value = node.value
        return names == ["logger"] and isinstance(value, ast.Call) and (
            _dotted(value.func) or "").endswith(("getLogger", "get_logger"))
    return False


def _is_filter(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and (
        _dotted(node.value.func) or "").endswith(("simplefilter", "filterwarnings"))


def _is_warn(call: ast.Call) -> bool:
    name = _dotted(call.func) or ""
    return name in ("warnings.warn", "warn", "_warnings.warn")


def _warn_call(node: ast.stmt) -> ast.Call | None:
    """The ``warnings.warn(...)`` of a deprecation at this statement, or None."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    if not _is_warn(call):
        return None
    category = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "category"), None)
    name = (_dotted(category) or "") if category is not None else ""
    if name.rpartition(".")[2] in _WARNING_CATEGORIES or removal_in(_message(call)):
        return call
    return None


def _only_warns_then_delegates(node: ast.FunctionDef | ast.AsyncFunctionDef,
                               callees: set[str]) -> list[str] | None:
    """The warnings' texts when ``node`` only warns and then hands on; else None.

    Allowed: a docstring, ``warnings.warn(...)`` statements, and last an expression or
    ``return`` of a call to ``super()...`` or one of ``callees`` with the function's own
    parameters.
    """
    texts: list[str] = []
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    params = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
    params |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
    for index, item in enumerate(body):
        call = _warn_call(item)
        if call is not None:
            texts.append(_message(call))
            continue
        last = index == len(body) - 1
        value = item.value if isinstance(item, (ast.Expr, ast.Return)) else None
        if not (last and isinstance(value, ast.Call) and _hands_on(value, callees, params)):
            return None
    return texts


def _hands_on(call: ast.Call, callees: set[str], params: set[str]) -> bool:
    func = call.func
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Call):  # super().__init__(...)
        if _dotted(root.func) != "super":
            return False
    elif not (isinstance(root, ast.Name) and root.id in callees):
        return False
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
    arguments += [k.value for k in call.keywords]
    return all(isinstance(a, ast.Name) and a.id in params for a in arguments)


def _delegate(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    last = node.body[-1] if node.body else None
    value = last.value if isinstance(last, (ast.Expr, ast.Return)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def _message(call: ast.Call) -> str:
    node = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "message"), None)
    return _text(node) if node is not None else ""


def _text(node: ast.expr) -> str:
    """The literal text of a message: strings, f-strings' literal parts, ``+`` of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return ""


def _dotted(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        left = _dotted(node.value)
        return None if left is None else f"{left}.{node.attr}"
    return None


def _all_names(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [_dotted(t) for t in node.targets] == ["__all__"]:
            try:
                return {v for v in ast.literal_eval(node.value) if isinstance(v, str)}
            except ValueError:
                return None
    return None
