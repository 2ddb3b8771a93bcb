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


_TEMPLATE = '''{header}{docstring}
# {marker} ({action} in {version}; remove in {removal})
import warnings

{imports}{after}{all_line}
warnings.warn(
{message}    FutureWarning,
    stacklevel=2,
)
'''


def shim_source(old: str, new: str, sources: dict[str, list[str]], *, message: str,
                version: str, removal: str, style: TargetStyle, action: str = "promoted"
                ) -> str:
    """A module for old path ``old`` that re-exports ``sources`` and warns.

    Args:
        old: the old dotted path.
        new: the new import path, for the docstring.
        sources: module to the names imported from it (an empty list: ``import module``).
        message: the FutureWarning's text.
        version: the version doing the move.
        removal: the version that removes the shim.
        style: the target's style (line length, blank lines, header).
        action: ``promoted`` (the only action today).
    """
    from ..repository._features import SHIM_MARKER

    imports = ""
    names: list[str] = []
    for module, listed in sorted(sources.items()):
        if listed:
            imports += style.from_import(module, listed)
            names.extend(listed)
        else:
            imports += f"import {module}  # noqa: F401\n"
    ordered = sorted(dict.fromkeys(names), key=member_key(style.order_by_type))
    all_line = style.string_list("__all__", ordered) if names else ""
    docstring = f'"""Moved: ``{old}`` is now ``{new}``. This shim goes away in {removal}."""\n'
    if len(docstring) > style.line_length + 1:
        body = textwrap.fill(f"It is now ``{new}``; this shim goes away in {removal}.",
                             style.line_length, break_long_words=False, break_on_hyphens=False)
        docstring = f'"""Moved: ``{old}``.\n\n{body}\n"""\n'
    return _TEMPLATE.format(
        header=style.header + "\n" if style.header else "", docstring=docstring,
        removal=removal, marker=SHIM_MARKER, action=action, version=version,
        imports=imports, after=style.blank_after_imports, all_line=all_line,
        message=style.string_argument(message),
    )
