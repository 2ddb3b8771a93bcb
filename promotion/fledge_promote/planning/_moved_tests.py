"""The tests a move takes along.

Where a demoted feature's tests are and where they go: from ``stable_tests`` to the
experimental tests (``experimental_tests``'s first template; one with a wildcard, TRL's
``tests/experimental/test_{name}*.py``, names the folder, and each test keeps its name).

What a stage change makes false in moved tests, for promote and demote alike: a feature's
tests assert its stage and the notice its import gives (or that it gives none). The stage
assertions are rewritten; each expectation no rewrite can state for certain is listed in
the plan's notes, shown before ``--apply``.
"""

from __future__ import annotations

import posixpath
import re

from .._errors import PlanError
from ..repository._config import PromoteConfig
from ..repository._repo import Repo
from . import codemods as cm
from ._plan import Plan

__all__ = ["moved_test_roots", "rewrite_stage_expectations", "stable_tests", "tests_moving"]

_WILDCARD = re.compile(r"[*?\[]")


def stable_tests(repo: Repo, config: PromoteConfig, name: str) -> list[str]:
    """The stable tests of ``name``: where a promotion would have put its experimental ones."""
    found = []
    for pattern in config.experimental_tests:
        candidate = f"{config.stable_tests}/{posixpath.basename(pattern.format(name=name))}"
        found += [p for p in repo.glob(candidate)]
    return sorted(dict.fromkeys(found))


def tests_moving(repo: Repo, config: PromoteConfig, name: str, tests: list[str]
               ) -> list[tuple[str, str]]:
    """Where each of ``tests`` goes: the first ``experimental_tests`` template.

    Raises:
        PlanError: a destination exists.
    """
    template = config.experimental_tests[0].format(name=name) if config.experimental_tests \
        else None
    if template is None:
        return []
    moves = []
    for test in tests:
        # a template with a wildcard says where tests are found: a test keeps its own name
        dest = template if len(tests) == 1 and not _WILDCARD.search(template) else \
            posixpath.join(posixpath.dirname(template), posixpath.basename(test))
        files = repo.files_under(test) if not test.endswith(".py") else [test]
        moves += [(p, dest + p[len(test):]) for p in files if "/__pycache__/" not in p]
    taken = [f"cannot move {old} onto {new}: it exists" for old, new in moves
             if repo.exists(new)]
    if taken:
        raise PlanError(taken)
    return moves


def moved_test_roots(moves: list[tuple[str, str]], tests: list[str]) -> list[tuple[str, str]]:
    """Each moved test file or folder of ``tests`` and where it goes: the moves of whole
    tests, for links and the manifest (never their parent folder: ``tests/`` stays)."""
    out: dict[str, str] = {}
    for old, new in moves:
        root = next((t for t in tests if old == t or old.startswith(t.rstrip("/") + "/")), None)
        if root is not None:
            out.setdefault(root, new[:len(new) - (len(old) - len(root))])
    return list(out.items())


# -- what the stage change makes false -----------------------------------------------------


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
