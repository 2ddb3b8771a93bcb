"""``RewriteStageExpectationsCommand``: what a moved test asserts of the feature's stage.

A feature's tests often assert its stage (``assert record.feature.stage is
fledge.Stage.EXPERIMENTAL``) and the notice its import gives (``pytest.warns(
fledge.ExperimentalWarning)``), or that it gives none (``warnings.simplefilter("error")``);
once the feature changes stage these are false.
"""

from __future__ import annotations

import libcst as cst

from ._helpers import PromoteCommand, dotted_name, dotted_node

__all__ = ["RewriteStageExpectationsCommand"]

_STAGES = ("EXPERIMENTAL", "STABLE", "DEPRECATED")
_WARNING_STAGES = ("EXPERIMENTAL", "DEPRECATED")  # a stable path warns nothing
#: Calls whose first argument ``"error..."`` turns every warning into a failure.
_NOTICE_BASES = ("Warning", "UserWarning")  # what an experimental notice is an instance of
_NOTICE_ENDINGS = ("ExperimentalWarning", "FledgeWarning")  # TRLExperimentalWarning too
_ERROR_FILTERS = ("warnings.simplefilter", "simplefilter", "warnings.filterwarnings",
                  "filterwarnings", "pytest.mark.filterwarnings", "mark.filterwarnings")


class RewriteStageExpectationsCommand(PromoteCommand):
    """Rewrites a stage change's consequences in a moved test file.

    * ``Stage.<OLD>`` compared in an ``assert`` (``is``, ``==``, ``!=``, ``is not``,
      ``in``) becomes ``Stage.<NEW>``; a ``Stage.<OLD>`` used anywhere else (a table of
      stages, a parametrisation) is left as it is, since it holds at any stage;
    * the warning class a ``pytest.warns(...)`` expects becomes the new stage's
      (``old_warnings`` -> ``new_warning``). When the new stage gives no warning
      (``new_warning`` None: a stable path), no rewrite states "warns nothing" for certain,
      so the call is left and listed in :attr:`unrewritable`;
    * when the old stage warns nothing and the new one does (``stable`` -> ``experimental``),
      what makes any warning fail the test (``warnings.simplefilter("error")``,
      ``warnings.filterwarnings("error", ...)``, ``@pytest.mark.filterwarnings("error")``,
      ``pytest.warns(None)``) now meets the new stage's notice. Which of its statements
      imports the feature is not known from the syntax, so each is listed in
      :attr:`expects_no_warning`, not rewritten.

    Args:
        old_stage: the feature's stage before (``experimental``).
        new_stage: its stage after (``stable``).
        old_warnings: how the names of the old stage's warning classes end (the last part
            of a dotted name is compared: ``ExperimentalWarning`` also matches TRL's
            ``TRLExperimentalWarning``).
        new_warning: the dotted name of the new stage's warning class, or None.

    Attributes:
        unrewritable: the source of each expectation that could not be rewritten.
        expects_no_warning: the source of each place that fails on any warning, when the
            new stage warns and the old one did not.
    """

    def __init__(self, old_stage: str, new_stage: str, old_warnings: tuple[str, ...],
                 new_warning: str | None) -> None:
        super().__init__()
        self.old = old_stage.upper()
        self.new = new_stage.upper()
        if self.old not in _STAGES or self.new not in _STAGES:
            raise ValueError(f"stages must be among {', '.join(_STAGES).lower()}; "
                             f"got {old_stage!r} -> {new_stage!r}")
        self.old_warnings = set(old_warnings)
        self.new_warning = new_warning
        self.unrewritable: list[str] = []
        self.expects_no_warning: list[str] = []
        self._starts_warning = self.old not in _WARNING_STAGES and self.new in _WARNING_STAGES
        self._in_assert = 0

    # -- stage assertions --------------------------------------------------------------------

    def visit_Assert(self, node: cst.Assert) -> None:
        self._in_assert += 1

    def leave_Assert(self, original: cst.Assert, updated: cst.Assert) -> cst.Assert:
        self._in_assert -= 1
        return updated

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison
                         ) -> cst.Comparison:
        if not self._in_assert:
            return updated
        left = self._restage(updated.left)
        targets = [t.with_changes(comparator=self._restage(t.comparator))
                   for t in updated.comparisons]
        return updated.with_changes(left=left, comparisons=targets)

    def _restage(self, node: cst.BaseExpression) -> cst.BaseExpression:
        name = dotted_name(node)
        if name is None or not (name == f"Stage.{self.old}"
                                or name.endswith(f".Stage.{self.old}")):
            return node
        return dotted_node(name[: -len(self.old)] + self.new).with_changes(
            lpar=getattr(node, "lpar", ()), rpar=getattr(node, "rpar", ()))

    # -- the expected warning ----------------------------------------------------------------

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self._starts_warning and _fails_on_any_warning(updated):
            self.expects_no_warning.append(cst.Module([]).code_for_node(original))
            return updated
        if dotted_name(updated.func) not in ("pytest.warns", "warns") or not updated.args:
            return updated
        first = updated.args[0]
        if first.keyword is not None and first.keyword.value != "expected_warning":
            return updated
        name = dotted_name(first.value) or ""
        if not name.rpartition(".")[2].endswith(tuple(self.old_warnings)):
            return updated
        if self.new_warning is None:
            self.unrewritable.append(cst.Module([]).code_for_node(original))
            return updated
        args = [first.with_changes(value=dotted_node(self.new_warning)), *updated.args[1:]]
        return updated.with_changes(args=args)


def _fails_on_any_warning(call: cst.Call) -> bool:
    """``simplefilter("error")``, ``filterwarnings("error", ...)`` (warnings' or pytest's
    mark) for every category or one the notice is (``UserWarning``, ``Warning``,
    ``...ExperimentalWarning``), or ``pytest.warns(None)``."""
    func = dotted_name(call.func)
    if not call.args:
        return False
    first = call.args[0].value
    if func in ("pytest.warns", "warns"):
        return isinstance(first, cst.Name) and first.value == "None"
    if func not in _ERROR_FILTERS or not isinstance(first, cst.SimpleString):
        return False
    action = first.evaluated_value
    if not isinstance(action, str) or not action.startswith("error"):
        return False
    if func.endswith("mark.filterwarnings"):  # "error::UserWarning"
        category = action.split(":")[2].strip() if action.count(":") >= 2 else ""
    else:  # simplefilter(action, category), filterwarnings(action, message, category)
        position = 1 if func.endswith("simplefilter") else 2
        given = [a.value for i, a in enumerate(call.args) if (a.keyword is None and i == position)
                 or (a.keyword is not None and a.keyword.value == "category")]
        category = dotted_name(given[0]) or "?" if given else ""
    last = category.rpartition(".")[2]
    return not category or last in _NOTICE_BASES or last.endswith(_NOTICE_ENDINGS)
