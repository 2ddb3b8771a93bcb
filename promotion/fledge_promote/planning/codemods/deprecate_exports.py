"""``DeprecateExportsCommand``: keep names exported from a package ``__init__`` through the
shims they left, marked ``# deprecated import``, imported only when used."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

import libcst as cst

from ._helpers import PromoteCommand, dotted_name, drop_elements, string_literal

__all__ = ["DEPRECATED_IMPORT", "DeprecateExportsCommand"]

DEPRECATED_IMPORT = "# deprecated import"

_LAZY_BLOCK = '''

# Moved names: imported from the shim at their old path when first used (it warns).
_DEPRECATED_IMPORTS = {{
{entries}}}


def __getattr__(name: str):
    if name in _DEPRECATED_IMPORTS:
        import importlib

        module = importlib.import_module(_DEPRECATED_IMPORTS[name], __name__)
        return getattr(module, name)
    raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
'''


def _commented(ws: cst.BaseParenthesizableWhitespace | None,
               indent: cst.SimpleWhitespace) -> cst.ParenthesizedWhitespace:
    """``ws`` (the white space after a comma) with the ``# deprecated import`` comment."""
    comment = cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "),
                                     comment=cst.Comment(DEPRECATED_IMPORT))
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=comment)
    return cst.ParenthesizedWhitespace(first_line=comment, indent=True, last_line=indent)


class DeprecateExportsCommand(PromoteCommand):
    """Keeps ``names`` importable from a package whose modules they left, each through the
    shim at its old module, marked ``# deprecated import`` (as TRL marks them) so ``prune``
    finds them, and imported only when used: a plain ``import package`` warns nothing.

    * a lazy ``_import_structure``: an entry whose key is a shim now (``"cpo_trainer":
      ["CPOTrainer"]`` in ``trl/trainer/__init__.py``) stays where it is, marked; a name
      listed under another key (``"trainer"`` in ``trl/__init__.py``) leaves it for an
      entry of its own keyed by its shim (``"trainer.cpo_trainer": ["CPOTrainer"]``);
    * the relative imports in ``if TYPE_CHECKING:`` follow the entries, one marked import
      per shim module;
    * a relative import at top level (a package that imports eagerly) would import the shim,
      and warn, on every ``import package``: the name goes to a ``_DEPRECATED_IMPORTS``
      table that a module ``__getattr__`` (PEP 562) imports from on first use. A package
      that defines its own ``__getattr__`` fails: there is no safe place for the names;
    * ``__all__`` keeps the names: they are still exported.

    Args:
        shims: each name, and its shim module relative to the package (``trainer.cpo_trainer``).
        moved: the modules, relative to the package, that are shims now.
    """

    def __init__(self, shims: Mapping[str, str], moved: Iterable[str]) -> None:
        super().__init__()
        self.shims = dict(shims)
        self.moved = frozenset(moved)
        self.lazy: dict[str, str] = {}
        self._depth = 0

    # -- the lazy structure ------------------------------------------------------------------

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [dotted_name(t.target) for t in updated.targets]
        if "_import_structure" in targets and isinstance(updated.value, cst.Dict):
            return updated.with_changes(value=self._structure(updated.value))
        return updated

    def _structure(self, table: cst.Dict) -> cst.Dict:
        indent = _inner_indent(table)
        elements: list = []
        keep: list[bool] = []
        leaving: dict[str, list[str]] = {}
        for element in table.elements:
            key = _key(element)
            listed = _listed(element)
            mine = [n for n in listed if n in self.shims]
            if key is None or not mine:
                elements.append(element)
                keep.append(True)
            elif key in self.moved and len(mine) == len(listed):  # its module is a shim now
                elements.append(element.with_changes(comma=cst.Comma(
                    whitespace_after=_commented(_after(element), indent))))
                keep.append(True)
            else:
                for name in mine:
                    leaving.setdefault(self.shims[name], []).append(name)
                kept = [e for e in element.value.elements  # type: ignore[union-attr]
                        if not _is(e, mine)]
                element = element.with_changes(value=element.value.with_changes(  # type: ignore[union-attr]
                    elements=drop_elements(element.value.elements,  # type: ignore[union-attr]
                                   [not _is(e, mine) for e in element.value.elements])))  # type: ignore[union-attr]
                elements.append(element)
                keep.append(bool(kept))
        elements = drop_elements(elements, keep)
        for module, names in sorted(leaving.items()):
            value = cst.parse_expression("[" + ", ".join(f'"{n}"' for n in names) + "]")
            entry = cst.DictElement(key=string_literal(module), value=value,
                                    comma=cst.Comma(whitespace_after=_commented(None, indent)))
            if elements:  # the entry before it ends its line and leads to the new one
                ws = _after(elements[-1])
                ws = ws.with_changes(last_line=indent) if isinstance(
                    ws, cst.ParenthesizedWhitespace) else cst.ParenthesizedWhitespace(
                    indent=True, last_line=indent)
                elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=ws))
            elements.append(entry)
        last = elements[-1].comma if elements else None
        if isinstance(last, cst.Comma) and isinstance(last.whitespace_after,
                                                      cst.ParenthesizedWhitespace):
            # the last entry's line (a comment on it, say) ends just before the brace
            elements[-1] = elements[-1].with_changes(comma=last.with_changes(
                whitespace_after=last.whitespace_after.with_changes(
                    last_line=cst.SimpleWhitespace(""))))
            table = table.with_changes(rbrace=table.rbrace.with_changes(
                whitespace_before=cst.SimpleWhitespace("")))
        return table.with_changes(elements=elements)

    # -- imports -----------------------------------------------------------------------------

    def visit_If(self, node: cst.If) -> None:
        self._depth += 1

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        self._depth -= 1
        if dotted_name(updated.test) not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return updated
        if not isinstance(updated.body, cst.IndentedBlock):
            return updated
        body = list(updated.body.body)
        leaving: dict[str, list[str]] = {}
        out = []
        for stmt in body:
            imp = _relative_import(stmt)
            mine = [n for n in _imported(imp) if n in self.shims] if imp else []
            if not mine:
                out.append(stmt)
                continue
            for name in mine:
                leaving.setdefault(self.shims[name], []).append(name)
            left = [a for a in imp.names if _alias(a) not in mine]  # type: ignore[union-attr]
            if left:
                out.append(stmt.with_changes(body=[imp.with_changes(names=drop_elements(
                    imp.names, [_alias(a) not in mine for a in imp.names]))]))  # type: ignore[union-attr]
        for module, names in sorted(leaving.items()):
            line = cst.parse_statement(
                f"from .{module} import {', '.join(names)}  {DEPRECATED_IMPORT}\n")
            _insert_import(out, line, f".{module}")
        return updated.with_changes(body=updated.body.with_changes(body=out))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # imports inside functions are not the package's exports

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Try(self, node: cst.Try) -> None:
        self._depth += 1

    def leave_Try(self, original: cst.Try, updated: cst.Try) -> cst.Try:
        self._depth -= 1
        return updated

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom
                         ) -> cst.ImportFrom | cst.RemovalSentinel:
        if self._depth or len(updated.relative) == 0 or isinstance(updated.names,
                                                                   cst.ImportStar):
            return updated  # TYPE_CHECKING blocks are rewritten whole in leave_If
        mine = [n for n in _imported(updated) if n in self.shims]
        if not mine:
            return updated
        for name in mine:
            self.lazy[name] = self.shims[name]
        keep = [_alias(a) not in mine for a in updated.names]
        if not any(keep):
            return cst.RemoveFromParent()
        return updated.with_changes(names=drop_elements(updated.names, keep))

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        return cst.RemoveFromParent() if not updated.body else updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.lazy:
            return updated
        defined = _top_level_names(updated)
        if "_DEPRECATED_IMPORTS" in defined:
            raise ValueError("the package already holds a _DEPRECATED_IMPORTS table; add "
                             f"{', '.join(sorted(self.lazy))} to it by hand")
        if "__getattr__" in defined:
            raise ValueError(
                f"{', '.join(sorted(self.lazy))} are imported at top level, and the package "
                "defines its own __getattr__: there is no place to import them lazily from "
                "their shims; export them through that __getattr__ by hand")
        entries = "".join(f'    "{name}": ".{module}",  {DEPRECATED_IMPORT}\n'
                          for name, module in sorted(self.lazy.items()))
        # A statement first, so the blank lines and comment lead the table, not the module.
        block = cst.parse_module("pass\n" + _LAZY_BLOCK.format(entries=entries))
        return updated.with_changes(body=[*updated.body, *block.body[1:]])


# -- small readers ---------------------------------------------------------------------------


def _key(element: cst.BaseDictElement) -> str | None:
    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
        value = element.key.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _listed(element: cst.BaseDictElement) -> list[str]:
    if not isinstance(element, cst.DictElement) or not isinstance(element.value, cst.List):
        return []
    return [e.value.evaluated_value for e in element.value.elements
            if isinstance(e.value, cst.SimpleString)
            and isinstance(e.value.evaluated_value, str)]


def _is(element: cst.Element, names: list[str]) -> bool:
    return isinstance(element.value, cst.SimpleString) and element.value.evaluated_value in names


def _after(element: cst.BaseDictElement) -> cst.BaseParenthesizableWhitespace | None:
    return element.comma.whitespace_after if isinstance(element.comma, cst.Comma) else None


def _inner_indent(table: cst.Dict) -> cst.SimpleWhitespace:
    """The indentation of the entries of a dict written one entry a line."""
    ws = table.lbrace.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.last_line
    return cst.SimpleWhitespace("    ")


def _relative_import(stmt: cst.BaseStatement) -> cst.ImportFrom | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    imp = stmt.body[0]
    if isinstance(imp, cst.ImportFrom) and len(imp.relative) == 1 and not isinstance(
            imp.names, cst.ImportStar):
        return imp
    return None


def _alias(alias: cst.ImportAlias) -> str | None:
    return alias.evaluated_alias or dotted_name(alias.name)  # type: ignore[arg-type]


def _imported(imp: cst.ImportFrom) -> list[str]:
    if isinstance(imp.names, cst.ImportStar):
        return []
    return [n for n in (_alias(a) for a in imp.names) if n]


def _insert_import(body: list, line: cst.SimpleStatementLine, module: str) -> None:
    """``line`` among the relative imports of ``body``: in order when they are sorted,
    else after the last of them."""
    places = [(i, _relative_import(s)) for i, s in enumerate(body)]
    imports = [(i, "." + (dotted_name(imp.module) or "")) for i, imp in places if imp]
    if not imports:
        body.append(line)
        return
    modules = [m.lower() for _, m in imports]
    if modules == sorted(modules):
        at = bisect.bisect(modules, module.lower())
        body.insert(imports[at][0] if at < len(imports) else imports[-1][0] + 1, line)
    else:
        body.insert(imports[-1][0] + 1, line)


def _top_level_names(module: cst.Module) -> set[str]:
    names = set()
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            names.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    names.update(filter(None, (dotted_name(t.target) for t in small.targets)))
    return names
