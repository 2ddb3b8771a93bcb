"""Readiness checks: the protocol a check follows, its result, and the runner that keeps one
crashing check from stopping the others.

Detection lives here and in the check modules; how results are shown is :mod:`._output`'s
business.
"""

from __future__ import annotations

import enum
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from .._errors import ConfigError
from ..repository._config import PromoteConfig
from ..repository._features import FeatureInfo
from ..repository._repo import Repo

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "FeatureReport",
    "Verdict",
    "run_checks",
]


class Verdict(str, enum.Enum):
    """What a check concluded."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"  # the check itself crashed: the feature is not ready, CI still goes on

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one feature.

    Attributes:
        check: the check's name.
        verdict: pass, fail, skip or error.
        reason: one line saying what was found.
        fix: what to do about it (empty when it passed).
        file: the file the result is about, relative to the repository (for annotations).
        line: the line in ``file``, when known.
        duration: seconds the check took.
        details: structured data for ``--format json`` (counts, breaking changes, ...).
    """

    check: str
    verdict: Verdict
    reason: str
    fix: str = ""
    file: str | None = None
    line: int | None = None
    duration: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "verdict": self.verdict.value, "reason": self.reason,
            "fix": self.fix, "file": self.file, "line": self.line,
            "duration": round(self.duration, 3), "details": self.details,
        }


def passed(check: str, reason: str, **kw: Any) -> CheckResult:
    return CheckResult(check, Verdict.PASS, reason, **kw)


def failed(check: str, reason: str, fix: str, **kw: Any) -> CheckResult:
    return CheckResult(check, Verdict.FAIL, reason, fix, **kw)


def skipped(check: str, reason: str, **kw: Any) -> CheckResult:
    return CheckResult(check, Verdict.SKIP, reason, **kw)


@dataclass
class CheckContext:
    """What a check gets: the repository, its configuration, the feature, a progress line.

    Attributes:
        repo: the repository.
        config: its ``[tool.fledge.promote]`` configuration.
        feature: the feature under check.
        progress: call with a short line to show progress on long work.
        cache: shared between the checks of one feature (the test run is done once).
    """

    repo: Repo
    config: PromoteConfig
    feature: FeatureInfo
    progress: Callable[[str], None] = lambda line: None
    cache: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Check(Protocol):
    """A readiness check. Plugins return these from the ``fledge_promote_checks`` hook.

    Attributes:
        name: short, unique, kebab-case (``tests-pass``); used in output and ``skip_checks``.
        description: one line saying what it verifies.
    """

    name: str
    description: str

    def run(self, context: CheckContext) -> CheckResult:
        """Check ``context.feature``; return pass, fail (with a fix) or skip, with a reason."""
        ...


@dataclass
class FeatureReport:
    """Every check's result for one feature."""

    feature: str
    results: list[CheckResult]

    @property
    def ready(self) -> bool:
        return all(r.verdict in (Verdict.PASS, Verdict.SKIP) for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "ready": self.ready,
                "results": [r.to_dict() for r in self.results]}


def run_checks(
    context: CheckContext,
    checks: Sequence[Check],
    on_result: Callable[[CheckResult], None] | None = None,
) -> FeatureReport:
    """Run every check on ``context.feature``, each on its own.

    A check that raises, or returns something other than a :class:`CheckResult`, gives an
    ``error`` result naming the exception; the next check runs regardless. A
    :class:`ConfigError` is not the check's fault: it propagates, and ``promote check``
    exits 2 with its message.

    Raises:
        ConfigError: a check found the configuration wrong (a ``nav_file`` that is not
            YAML, an unknown ``docs_format``, ...).
    """
    results = []
    for check in checks:
        context.progress(f"{context.feature.name}: {check.name} ...")
        start = time.perf_counter()
        try:
            result = check.run(context)
            if not isinstance(result, CheckResult):
                raise TypeError(f"run() returned {type(result).__name__}, not a CheckResult")
            result = replace(result, check=check.name)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one crashing check never stops the others
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            at = f" at {where.filename}:{where.lineno}" if where else ""
            result = CheckResult(
                check.name, Verdict.ERROR,
                f"the check crashed: {type(exc).__name__}: {exc}{at}",
                "this is a bug in the check; report it with this message",
            )
        result = replace(result, duration=time.perf_counter() - start)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return FeatureReport(context.feature.name, results)
