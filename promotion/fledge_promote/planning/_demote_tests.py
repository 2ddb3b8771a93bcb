"""Where a demoted feature's tests are and where they go: from ``stable_tests`` to the
experimental tests (``experimental_tests``'s first template; one with a wildcard, TRL's
``tests/experimental/test_{name}*.py``, names the folder, and each test keeps its name)."""

from __future__ import annotations

import posixpath
import re

from .._errors import PlanError
from ..repository._config import PromoteConfig
from ..repository._repo import Repo

__all__ = ["moved_test_roots", "stable_tests", "tests_moving"]

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
