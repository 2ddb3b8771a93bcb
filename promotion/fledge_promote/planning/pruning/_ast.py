"""Small readings of ``ast`` nodes: what a statement is, a warning's text, a hand-on call."""

from __future__ import annotations

import ast

from ._records import removal_in

__all__ = ["all_names", "delegate", "dotted", "is_docstring", "is_empty", "is_neutral",
           "is_warn", "message", "only_warns_then_delegates", "text_of", "warn_call"]

_WARNING_CATEGORIES = ("FutureWarning", "DeprecationWarning", "PendingDeprecationWarning")


def is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(
        node.value.value, str)


def is_empty(node: ast.stmt) -> bool:
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(
        node.value, ast.Constant) and node.value.value is Ellipsis)


def is_neutral(node: ast.stmt) -> bool:
    """Imports (also under ``with``, ``if`` or ``try``: ``if sys.version_info >= (3, 13):
    from warnings import deprecated``), ``__all__``, a logger."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(node, ast.With):
        return all(is_neutral(n) or _is_filter(n) for n in node.body)
    if isinstance(node, ast.If):
        return all(is_neutral(n) for n in node.body + node.orelse)
    if isinstance(node, ast.Try):
        return all(is_neutral(n) for n in node.body + node.orelse + node.finalbody + [
            s for handler in node.handlers for s in handler.body])
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [dotted(t) for t in targets]
        if names == ["__all__"]:
            return True
        value = node.value
        return names == ["logger"] and isinstance(value, ast.Call) and (
            dotted(value.func) or "").endswith(("getLogger", "get_logger"))
    return False


def _is_filter(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and (
        dotted(node.value.func) or "").endswith(("simplefilter", "filterwarnings"))


def is_warn(call: ast.Call) -> bool:
    name = dotted(call.func) or ""
    return name in ("warnings.warn", "warn", "_warnings.warn")


def warn_call(node: ast.stmt) -> ast.Call | None:
    """The ``warnings.warn(...)`` of a deprecation at this statement, or None."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    if not is_warn(call):
        return None
    category = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "category"), None)
    name = (dotted(category) or "") if category is not None else ""
    if name.rpartition(".")[2] in _WARNING_CATEGORIES or removal_in(message(call)):
        return call
    return None


def only_warns_then_delegates(node: ast.FunctionDef | ast.AsyncFunctionDef,
                               callees: set[str]) -> list[str] | None:
    """The warnings' texts when ``node`` only warns and then hands on; else None.

    Allowed: a docstring, ``warnings.warn(...)`` statements, and last an expression or
    ``return`` of a call to ``super()...`` or one of ``callees`` with the function's own
    parameters.
    """
    texts: list[str] = []
    body = node.body[1:] if node.body and is_docstring(node.body[0]) else node.body
    params = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
    params |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
    for index, item in enumerate(body):
        call = warn_call(item)
        if call is not None:
            texts.append(message(call))
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
        if dotted(root.func) != "super":
            return False
    elif not (isinstance(root, ast.Name) and root.id in callees):
        return False
    arguments = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
    arguments += [k.value for k in call.keywords]
    return all(isinstance(a, ast.Name) and a.id in params for a in arguments)


def delegate(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    last = node.body[-1] if node.body else None
    value = last.value if isinstance(last, (ast.Expr, ast.Return)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def message(call: ast.Call) -> str:
    node = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "message"), None)
    return text_of(node) if node is not None else ""


def text_of(node: ast.expr) -> str:
    """The literal text of a message: strings, f-strings' literal parts, ``+`` of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(text_of(v) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return text_of(node.left) + text_of(node.right)
    return ""


def dotted(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        left = dotted(node.value)
        return None if left is None else f"{left}.{node.attr}"
    return None


def all_names(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [dotted(t) for t in node.targets] == ["__all__"]:
            try:
                return {v for v in ast.literal_eval(node.value) if isinstance(v, str)}
            except ValueError:
                return None
    return None


def is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``."""
    return (dotted(test) or "").rpartition(".")[2] == "TYPE_CHECKING"


def declares_only(body: list[ast.stmt]) -> bool:
    """Statements for type checkers only: imports, assignments (``_F = TypeVar(...)``), and
    classes and functions whose bodies are ``...`` (PEP 702 ``@deprecated`` stand-ins, a
    signature stub). Nothing here runs, so nothing here can be real code."""
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if not all(is_docstring(n) or is_empty(n) for n in node.body):
                return False
        elif isinstance(node, ast.If):
            if not declares_only(node.body + node.orelse):
                return False
        elif not isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign,
                                   ast.Pass)) and not is_docstring(node):
            return False
    return True


def moved_table(node: ast.stmt) -> dict[str, str] | None:
    """``_MOVED = {"Name": _module, ...}``: each name to the local name of the module that
    now holds it (a PEP 562 shim's ``__getattr__`` reads it); None for anything else."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Dict)
            and node.value.keys):
        return None
    table = {}
    for key, value in zip(node.value.keys, node.value.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)
                and isinstance(value, ast.Name)):
            return None
        table[key.value] = value.id
    return table
