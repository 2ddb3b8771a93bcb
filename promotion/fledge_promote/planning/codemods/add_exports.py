"""``AddExportsCommand``: export names from a package ``__init__``, the way it already does."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import replace

import libcst as cst

from ...repository._style import TargetStyle, member_key
from ._helpers import PromoteCommand, dotted_name, string_literal

__all__ = ["AddExportsCommand", "ExportClashError", "submodule_of"]


class ExportClashError(ValueError):
    """A name to export is already exported from another module of the package."""


class AddExportsCommand(PromoteCommand):
    """Adds ``names`` from submodule ``submodule`` to a package's public API.

    * with a lazy ``_import_structure`` dictionary (transformers, TRL): the names join the
      submodule's key (added when missing), and the ``from .submodule import ...`` in the
      ``if TYPE_CHECKING:`` block (added when missing);
    * otherwise: a ``from .submodule import ...`` after the last top-level import;
    * either way, the names join ``__all__`` when it is a literal list.

    A name already exported from ``submodule`` is left as it is (an identical export); one
    exported from another module is a clash, and the file fails naming both. Keys, names
    and imports go where sorting puts them when the file keeps them sorted, and an import
    that grows past the line length is wrapped one name a line.

    Args:
        submodule: the module defining the names, relative to the package (``foo.api``).
        names: the names to export.
        style: the target's style (line length, isort's name order).
    """

    def __init__(self, submodule: str, names: Sequence[str],
                 style: TargetStyle | None = None) -> None:
        super().__init__()
        self.submodule = submodule
        self.names = list(names)
        self.style = style or TargetStyle(line_length=100)
        self.key = member_key(self.style.order_by_type)
        self.structured = False

    # -- lazy structure ----------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "_import_structure":  # seen before leave_Module needs it
            self.structured = True

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [dotted_name(t.target) for t in updated.targets]
        if "_import_structure" in targets and isinstance(updated.value, cst.Dict):
            return updated.with_changes(value=self._extend_structure(updated.value))
        if "__all__" in targets and isinstance(updated.value, cst.List):
            return updated.with_changes(value=self._extend_list(updated.value))
        return updated

    def _extend_structure(self, table: cst.Dict) -> cst.Dict:
        elements = list(table.elements)
        for element in elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.value, cst.List):
                continue
            key = element.key.evaluated_value if isinstance(element.key, cst.SimpleString) else None
            present = {e.value.evaluated_value for e in element.value.elements
                       if isinstance(e.value, cst.SimpleString)}
            clash = present & set(self.names)
            if key != self.submodule and clash:
                raise ExportClashError(
                    f"{', '.join(sorted(clash))} already exported from .{key}, not from "
                    f".{self.submodule}; rename the export or remove the package from export_to")
        for i, element in enumerate(elements):
            if (isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
                    and element.key.evaluated_value == self.submodule
                    and isinstance(element.value, cst.List)):
                elements[i] = element.with_changes(value=self._extend_list(element.value))
                return table.with_changes(elements=elements)
        value = cst.parse_expression("[" + ", ".join(f'"{n}"' for n in self._sorted()) + "]")
        new = cst.DictElement(key=string_literal(self.submodule), value=value)
        keys = [e.key.evaluated_value if isinstance(e, cst.DictElement)
                and isinstance(e.key, cst.SimpleString) else None for e in elements]
        elements = _insert(elements, [(self.submodule, new)], keys, lambda k: k.lower(),
                           table.lbrace.whitespace_after)
        return table.with_changes(elements=elements)

    def _sorted(self) -> list[str]:
        return sorted(self.names, key=self.key)

    def _extend_list(self, node: cst.List) -> cst.List:
        elements = list(node.elements)
        present = [e.value.evaluated_value if isinstance(e.value, cst.SimpleString) else None
                   for e in elements]
        missing = [n for n in self._sorted() if n not in present]
        if not missing:
            return node
        new = [(n, cst.Element(value=string_literal(n))) for n in missing]
        return node.with_changes(elements=_insert(elements, new, present, self.key,
                                                  node.lbracket.whitespace_after))

    # -- imports -----------------------------------------------------------------------------

    def _import_line(self, indent: str = "") -> cst.SimpleStatementLine:
        """``from .submodule import names``, wrapped to fit at indentation ``indent``."""
        narrower = replace(self.style, line_length=self.style.line_length - len(indent))
        text = narrower.from_import(f".{self.submodule}", self.names)
        return cst.parse_statement(text)  # type: ignore[return-value]

    def _grow_import(self, imp: cst.ImportFrom, indent: int) -> cst.ImportFrom:
        present = [dotted_name(a.name) for a in imp.names]  # type: ignore[union-attr]
        missing = [n for n in self._sorted() if n not in present]
        if not missing:
            return imp
        new = [(n, cst.ImportAlias(name=cst.Name(n))) for n in missing]
        opening = imp.lpar.whitespace_after if imp.lpar else cst.SimpleWhitespace("")
        aliases = _insert(list(imp.names), new, present, self.key, opening)  # type: ignore[arg-type]
        grown = imp.with_changes(names=aliases)
        if imp.lpar is None:
            line = " " * indent + cst.Module([]).code_for_node(grown)
            if len(line) > self.style.line_length:
                names = [dotted_name(a.name) or "" for a in aliases]
                narrower = replace(self.style, line_length=self.style.line_length - indent)
                text = narrower.from_import(f".{self.submodule}", names)
                return cst.parse_statement(text).body[0]  # type: ignore[attr-defined]
        return grown

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        if dotted_name(updated.test) not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return updated
        if not isinstance(updated.body, cst.IndentedBlock):
            return updated
        body = list(updated.body.body)
        modules: list[str | None] = []
        for i, stmt in enumerate(body):
            imp = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
            if not isinstance(imp, cst.ImportFrom) or isinstance(imp.names, cst.ImportStar):
                modules.append(None)
                continue
            module = dotted_name(imp.module) if imp.module else ""
            modules.append(("." * len(imp.relative)) + (module or ""))
            if len(imp.relative) == 1 and module == self.submodule:
                body[i] = stmt.with_changes(body=[self._grow_import(imp, 4)])
                return updated.with_changes(body=updated.body.with_changes(body=body))
        line = self._import_line("    ")
        known = [m for m in modules if m is not None]
        target = f".{self.submodule}"
        if known and known == sorted(known, key=str.lower) and len(known) == len(modules):
            at = bisect.bisect([m.lower() for m in known], target.lower())
        else:
            at = len(body)
        body.insert(at, line)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.structured:  # the lazy dictionary (and TYPE_CHECKING block) carry the names
            return updated
        body = list(updated.body)
        for stmt in body:
            imp = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
            if not isinstance(imp, cst.ImportFrom) or len(imp.relative) != 1:
                continue
            if isinstance(imp.names, cst.ImportStar):
                continue
            module = dotted_name(imp.module) if imp.module else None
            imported = {a.evaluated_alias or dotted_name(a.name) for a in imp.names}
            clash = imported & set(self.names)
            if module != self.submodule and clash:
                raise ExportClashError(
                    f"{', '.join(sorted(clash))} already exported from .{module}, not from "
                    f".{self.submodule}; rename the export or remove the package from export_to")
            if module == self.submodule:
                return updated  # already imported
        position = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(
                    stmt.body[0], (cst.Import, cst.ImportFrom, cst.Expr)):
                position = i + 1
            else:
                break
        body.insert(position, self._import_line())
        return updated.with_changes(body=body)


def submodule_of(package: str, module: str) -> str:
    """``module`` relative to ``package`` (``pkg.a.b`` in ``pkg`` is ``a.b``)."""
    if not module.startswith(package + "."):
        raise ValueError(f"{module} is not inside {package}")
    return module[len(package) + 1:]


def _insert(elements: list, new: list[tuple[str, object]], keys: list, key: Callable,
            opening: cst.BaseParenthesizableWhitespace) -> list:
    """``elements`` with ``new`` ``(key, element)`` pairs added: at their sorted place when
    the existing keys are sorted, else at the end. Commas are written as the existing ones
    are (one item a line, or inline); the last item keeps the trailing comma it had."""
    separator = _separator(elements, opening)
    ordered = all(k is not None for k in keys) and keys == sorted(keys, key=key)
    out = list(elements)
    current = list(keys)
    for name, element in new:
        at = bisect.bisect([key(k) for k in current], key(name)) if ordered else len(out)
        if at < len(out):
            out.insert(at, element.with_changes(comma=separator))  # type: ignore[attr-defined]
        else:
            trailing = out[-1].comma if out else cst.MaybeSentinel.DEFAULT
            if out:
                out[-1] = out[-1].with_changes(comma=separator)
            out.append(element.with_changes(comma=trailing))  # type: ignore[attr-defined]
        current.insert(at, name)
    return out


def _separator(elements: list, opening: cst.BaseParenthesizableWhitespace) -> cst.Comma:
    """The comma between items, written as the existing ones are (one per line or inline)."""
    if len(elements) > 1 and isinstance(elements[-2].comma, cst.Comma):
        return elements[-2].comma
    if isinstance(opening, cst.ParenthesizedWhitespace):  # one item per line
        return cst.Comma(whitespace_after=opening)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
