"""``RewriteImportsCommand``: point every import of a moved module at its new path."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .._paths import DottedMap, relative_from, resolve_relative
from ._helpers import PromoteCommand, dotted_name, dotted_node

__all__ = ["RewriteImportsCommand", "express_import"]


def express_import(module: str, is_package: bool, target: str) -> tuple[int, str | None]:
    """How ``module`` should import ``target``: relatively inside one top-level package
    (``(level, rest)``), else absolutely (``(0, target)``)."""
    relative = relative_from(module, is_package, target)
    if relative is None:
        return 0, target
    level, rest = relative
    return level, rest or None


def _from_parts(level: int, module: str | None) -> dict:
    return {
        "relative": [cst.Dot() for _ in range(level)],
        "module": dotted_node(module) if module else None,
    }


class RewriteImportsCommand(PromoteCommand):
    """Rewrites imports (absolute, relative, ``import a.b as c``, ``from a import b``), dotted
    attribute chains such as ``pkg.experimental.x.Name``, and the keys of an ``__init__``'s
    lazy ``_import_structure`` dictionary, for every module that moved.

    Args:
        mapping: old dotted prefix to new dotted prefix.
        module: the dotted name of the file being rewritten (None outside any package).
        is_package: whether the file is a package's ``__init__.py``.
    """

    def __init__(self, mapping: DottedMap, module: str | None,
                 is_package: bool = False) -> None:
        super().__init__()
        self.mapping = mapping
        self.module_name = module
        self.is_package = is_package
        self._in_import = 0
        self._extra: dict[int, list[cst.ImportFrom]] = {}

    # -- import statements -------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        self._in_import -= 1
        names = []
        for alias in updated.names:
            old = dotted_name(alias.name)
            new = self.mapping.map(old) if old else None
            names.append(alias.with_changes(name=dotted_node(new)) if new else alias)
        return updated.with_changes(names=names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        self._in_import -= 1
        level = len(updated.relative)
        written = dotted_name(updated.module) if updated.module else None
        if level:
            if self.module_name is None:
                return updated
            base = resolve_relative(self.module_name, self.is_package, level, written)
        else:
            base = written
        if base is None:
            return updated
        new_base = self.mapping.map(base)
        if new_base is not None:
            if level:
                new_level, new_module = express_import(self.module_name, self.is_package, new_base)
            else:
                new_level, new_module = 0, new_base
            return updated.with_changes(**_from_parts(new_level, new_module))
        if isinstance(updated.names, cst.ImportStar):
            return updated
        return self._split_submodules(updated, base, level)

    def _split_submodules(self, node: cst.ImportFrom, base: str, level: int) -> cst.ImportFrom:
        """``from pkg import moved, other``: move ``moved`` to an import of its new parent."""
        keep: list[cst.ImportAlias] = []
        moved: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:  # type: ignore[union-attr]
            name = dotted_name(alias.name) or ""
            new = self.mapping.map(f"{base}.{name}")
            if new is None or "." not in new:
                keep.append(alias)
                continue
            parent, _, leaf = new.rpartition(".")
            asname = alias.asname
            if asname is None and leaf != name:
                asname = cst.AsName(name=cst.Name(name))
            moved.setdefault(parent, []).append(
                alias.with_changes(name=cst.Name(leaf), asname=asname))
        if not moved:
            return node
        if not keep and len(moved) == 1:  # one new parent: keep the statement's layout
            parent, aliases = next(iter(moved.items()))
            if level and self.module_name is not None:
                new_level, new_module = express_import(self.module_name, self.is_package, parent)
            else:
                new_level, new_module = 0, parent
            return node.with_changes(names=aliases, **_from_parts(new_level, new_module))
        statements = []
        for parent, aliases in moved.items():
            if level and self.module_name is not None:
                new_level, new_module = express_import(self.module_name, self.is_package, parent)
            else:
                new_level, new_module = 0, parent
            statements.append(cst.ImportFrom(**_laid_out(aliases, node),
                                             **_from_parts(new_level, new_module)))
        if not keep:
            first, rest = statements[0], statements[1:]
            if rest:
                self._extra[id(first)] = rest
            return first
        updated = node.with_changes(**_laid_out(keep, node))
        self._extra[id(updated)] = statements
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        extra = [s for stmt in updated.body for s in self._extra.pop(id(stmt), [])]
        if not extra:
            return updated
        return cst.FlattenSentinel(
            [updated, *(cst.SimpleStatementLine(body=[stmt]) for stmt in extra)])

    # -- dotted chains and lazy import structures --------------------------------------------

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute
                        ) -> cst.BaseExpression:
        if self._in_import:
            return updated
        old = dotted_name(updated)
        new = self.mapping.map(old) if old else None
        if new is None:
            return updated
        return dotted_node(new).with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        is_structure = any(
            isinstance(t.target, cst.Name) and t.target.value == "_import_structure"
            for t in updated.targets
        )
        if not (is_structure and self.is_package and isinstance(updated.value, cst.Dict)):
            return updated
        elements = []
        for element in updated.value.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                new_key = self._structure_key(element.key)
                if new_key is not None:
                    element = element.with_changes(key=new_key)
            elements.append(element)
        return updated.with_changes(value=updated.value.with_changes(elements=elements))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.Subscript:
        if not (self.is_package and dotted_name(updated.value) == "_import_structure"):
            return updated
        if len(updated.slice) != 1:
            return updated
        index = updated.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            new_key = self._structure_key(index.value)
            if new_key is not None:
                return updated.with_changes(
                    slice=[updated.slice[0].with_changes(slice=index.with_changes(value=new_key))])
        return updated

    def _structure_key(self, key: cst.SimpleString) -> cst.SimpleString | None:
        value = key.evaluated_value
        if not isinstance(value, str) or self.module_name is None:
            return None
        new = self.mapping.map(f"{self.module_name}.{value}")
        if new is None or not new.startswith(self.module_name + "."):
            return None
        return key.with_changes(value=f"{key.quote}{new[len(self.module_name) + 1:]}{key.quote}")


def _laid_out(aliases: Sequence[cst.ImportAlias], like: cst.ImportFrom) -> dict:
    """``names``, ``lpar`` and ``rpar`` for an import of ``aliases`` written as ``like`` is.

    In parentheses (one name a line, say) each alias keeps its comma, newline and comment,
    and the last one takes the comma ``like``'s last name had: a trailing comma before the
    closing parenthesis stays. Without parentheses every comma is a plain ``, `` (a comma
    that held a line break would not compile there) and none trails.
    """
    out = []
    for i, alias in enumerate(aliases):
        last = i == len(aliases) - 1
        if like.lpar:
            comma = _closing(alias.comma, like.names[-1].comma) if last else alias.comma  # type: ignore[index]
            if not last and not isinstance(comma, cst.Comma):
                comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        elif last:
            comma = cst.MaybeSentinel.DEFAULT
        else:
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        out.append(alias.with_changes(comma=comma))
    return {"names": out, "lpar": like.lpar, "rpar": like.rpar}


def _closing(own: cst.Comma | cst.MaybeSentinel, last: cst.Comma | cst.MaybeSentinel
             ) -> cst.Comma | cst.MaybeSentinel:
    """The comma of an alias that becomes the last one: the old last alias's (trailing or
    none), keeping the alias's own end-of-line comment."""
    own_ws = own.whitespace_after if isinstance(own, cst.Comma) else None
    last_ws = last.whitespace_after if isinstance(last, cst.Comma) else None
    if not (isinstance(own_ws, cst.ParenthesizedWhitespace) and own_ws.first_line.comment):
        return last
    if isinstance(last_ws, cst.ParenthesizedWhitespace):
        return last.with_changes(whitespace_after=last_ws.with_changes(  # type: ignore[union-attr]
            first_line=own_ws.first_line))
    return own
