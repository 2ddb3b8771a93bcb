"""The built-in readiness checks about the manifest, the tests and the feature's age."""

from __future__ import annotations

import datetime as dt
import re

from ._protocol import CheckContext, CheckResult, failed, passed, skipped
from ._testrun import TestRun, run_tests

__all__ = ["BUILTIN_CHECKS"]

NO_MANIFEST = ("this repository has no fledge manifests (manifests = 'none'); "
               "this check needs one")


class ManifestCheck:
    name = "manifest"
    description = "The manifest is complete and valid for a stable feature."

    def run(self, context: CheckContext) -> CheckResult:
        info = context.feature
        if context.config.manifests == "none":
            return skipped(self.name, NO_MANIFEST)
        where = info.manifest_file
        if info.manifest is None:
            return failed(self.name, f"the manifest cannot be read: {info.manifest_error}",
                          f"fix FEATURE = Feature(...) in {where}", file=where)
        m = info.manifest
        missing = [name for name in ("summary", "owners", "since", "docs", "tests", "exports")
                   if not getattr(m, name)]
        if missing:
            return failed(self.name, f"fields {', '.join(missing)} are empty",
                          f"fill in {', '.join(missing)} in Feature(...) in {where}", file=where)
        problems = []
        if "://" not in (m.docs or "") and not context.repo.exists(m.docs or ""):
            problems.append(f"docs page {m.docs} does not exist")
        problems += [f"tests path {t} does not exist" for t in m.tests
                     if not context.repo.exists(t)]
        if not m.module.startswith(info.package):
            problems.append(f"module {m.module} is outside the feature's package {info.package}")
        if problems:
            return failed(self.name, "; ".join(problems),
                          f"correct the paths in Feature(...) in {where}", file=where)
        return passed(self.name, f"complete (owners: {', '.join(m.owners)}; since {m.since}; "
                                 f"{len(m.exports)} exports)", file=where)


def _test_files(context: CheckContext) -> list[str]:
    files = []
    for path in context.feature.tests:
        files += [f for f in context.repo.files_under(path) if f.endswith(".py")]
    return files


class TestsExistCheck:
    name = "tests-exist"
    description = "Test files exist and exercise every public name."

    def run(self, context: CheckContext) -> CheckResult:
        info = context.feature
        patterns = ", ".join(p.format(name=info.name) for p in context.config.experimental_tests)
        files = _test_files(context)
        tests = [f for f in files if f.rpartition("/")[2].startswith("test_")
                 or f.endswith("_test.py")]
        if not tests:
            return failed(self.name, f"no test files found (looked in {patterns})",
                          f"add tests under {patterns}, or list them in the manifest's tests")
        text = "\n".join(context.repo.read(f) or "" for f in files)
        unused = [n for n in info.exports if not re.search(rf"\b{re.escape(n)}\b", text)]
        if unused:
            return failed(self.name, f"the tests never use {', '.join(unused)}",
                          f"add tests that exercise {', '.join(unused)}", file=tests[0])
        return passed(self.name, f"{len(tests)} test file(s) use every public name "
                                 f"({', '.join(info.exports) or 'none'})", file=tests[0])


def shared_test_run(context: CheckContext) -> TestRun | None:
    """The feature's tests, run once under coverage and shared by two checks."""
    if "tests" not in context.cache and context.cache.get("recorded") is not None:
        context.cache["tests"] = context.cache["recorded"].run_for(context)  # --junit
    if "tests" not in context.cache:
        info = context.feature
        if not info.tests:
            context.cache["tests"] = None
        else:
            context.progress(f"{info.name}: running pytest on {', '.join(info.tests)} "
                             f"(limit {context.config.tests_timeout} s)")
            context.cache["tests"] = run_tests(
                context.repo, context.config, info.tests, cover=info.package_dir,
                progress=context.progress)
    return context.cache["tests"]


class TestsPassCheck:
    name = "tests-pass"
    description = "The feature's tests pass (pytest, in a subprocess, with a time limit)."

    def run(self, context: CheckContext) -> CheckResult:
        run = shared_test_run(context)
        if run is None:
            return failed(self.name, "no tests to run", "add tests (see tests-exist)")
        file = context.feature.tests[0]
        details = run.to_dict()
        if run.timed_out:
            return failed(self.name, f"timed out after {context.config.tests_timeout} s "
                                     f"({run.counts()} by then)",
                          "make the tests faster, or raise tests_timeout", file=file,
                          details=details)
        if run.failed or run.errors:
            return failed(self.name, f"{run.counts()} in {run.duration:.1f} s",
                          "fix the failing tests (run pytest " + " ".join(context.feature.tests)
                          + ")", file=file, details={**details, "output": run.tail})
        if run.total == 0:
            return failed(self.name, run.no_tests_reason() or "no test collected",
                          "check that the test files are collected by pytest", file=file,
                          details={**details, "output": run.tail})
        if run.passed == 0:
            return failed(self.name, f"all {run.skipped} tests were skipped",
                          "make at least some tests run here (skipped tests prove nothing)",
                          file=file, details=details)
        if run.returncode not in (0, None):
            return failed(self.name, f"pytest exited with status {run.returncode}: {run.counts()}",
                          "run the tests by hand and fix what fails", file=file,
                          details={**details, "output": run.tail})
        return passed(self.name, f"{run.counts()} in {run.duration:.1f} s", file=file,
                      details=details)


class CoverageCheck:
    name = "coverage"
    description = "Line coverage of the feature's code by its tests meets the threshold."

    def run(self, context: CheckContext) -> CheckResult:
        run = shared_test_run(context)
        threshold = context.config.coverage_threshold
        if run is None or run.coverage is None:
            return failed(self.name, "no coverage data (the tests did not run)",
                          "add tests that run (see tests-pass)")
        weakest = sorted(run.file_coverage.items(), key=lambda kv: kv[1])[:2]
        detail = ", ".join(f"{p.rpartition('/')[2]} {c:.0f}%" for p, c in weakest)
        details = {"percent": run.coverage, "threshold": threshold, "files": run.file_coverage}
        if run.coverage < threshold:
            return failed(self.name, f"{run.coverage:.1f}% of lines covered, below "
                                     f"{threshold:g}% (least covered: {detail})",
                          "add tests for the least covered code, or lower coverage_threshold",
                          file=weakest[0][0] if weakest else None, details=details)
        return passed(self.name, f"{run.coverage:.1f}% of lines covered (threshold "
                                 f"{threshold:g}%)", details=details)


class MaturityCheck:
    name = "maturity"
    description = "The feature has been experimental for at least min_age_days."

    def run(self, context: CheckContext) -> CheckResult:
        need = context.config.min_age_days
        repo, info = context.repo, context.feature
        if need == 0:
            return passed(self.name, "no minimum age configured (min_age_days = 0)")
        if not repo.is_git:
            return skipped(self.name, "not a git repository: the feature's age is unknown")
        since = None
        if info.manifest is not None:
            for tag in (f"v{info.manifest.since}", info.manifest.since):
                out = repo.git("log", "-1", "--format=%ct", tag, "--", check=False)
                if out and out.strip():
                    since = int(out.strip())
                    break
        if since is None:
            out = repo.git("log", "--format=%ct", "--", info.package_dir, check=False) or ""
            stamps = [int(s) for s in out.split()]
            since = min(stamps) if stamps else None
        if since is None:
            return failed(self.name, "the feature is not committed yet: age 0 days",
                          f"commit it and wait {need} days", file=f"{info.package_dir}/__init__.py")
        start = dt.datetime.fromtimestamp(since, dt.timezone.utc)
        age = (dt.datetime.now(dt.timezone.utc) - start).days
        reason = f"experimental for {age} days (since {start:%Y-%m-%d}); needs {need}"
        if age < need:
            ready = start + dt.timedelta(days=need)
            return failed(self.name, reason, f"wait until {ready:%Y-%m-%d}, or lower "
                          "min_age_days", file=f"{info.package_dir}/__init__.py")
        return passed(self.name, reason)


def _builtins() -> list:
    from ._adoption import AdoptionCheck
    from ._api import ApiStableCheck
    from ._catalogue import CatalogueCheck
    from ._docs import DocsExamplesCheck, DocsPageCheck
    from ._shadowing import ShadowedExportsCheck

    return [ManifestCheck(), TestsExistCheck(), TestsPassCheck(), CoverageCheck(),
            DocsPageCheck(), DocsExamplesCheck(), ShadowedExportsCheck(), ApiStableCheck(),
            MaturityCheck(), AdoptionCheck(), CatalogueCheck()]


BUILTIN_CHECKS = _builtins()
