"""Test results recorded by an earlier pytest run: ``promote check --junit FILE
--coverage-data FILE`` reads them instead of running the feature's tests again.

The JUnit XML (``pytest --junitxml``) gives ``tests-pass`` its counts: the test cases whose
file (``file`` attribute, or the ``classname`` pytest derives from the path) lies under the
feature's test paths. The coverage data file gives ``coverage`` its percentages, for the
feature's package files, as a fresh ``coverage run --source=<package>`` would: a file
that never ran counts as 0%. When the data holds per-test contexts (the
``fledge_promote._pytest_coverage`` plugin records each test's node id; coverage's
``dynamic_context = "test_function"`` records dotted names), only the lines run by the
feature's own tests, or at import time, count, so coverage means what a fresh run means.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import UsageError
from ._protocol import CheckContext, CheckResult, failed, passed
from ._testrun import TestRun

__all__ = ["RecordedRun"]


@dataclass
class _Case:
    file: str | None
    classname: str
    name: str
    outcome: str  # passed, failed, errors, skipped
    time: float
    message: str = ""


@dataclass
class RecordedRun:
    """The results of one earlier test run, shared by every feature's checks.

    Attributes:
        junit: the JUnit XML file.
        coverage_data: the coverage data file.
    """

    junit: Path
    coverage_data: Path
    _cases: list[_Case] = field(default_factory=list)

    @classmethod
    def open(cls, junit: str, coverage_data: str) -> RecordedRun:
        """Read the JUnit file now (it is small); the coverage data is read per feature.

        Relative paths are taken from the current folder.

        Raises:
            UsageError: a file is missing or is not what it should be.
        """
        paths = []
        for flag, value in (("--junit", junit), ("--coverage-data", coverage_data)):
            path = Path(value)
            path = path if path.is_absolute() else Path.cwd() / path
            if not path.is_file():
                raise UsageError(f"{flag} {value}: no such file; run pytest with "
                                 "--junitxml=FILE and -p fledge_promote._pytest_coverage "
                                 "--promote-coverage=FILE first (see docs/promote.md)")
            paths.append(path)
        run = cls(*paths)
        try:
            tree = ET.parse(run.junit).getroot()
        except ET.ParseError as exc:
            raise UsageError(f"--junit {junit}: not JUnit XML ({exc})") from None
        for case in tree.iter("testcase"):
            children = {child.tag for child in case}
            outcome = ("errors" if "error" in children else "failed" if "failure" in children
                       else "skipped" if "skipped" in children else "passed")
            problem = next((c for c in case if c.tag in ("failure", "error")), None)
            message = "" if problem is None else (problem.get("message") or "").strip()
            run._cases.append(_Case(case.get("file"), case.get("classname", ""),
                                    case.get("name", ""), outcome,
                                    float(case.get("time") or 0), message.splitlines()[0]
                                    if message else ""))
        return run

    def run_for(self, context: CheckContext) -> TestRun:
        """The feature's tests' results, as a fresh :func:`run_tests` would report them."""
        tests = context.feature.tests
        run = TestRun(returncode=0)
        for case in self._cases:
            if _belongs(case, tests):
                setattr(run, case.outcome, getattr(run, case.outcome) + 1)
                run.duration += case.time
        if run.total == 0:
            run.returncode = 5  # pytest's "no tests collected"
            run.tail = (f"no test case in {self.junit.name} is under "
                        f"{', '.join(tests) or '(no test paths)'}")
        elif run.failed or run.errors:
            run.returncode = 1
            run.tail = f"(recorded in {self.junit}; see that run's output)"
        self._coverage(context, run)
        return run

    def docs_examples(self, context: CheckContext, page: str, runnable: int
                      ) -> CheckResult | None:
        """``docs-examples`` from the recorded test named by ``docs_examples_test``.

        Returns:
            The check's result, or None when no such test was recorded (the examples run).
        """
        template = context.config.docs_examples_test
        if not template:
            return None
        docs_dir = context.config.docs_dir.rstrip("/") + "/"
        relative = page[len(docs_dir):] if page.startswith(docs_dir) else page
        nodeid = template.format(page=relative)
        path, _, rest = nodeid.partition("::")
        *classes, name = rest.split("::") if rest else [""]
        dotted = ".".join([path.removesuffix(".py").replace("/", "."), *classes])
        case = next((c for c in self._cases if c.name == name and (
            c.classname == dotted or (c.file == path and c.classname.endswith(
                ".".join(classes))))), None)
        if case is None:
            return None
        where = f"recorded in {self.junit.name}: {nodeid}"
        if case.outcome == "passed":
            return passed("docs-examples", f"{runnable} example(s) ran ({where})", file=page)
        if case.outcome == "skipped":
            return None  # the recorded run proved nothing: run them here
        return failed("docs-examples", f"the examples failed ({where}): "
                      f"{case.message or case.outcome}",
                      "fix the example, or put <!-- fledge: skip-run (reason) --> on the line "
                      "before its fence if it cannot run offline", file=page)

    def _coverage(self, context: CheckContext, run: TestRun) -> None:
        import coverage

        repo, info = context.repo, context.feature
        cov = coverage.Coverage(data_file=str(self.coverage_data), config_file=False)
        cov.load()
        data = cov.get_data()
        if set(data.measured_contexts()) - {""}:
            data.set_query_contexts(_context_patterns(info.tests))
        covered = statements = 0
        for rel in repo.files_under(info.package_dir):
            if not rel.endswith(".py"):
                continue
            try:
                _, lines, _, missing, _ = cov.analysis2(str(repo.root / rel))
            except coverage.CoverageException:
                continue  # not Python coverage can read: a fresh run would skip it too
            statements += len(lines)
            covered += len(lines) - len(missing)
            run.file_coverage[rel] = (round(100.0 * (len(lines) - len(missing)) / len(lines), 1)
                                      if lines else 100.0)
        run.coverage = round(100.0 * covered / statements, 1) if statements else 100.0


def _belongs(case: _Case, tests: list[str]) -> bool:
    for path in tests:
        path = path.rstrip("/")
        if case.file is not None:
            if case.file == path or case.file.startswith(path + "/"):
                return True
            continue
        dotted = path.removesuffix(".py").replace("/", ".")
        if case.classname == dotted or case.classname.startswith(dotted + "."):
            return True
    return False


def _context_patterns(tests: list[str]) -> list[str]:
    """Contexts of the feature's tests: node ids (``path::test``) or dotted names, and the
    empty context of import time."""
    patterns = ["^$"]
    for path in tests:
        path = path.rstrip("/")
        dotted = re.escape(path.removesuffix(".py").replace("/", "."))
        if path.endswith(".py"):
            patterns += [f"^{re.escape(path)}::", f"^{dotted}\\."]
        else:
            patterns += [f"^{re.escape(path)}/", f"^{dotted}\\."]
    return patterns
