"""The exceptions of the promote tool: one root, each keeping its culprit as attributes.

May import: nothing of fledge_promote.
"""

from __future__ import annotations

from fledge import FledgeError

__all__ = [
    "ApplyError",
    "ConfigError",
    "JournalError",
    "PlanError",
    "PromoteError",
    "RefusedError",
    "UsageError",
]


class PromoteError(FledgeError):
    """Root of every exception the promote tool raises on purpose."""


class ConfigError(PromoteError):
    """A ``[tool.fledge.promote]`` key is missing, of the wrong type, or points nowhere.

    Attributes:
        key: the configuration key at fault (``experimental_package``, ...).
        file: the file the key was read from (or should be added to).
        expected: the rule the value had to follow, in words.
        got: the offending value, or None when the key was missing.
    """

    def __init__(self, key: str, file: str, expected: str, got: object = None) -> None:
        self.key = key
        self.file = file
        self.expected = expected
        self.got = got
        got_text = "" if got is None else f"; got {got!r}"
        super().__init__(f"{file}: [tool.fledge.promote] key {key!r} {expected}{got_text}")


class UsageError(PromoteError):
    """The command line asked for something impossible (unknown feature, bad version)."""


class PlanError(PromoteError):
    """The move cannot be planned safely (a clash, a path outside the repository, ...).

    Attributes:
        problems: every reason found, one sentence each.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("cannot plan the change: " + "; ".join(self.problems))


class RefusedError(PromoteError):
    """``--apply`` refused to start: dirty tree, failed checks, or a leftover journal."""


class ApplyError(PromoteError):
    """Applying failed midway; the tree was restored to its state before the run.

    Attributes:
        restored: whether the rollback itself succeeded.
    """

    def __init__(self, message: str, *, restored: bool) -> None:
        self.restored = restored
        super().__init__(message)


class JournalError(PromoteError):
    """The journal of an interrupted run cannot be trusted: corrupt, of another format, or
    naming a path outside the repository. Nothing was changed; the journal is kept."""
