"""Running a feature's tests with pytest in a subprocess: time limit, counts, coverage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..repository._config import PromoteConfig
from ..repository._repo import Repo

__all__ = ["TestRun", "run_tests", "subprocess_env"]

_HEARTBEAT = 15.0  # seconds between "still running" lines

#: Given after the configured options, an empty keyword expression wins over a ``-k`` in the
#: repository's ``addopts`` (TRL's ``-k "not experimental"`` deselects every test under
#: tests/experimental/): pytest's ``deselect_by_keyword`` returns at once on an empty one.
#: The tests named here are the feature's own, so none may be filtered away.
_RUN_ALL = ("-k", "")


@dataclass
class TestRun:
    """The outcome of one pytest run.

    Attributes:
        passed, failed, errors, skipped: counts from pytest's JUnit report.
        timed_out: the run passed the time limit and was killed.
        duration: seconds.
        returncode: pytest's exit status (None when killed).
        coverage: percent of lines covered, when measured.
        file_coverage: percent per measured file.
        tail: the end of pytest's output, for the reason of a failure.
        failures: each failed or erroring test: its pytest node id, ``failure`` or
            ``error``, and the first line of pytest's message.
    """

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    timed_out: bool = False
    duration: float = 0.0
    returncode: int | None = None
    coverage: float | None = None
    file_coverage: dict[str, float] = field(default_factory=dict)
    tail: str = ""
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    def no_tests_reason(self) -> str | None:
        """``no test collected: pytest exited with status N (its last line)`` when the run
        collected nothing, else None: a run of zero tests proves nothing, and says so."""
        if self.total or self.timed_out:
            return None
        last = self.tail.splitlines()[-1].strip() if self.tail.strip() else ""
        return (f"no test collected: pytest exited with status {self.returncode}"
                + (f" ({last})" if last else ""))

    def counts(self) -> str:
        text = f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"
        return text + (f", {self.errors} errors" if self.errors else "")

    def to_dict(self) -> dict:
        return {"passed": self.passed, "failed": self.failed, "errors": self.errors,
                "skipped": self.skipped, "timed_out": self.timed_out,
                "duration": round(self.duration, 2), "returncode": self.returncode,
                "coverage": self.coverage, "failures": list(self.failures)}

    def failing_lines(self, limit: int = 10) -> list[str]:
        """One line per failed test (the first ``limit``), for a person to read."""
        lines = [f"  {f['kind']}: {f['test']}" + (f" - {f['message']}" if f["message"] else "")
                 for f in self.failures[:limit]]
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more")
        return lines


def subprocess_env(repo: Repo, config: PromoteConfig) -> dict[str, str]:
    """The environment for tests and examples: the repository's folders first on the path."""
    env = dict(os.environ)
    folders = [str(repo.root / p) for p in config.python_path if (repo.root / p).is_dir()]
    if not folders:
        folders = [str(repo.root)]
    if env.get("PYTHONPATH"):
        folders.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(folders)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.pop("FLEDGE_PROMOTE_CRASH_AFTER", None)
    return env


def run_tests(
    repo: Repo,
    config: PromoteConfig,
    tests: list[str],
    *,
    cover: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> TestRun:
    """Run pytest on ``tests`` (paths relative to the repository), in its root.

    The tests named run even when the repository's pytest ``addopts`` deselect them by
    keyword (see ``_RUN_ALL``).

    Args:
        cover: a folder to measure line coverage of (with ``coverage run``), or None.
        progress: gets a line every few seconds while the tests run.
    """
    with tempfile.TemporaryDirectory(prefix="promote-tests-") as tmp:
        junit = Path(tmp) / "junit.xml"
        pytest_args = ["-m", "pytest", *tests, "-q", "-p", "no:cacheprovider",
                       f"--junitxml={junit}", "-o", "junit_family=xunit2", *_RUN_ALL]
        data = Path(tmp) / ".coverage"
        if cover:
            command = [sys.executable, "-m", "coverage", "run", f"--data-file={data}",
                       f"--source={repo.root / cover}", *pytest_args]
        else:
            command = [sys.executable, *pytest_args]
        run = TestRun()
        start = time.monotonic()
        log = Path(tmp) / "output.txt"
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=repo.root, stdout=out,
                                       stderr=subprocess.STDOUT, env=subprocess_env(repo, config),
                                       start_new_session=True)
            next_beat = start + _HEARTBEAT
            while process.poll() is None:
                now = time.monotonic()
                if now - start > config.tests_timeout:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    run.timed_out = True
                    break
                if now >= next_beat:
                    progress(f"  ... tests still running ({now - start:.0f} s)")
                    next_beat = now + _HEARTBEAT
                time.sleep(0.2)
        run.duration = time.monotonic() - start
        run.returncode = None if run.timed_out else process.returncode
        output = log.read_text(encoding="utf-8", errors="replace")
        run.tail = "\n".join(output.strip().splitlines()[-15:])
        _read_junit(junit, run)
        if cover and data.exists():
            _read_coverage(repo, config, data, Path(tmp) / "coverage.json", run)
    return run


def _read_junit(path: Path, run: TestRun) -> None:
    if not path.exists():
        return
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failures = int(suite.get("failures", 0))
        errors = int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        run.failed += failures
        run.errors += errors
        run.skipped += skipped
        run.passed += tests - failures - errors - skipped
        run.failures += [failure for case in suite.iter("testcase")
                         if (failure := _failure_of(case)) is not None]


def _failure_of(case: ET.Element) -> dict[str, str] | None:
    """A JUnit ``testcase`` that failed or erred, as node id, kind and first message line."""
    for kind in ("failure", "error"):
        node = case.find(kind)
        if node is None:
            continue
        module = case.get("classname", "")
        # xunit2 names a test "pkg.mod.Class" + name; pytest's id is "pkg/mod.py::Class::name"
        path, classes = _split_classname(module)
        test = "::".join(p for p in (path, *classes, case.get("name", "")) if p)
        message = (node.get("message") or node.text or "").strip().splitlines()
        return {"test": test, "kind": kind, "message": message[0][:200] if message else ""}
    return None


def _split_classname(classname: str) -> tuple[str, list[str]]:
    """``tests.x.test_y.TestZ`` -> (``tests/x/test_y.py``, [``TestZ``]): the module's path
    is the dotted prefix up to the last part that starts with ``test``."""
    parts = classname.split(".")
    cut = max((i for i, p in enumerate(parts) if p.startswith("test")), default=len(parts) - 1)
    return "/".join(parts[: cut + 1]) + ".py", parts[cut + 1:]


def _read_coverage(repo: Repo, config: PromoteConfig, data: Path, out: Path, run: TestRun) -> None:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out),
         "--quiet"], cwd=repo.root, capture_output=True, text=True,
        env=subprocess_env(repo, config))
    if done.returncode != 0 or not out.exists():
        return
    report = json.loads(out.read_text(encoding="utf-8"))
    run.coverage = round(report["totals"]["percent_covered"], 1)
    for name, entry in report.get("files", {}).items():
        path = Path(name)
        rel = path.relative_to(repo.root) if path.is_absolute() else path
        run.file_coverage[rel.as_posix()] = round(entry["summary"]["percent_covered"], 1)
