"""``AddExportsCommand``: export names from a package ``__init__``, the way it already does."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext

from ._helpers import PromoteCommand, dotted_name, string_literal

__all__ = ["AddExportsCommand", "ExportClashError", "submodule_of"]


class ExportClashError(ValueError):
    """A name to export is already exported from another module of the package."""


class AddExportsCommand(PromoteCommand):
    """Adds ``names`` from submodule ``submodule`` to a package's public API.

    * with a lazy ``_import_structure`` dictionary (transformers, TRL): the names join the
      submodule's key (added when missing), and the ``from .submodule import ...`` in the
      ``if TYPE_CHECKING:`` block (added when missing);
    * otherwise: a ``from .submodule import ...`` after the last top-level import, and the
      names appended to ``__all__`` when it exists.

    Args:
        context: the LibCST codemod context.
        submodule: the module defining the names, relative to the package (``foo.api``).
        names: the names to export.
    """

    DESCRIPTION = "Export a promoted feature's names from a package __init__."

    def __init__(self, context: CodemodContext, submodule: str, names: Sequence[str]) -> None:
        super().__init__(context)
        self.submodule = submodule
        self.names = list(names)
        self.structured = False
        self.type_checking_done = False

    # -- lazy structure ----------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.structured = "_import_structure" in node.code

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        targets = [dotted_name(t.target) for t in updated.targets]
        if "_import_structure" in targets and isinstance(updated.value, cst.Dict):
            return updated.with_changes(value=self._extend_structure(updated.value))
        if "__all__" in targets and not self.structured and isinstance(updated.value, cst.List):
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
                    f"{', '.join(sorted(clash))} already exported from .{key}; rename the "
                    "export or remove the package from export_to")
        for i, element in enumerate(elements):
            if (isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
                    and element.key.evaluated_value == self.submodule
                    and isinstance(element.value, cst.List)):
                elements[i] = element.with_changes(value=self._extend_list(element.value))
                return table.with_changes(elements=elements)
        value = cst.parse_expression("[" + ", ".join(f'"{n}"' for n in self.names) + "]")
        new = cst.DictElement(key=string_literal(self.submodule), value=value)
        if elements:
            last = elements[-1]
            trailing = last.comma
            separator = _separator(elements, table.lbrace.whitespace_after)
            elements[-1] = last.with_changes(comma=separator)
            new = new.with_changes(comma=trailing)
        elements.append(new)
        return table.with_changes(elements=elements)

    def _extend_list(self, node: cst.List) -> cst.List:
        elements = list(node.elements)
        present = {e.value.evaluated_value for e in elements
                   if isinstance(e.value, cst.SimpleString)}
        missing = [n for n in self.names if n not in present]
        if not missing:
            return node
        trailing = elements[-1].comma if elements else cst.MaybeSentinel.DEFAULT
        separator = _separator(elements, node.lbracket.whitespace_after)
        if elements:
            elements[-1] = elements[-1].with_changes(comma=separator)
        for i, name in enumerate(missing):
            last = i == len(missing) - 1
            elements.append(cst.Element(value=string_literal(name),
                                        comma=trailing if last else separator))
        return node.with_changes(elements=elements)

    # -- imports -----------------------------------------------------------------------------

    def _import_line(self) -> cst.SimpleStatementLine:
        names = ", ".join(self.names)
        return cst.parse_statement(f"from .{self.submodule} import {names}")  # type: ignore[return-value]

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        if dotted_name(updated.test) not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            return updated
        if not isinstance(updated.body, cst.IndentedBlock):
            return updated
        self.type_checking_done = True
        body = list(updated.body.body)
        for i, stmt in enumerate(body):
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            imp = stmt.body[0]
            if (isinstance(imp, cst.ImportFrom) and len(imp.relative) == 1
                    and dotted_name(imp.module) == self.submodule
                    and not isinstance(imp.names, cst.ImportStar)):
                present = {dotted_name(a.name) for a in imp.names}
                comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                aliases = [a.with_changes(comma=comma) for a in imp.names]
                aliases += [cst.ImportAlias(name=cst.Name(n))
                            for n in self.names if n not in present]
                aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                body[i] = stmt.with_changes(body=[imp.with_changes(names=aliases)])
                return updated.with_changes(body=updated.body.with_changes(body=body))
        body.append(self._import_line())
        return updated.with_changes(body=updated.body.with_changes(body=body))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.structured:  # the lazy dictionary (and TYPE_CHECKING block) carry the names
            return updated
        body = list(updated.body)
        for stmt in body:
            imp = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
            if isinstance(imp, cst.ImportFrom):
                if len(imp.relative) == 1 and dotted_name(imp.module) == self.submodule:
                    return updated  # already imported
        position = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(
                    stmt.body[0], (cst.Import, cst.ImportFrom, cst.Expr)):
                position = i + 1
            elif isinstance(stmt, cst.SimpleStatementLine):
                break
            else:
                break
        body.insert(position, self._import_line())
        return updated.with_changes(body=body)


def submodule_of(package: str, module: str) -> str:
    """``module`` relative to ``package`` (``pkg.a.b`` in ``pkg`` is ``a.b``)."""
    if not module.startswith(package + "."):
        raise ValueError(f"{module} is not inside {package}")
    return module[len(package) + 1:]



def _separator(elements: list, opening: cst.BaseParenthesizableWhitespace) -> cst.Comma:
    """The comma between items, written as the existing ones are (one per line or inline)."""
    if len(elements) > 1 and isinstance(elements[-2].comma, cst.Comma):
        return elements[-2].comma
    if isinstance(opening, cst.ParenthesizedWhitespace):  # one item per line
        return cst.Comma(whitespace_after=opening)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
