"""What a stage change makes false in the moved tests: shared by promote and demote.

A feature's tests assert its stage and the notice its import gives (or that it gives none).
Promote (experimental -> stable) and demote (stable -> experimental) rewrite the stage
assertions and list, in the plan's notes shown before ``--apply``, each expectation no
rewrite can state for certain.
"""

from __future__ import annotations

from ..repository._repo import Repo
from . import codemods as cm
from ._plan import Plan

__all__ = ["rewrite_stage_expectations"]


def rewrite_stage_expectations(repo: Repo, plan: Plan, test_moves: list[tuple[str, str]],
                               old: str, new: str) -> None:
    """Rewrite the stage assertions of the moved tests into ``plan``; each place that
    cannot be rewritten (an expected notice the new path no longer gives, a test that fails
    on any warning where the new path gives one) is a note."""
    for old_path, path in test_moves:
        text = plan.writes.get(path) or repo.read(old_path)
        if not path.endswith(".py") or text is None or not (
                "Stage." in text or "Warning" in text or "warn" in text):
            continue
        old_notices = ("ExperimentalWarning",) if old == "experimental" else ()
        command = cm.RewriteStageExpectationsCommand(old, new, old_notices, None)
        result = cm.run_commands(path, text, [command])
        if result.status == "failed":
            plan.failures.append(f"{path}: {result.reason.strip().splitlines()[-1]}")
            continue
        if result.status == "changed":
            plan.writes[path] = result.code or ""
        lines = (result.code or text).splitlines()
        for call in command.unrewritable:
            plan.notes.append(
                f"{_place(path, lines, call)}: `{call.splitlines()[0]}` expects the {old} "
                f"notice, which the {new} path no longer gives; assert the warning of the "
                "feature's stage instead (read it from the registry), or remove the "
                "expectation")
        for call in command.expects_no_warning:
            plan.notes.append(
                f"{_place(path, lines, call)}: `{call.splitlines()[0]}` fails the test on any "
                f"warning, and the {new} path now gives the {new} notice (ExperimentalWarning "
                "or the host's class); expect it with pytest.warns, or silence it there")


def _place(path: str, lines: list[str], call: str) -> str:
    """``path:line`` of the first line of ``call`` (``path:0`` when not found)."""
    first = call.splitlines()[0]
    line = next((i for i, t in enumerate(lines, 1) if first in t), 0)
    return f"{path}:{line}"
