"""PromoteCommand, the base of promote's codemods: it calls the handlers a command defines,
inherited ones included, and nothing else."""

import libcst as cst
import pytest
from codemod_helpers import transform

from fledge_promote.planning.codemods._helpers import PromoteCommand


class RenameNames(PromoteCommand):
    """Renames every ``old`` name to ``new`` and counts the calls it visits."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def visit_Call(self, node):
        self.calls += 1

    def leave_Name(self, original_node, updated_node):
        if updated_node.value != "old":
            return updated_node
        return updated_node.with_changes(value="new")


class SkipsClasses(RenameNames):
    """Inherits the handlers above; does not look inside classes."""

    def visit_ClassDef(self, node):
        return False


def test_defined_handlers_run_and_a_false_visit_skips_the_children():
    source = "old(1)\nclass C:\n    x = old(old)\n"
    command = RenameNames()
    assert transform(source, command) == "new(1)\nclass C:\n    x = new(new)\n"
    assert command.calls == 2
    skipping = SkipsClasses()
    # visit_ClassDef returning False skips every child of the class: its calls and names
    assert transform(source, skipping) == "new(1)\nclass C:\n    x = old(old)\n"
    assert skipping.calls == 1


def test_an_attribute_handler_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match=r"visit_Call_func.*handle the node instead"):
        class _Bad(PromoteCommand):  # noqa: F841 - the class statement is the test
            def visit_Call_func(self, node: cst.Call) -> None:
                pass
