"""The modules promote leaves at old import paths: re-exports of the public API that warn.

A shim re-exports a module's *public API* only: its ``__all__``, else the classes,
functions and assignments it defines itself at top level. Names it merely imports are not
part of it (a trainer module importing ``pad`` does not make ``pad`` its API). The package
shim of a feature re-exports the feature's exports, from the modules that now define them.
"""

from __future__ import annotations

import ast
import textwrap

from ..repository._style import TargetStyle, member_key
from ._notice import ExperimentalNotice

__all__ = ["defined_names", "init_sources", "shim_source"]


def _all_list(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return [v for v in value if isinstance(v, str)]
    return None


def _is_logger(value: ast.expr) -> bool:
    """``logging.getLogger(...)``, ``get_logger(__name__)``: a module's own logger."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("getLogger", "get_logger")


def defined_names(source: str) -> list[str]:
    """A module's public API: ``__all__``, else what it defines at top level.

    Classes, functions and assigned names not starting with ``_`` count; imported names,
    ``__all__`` itself and the module's logger do not.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    listed = _all_list(tree)
    if listed is not None:
        return listed
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and not _is_logger(node.value):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return list(dict.fromkeys(n for n in names if not n.startswith("_")))


def init_sources(source: str) -> tuple[dict[str, str], list[str]]:
    """Where a package ``__init__`` gets its names from, and what it defines itself.

    Returns:
        ``{name: relative submodule}`` for each ``from .sub import name``, and the names of
        the classes and functions the ``__init__`` defines (code a flat move would lose).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}, []
    found: dict[str, str] = {}
    own: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = node.module
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                own.append(node.name)
    return found, own


#: Bases that a subclass could not stand in for, so a shim does not declare one for checkers:
#: an enum with members cannot be extended, a protocol's subclass is no protocol, a generic's
#: loses its parameters, a TypedDict's or NamedTuple's is a structure of its own.
_NO_STAND_IN = ("Generic", "Protocol", "TypedDict", "NamedTuple")
_ENUM_SUFFIXES = ("Enum", "Flag")


def _last_name(node: ast.expr) -> str:
    node = node.func if isinstance(node, ast.Call) else node
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _stands_in(node: ast.ClassDef) -> bool:
    """Whether a plain subclass of this class types like it, so checkers can be shown one."""
    if getattr(node, "type_params", None) or any(_last_name(d) == "final"
                                                  for d in node.decorator_list):
        return False
    for base in node.bases:
        name = _last_name(base)
        if isinstance(base, ast.Subscript) or name in _NO_STAND_IN or name.endswith(
                _ENUM_SUFFIXES):
            return False
    return True


def deprecatable_names(source: str) -> dict[str, str]:
    """The top-level names of ``source`` that PEP 702's ``@deprecated`` can mark.

    Returns:
        name to ``"class"`` or ``"function"``. Classes a subclass cannot stand in for
        (enums, protocols, generics, TypedDicts, NamedTuples, ``@final``) and every other
        name (constants, imported names) are left out: checkers cannot be told of them.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    kinds: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kinds[node.name] = "function"
        elif isinstance(node, ast.ClassDef) and _stands_in(node):
            kinds[node.name] = "class"
    return kinds


# -- the shim's text ---------------------------------------------------------------------------

_IMPORT_WARNS = '''{header}{docstring}
# {marker} ({action} in {version}; remove in {removal})
import warnings

{imports}
warnings.warn(
{message}    FutureWarning,
    stacklevel=2,
)
'''

_TEMPLATE = '''{header}{docstring}
# {marker} ({action} in {version}; remove in {removal})
import warnings
from typing import TYPE_CHECKING

{imports}{after}{all_line}

# Type checkers read the first branch: PEP 702 stand-ins with the
# warning's text. At run time each name is the new one itself; the
# first read of it here warns (once: `from package import name`
# reads it twice).
if TYPE_CHECKING:
{static}else:
{moved}
    def __getattr__(name: str) -> object:
        if name not in _MOVED:
{raise_line}        warnings.warn(
{warning}            FutureWarning,
            stacklevel=2,
        )
        value = globals()[name] = getattr(_MOVED[name], name)
        return value
'''

_DEPRECATED_IMPORT = '''
    if sys.version_info >= (3, 13):
        from warnings import deprecated
    else:
        from typing_extensions import deprecated
'''

_SIGNATURE_OF = '''
    _F = TypeVar("_F", bound=Callable[..., Any])

    def _signature_of(
        function: _F,
    ) -> Callable[[Callable[..., Any]], _F]: ...
'''

_RESERVED = {"_F", "_MOVED", "_Notice", "_signature_of"}


def _aliases(modules: list[str]) -> dict[str, str]:
    """A private name per module the shim imports: ``pkg.trainer.api`` -> ``_api``."""
    taken = set(_RESERVED)
    aliases = {}
    for module in modules:
        base = "_" + module.rpartition(".")[2].lstrip("_")
        alias, n = base, 1
        while alias in taken:
            n += 1
            alias = f"{base}{n}"
        taken.add(alias)
        aliases[module] = alias
    return aliases


def _moved_table(homes: dict[str, str], style: TargetStyle) -> str:
    """``_MOVED = {"Name": _module, ...}``, indented in the ``else:`` branch."""
    items = [f'"{name}": {alias}' for name, alias in homes.items()]
    line = f"    _MOVED = {{{', '.join(items)}}}"
    if len(line) <= style.line_length:
        return line + "\n"
    return "    _MOVED = {\n" + "".join(f"        {item},\n" for item in items) + "    }\n"


def _static(sources: dict[str, list[str]], aliases: dict[str, str],
            kinds: dict[tuple[str, str], str], message: str, style: TargetStyle) -> str:
    """The ``if TYPE_CHECKING:`` branch: a ``@deprecated`` stand-in for each class and
    function (a literal message: mypy reads no other), a plain import for the rest."""
    marked = [(m, n, kinds[m, n]) for m, names in sorted(sources.items()) for n in names
              if (m, n) in kinds]
    plain = {m: [n for n in names if (m, n) not in kinds] for m, names in sources.items()}
    functions = any(kind == "function" for _, _, kind in marked)
    text = ""
    if marked:
        text += "    import sys\n"
    if functions:
        text += "    from collections.abc import Callable\n    from typing import Any, TypeVar\n"
    if marked:
        text += _DEPRECATED_IMPORT
    others = "".join(style.from_import(m, names, indent="    ")
                     for m, names in sorted(plain.items()) if names)
    if others:
        text += ("\n" if text else "") + others
    if functions:
        text += _SIGNATURE_OF
    decorator = ("    @deprecated(\n" + style.string_argument(message, indent="        ")
                 + "        category=FutureWarning,\n    )\n")
    for module, name, kind in marked:
        text += "\n" + decorator
        new = f"{aliases[module]}.{name}"
        if kind == "class":
            text += _call("    ", f"class {name}", [new], "): ...", style)
        else:
            text += _call("    ", "@_signature_of", [new], ")", style)
            text += _call("    ", f"def {name}", ["*args: Any", "**kwargs: Any"],
                          ") -> Any: ...", style)
    return text


def _kind(module: str, name: str, texts: dict[str, str], depth: int = 0) -> str | None:
    """What ``module`` defines ``name`` as, following ``from .sub import name`` (a package's
    ``__init__`` re-exports what its modules define)."""
    text = texts.get(module)
    if text is None or depth > 5:
        return None
    found = deprecatable_names(text).get(name)
    if found:
        return found
    sub = init_sources(text)[0].get(name)
    if sub is None:
        return None
    for candidate in (f"{module}.{sub}", f"{module.rpartition('.')[0]}.{sub}"):
        if candidate in texts:  # the package's submodule, else the module's sibling
            return _kind(candidate, name, texts, depth + 1)
    return None


def _call(indent: str, head: str, args: list[str], tail: str, style: TargetStyle) -> str:
    """``head(args<tail>`` on one line, or one argument a line (with the trailing comma
    that keeps a formatter from joining them) when it does not fit."""
    line = f"{indent}{head}({', '.join(args)}{tail}"
    if len(line) <= style.line_length:
        return line + "\n"
    inner = "".join(f"{indent}    {arg},\n" for arg in args)
    return f"{indent}{head}(\n{inner}{indent}{tail}\n"


def _module_imports(aliases: dict[str, str], style: TargetStyle) -> str:
    """``import top as _top`` and ``from parent import last as _last``, isort's order."""
    plain = [f"import {m} as {a}\n" for m, a in sorted(aliases.items()) if "." not in m]
    split = sorted((m.rpartition(".")[0], m.rpartition(".")[2], a)
                   for m, a in aliases.items() if "." in m)
    return "".join(plain) + "".join(style.from_import(parent, [f"{last} as {alias}"])
                                    for parent, last, alias in split)


def _quietly(imports: str, notice: ExperimentalNotice | None, style: TargetStyle) -> str:
    """``imports`` inside a ``warnings.catch_warnings()`` that ignores ``notice`` only: the
    new module's namespace notice is not the user's to see (they get the FutureWarning)."""
    if notice is None:
        return imports
    category, parent, last = notice.category, "", ""
    if "." in notice.category:
        parent, _, last = notice.category.rpartition(".")
        category = "_Notice"
    arguments = ['"ignore"', *([f"message={_literal(notice.message)}"] if notice.message
                               else []), f"category={category}"]
    # the block ends the import block above it: the style's blank lines follow that block
    lines = ("\n" * (len(style.blank_after_imports) - 1) + "with warnings.catch_warnings():\n"
             "    # the experimental namespace's own notice: this import is the shim's\n"
             + (style.from_import(parent, [f"{last} as _Notice"], indent="    ") if parent
                else "")
             + _call("    ", "warnings.filterwarnings", arguments, ")", style))
    return lines + "".join(f"    {line}\n" if line else "\n" for line in imports.splitlines())


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shim_source(old: str, new: str, sources: dict[str, list[str]], *, message: str,
                version: str, removal: str, style: TargetStyle, action: str = "promoted",
                texts: dict[str, str] | None = None,
                quiet: ExperimentalNotice | None = None) -> str:
    """A module for old path ``old`` whose names are those of ``sources``, and warn.

    At run time each name is the object at its new place (``is`` holds, ``except`` and
    ``isinstance`` work as before); the first read of it through the old path warns with a
    FutureWarning, from the module's ``__getattr__``, which then binds it. Type checkers
    read an ``if TYPE_CHECKING:`` branch instead, where each class and function the new
    modules define is a PEP 702 ``@deprecated`` stand-in with the warning's text, so mypy
    and pyright report the old import the way the run time does. Nothing in it runs, so
    the target needs no ``typing_extensions`` at run time. A shim with no names warns on
    import.

    Args:
        old: the old dotted path.
        new: the new import path, for the docstring.
        sources: module to the names imported from it (an empty list: ``import module``).
        message: the FutureWarning's text, and the ``@deprecated`` message.
        version: the version doing the move.
        removal: the version that removes the shim.
        style: the target's style (line length, blank lines, header).
        action: ``promoted`` or ``demoted``.
        texts: the source of each module in ``sources``, to tell its classes and functions
            (see ``deprecatable_names``) from its other names; without it, none are.
        quiet: the experimental namespace's notice, which the shim's own import of the new
            modules ignores (a demotion's shim); None: they are imported plainly.
    """
    from ..repository._features import SHIM_MARKER

    docstring = f'"""Moved: ``{old}`` is now ``{new}``. This shim goes away in {removal}."""\n'
    if len(docstring) > style.line_length + 1:
        body = textwrap.fill(f"It is now ``{new}``; this shim goes away in {removal}.",
                             style.line_length, break_long_words=False, break_on_hyphens=False)
        docstring = f'"""Moved: ``{old}``.\n\n{body}\n"""\n'
    common = {"header": style.header + "\n" if style.header else "", "docstring": docstring,
              "marker": SHIM_MARKER, "action": action, "version": version, "removal": removal}
    names = [n for listed in sources.values() for n in listed]
    if not names:
        imports = "".join(f"import {module}  # noqa: F401\n" for module in sorted(sources))
        return _IMPORT_WARNS.format(**common, imports=_quietly(imports, quiet, style),
                                    message=style.string_argument(message))
    listed_sources = {m: list(dict.fromkeys(names)) for m, names in sources.items() if names}
    aliases = _aliases(sorted(listed_sources))
    kinds = {(m, n): kind for m, listed in listed_sources.items() for n in listed
             if (kind := _kind(m, n, texts or {}))}
    homes = {n: aliases[m] for m, listed in sorted(listed_sources.items()) for n in listed}
    ordered = sorted(homes, key=member_key(style.order_by_type))
    imports = _quietly(_module_imports(aliases, style), quiet, style)
    return _TEMPLATE.format(
        **common, imports=imports, after=style.blank_after_imports,
        all_line=style.string_list("__all__", ordered),
        static=_static(listed_sources, aliases, kinds, message, style),
        moved=_moved_table({n: homes[n] for n in ordered}, style),
        warning=style.string_argument(message, indent="            "),
        raise_line=_call("            ", "raise AttributeError",
                         ['f"module {__name__!r} has no attribute {name!r}"'], ")", style),
    )
