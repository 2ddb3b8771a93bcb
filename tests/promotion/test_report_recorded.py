"""``promote check --junit FILE --coverage-data FILE``: tests-pass and coverage from the run CI
already made give the verdicts a fresh run gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from promote_helpers import commit_all, promote, write

EXTRA = {
    # foo gets code that only bar's tests run: its coverage must not count them.
    "trl/experimental/foo/extra.py": '''
        def used_by_bar_only(x):
            y = x + 1
            z = y * 2
            w = z - 3
            return w
        ''',
    "tests/experimental/test_bar_more.py": '''
        import pytest


        def test_bar_runs_foo_code():
            from trl.experimental.foo.extra import used_by_bar_only

            assert used_by_bar_only(1) == 1


        def test_bar_fails():
            assert 1 + 1 == 3


        @pytest.mark.skip(reason="not today")
        def test_bar_skipped():
            pass
        ''',
}


def record(root: Path, out: Path) -> tuple[Path, Path]:
    """The README's test command with the recording options .ci/run adds."""
    junit, data = out / "junit.xml", out / "promote.coverage"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--junitxml={junit}", "-p", "fledge_promote._pytest_coverage",
         f"--promote-coverage={data}", "tests"],
        cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 1, done.stdout + done.stderr  # test_bar_fails fails
    assert junit.is_file() and data.is_file()
    return junit, data


def outcomes(done: subprocess.CompletedProcess) -> dict:
    data = json.loads(done.stdout)
    return {f["feature"]: {r["check"]: (r["verdict"], {k: r["details"].get(k) for k in (
        "passed", "failed", "skipped", "errors", "percent")})
        for r in f["results"]} for f in data["features"]}


def test_recorded_run_gives_the_verdicts_of_a_fresh_run(trl_repo, tmp_path):
    write(trl_repo, EXTRA)
    pyproject = trl_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("coverage_threshold = 60",
                                                       "coverage_threshold = 90"))
    commit_all(trl_repo, "foo's extra code, bar's failing test")
    only = ["--only", "tests-pass", "--only", "coverage", "--json", "-q"]
    fresh = promote(trl_repo, "check", "--all", *only)
    junit, data = record(trl_repo, tmp_path)
    recorded = promote(trl_repo, "check", "--all", *only, "--junit", str(junit),
                       "--coverage-data", str(data))
    assert fresh.returncode == recorded.returncode == 1, fresh.stderr + recorded.stderr
    got, want = outcomes(recorded), outcomes(fresh)
    assert got == want
    # The scenario is the one intended: bar fails its tests, foo its coverage (its extra
    # module is run only by bar's tests, which do not count for foo).
    assert want["bar"]["tests-pass"] == ("fail", {"passed": 2, "failed": 1, "skipped": 1,
                                                  "errors": 0, "percent": None})
    assert want["foo"]["tests-pass"][0] == "pass"
    assert want["foo"]["coverage"][0] == "fail" and want["foo"]["coverage"][1]["percent"] < 90
    files = json.loads(recorded.stdout)["features"][1]["results"][1]["details"]["files"]
    assert files["trl/experimental/foo/extra.py"] == 0.0


def test_recorded_passing_run(trl_repo, tmp_path):
    junit, data = record_passing(trl_repo, tmp_path)
    done = promote(trl_repo, "check", "foo", "--only", "tests-pass", "--json", "-q",
                   "--junit", str(junit), "--coverage-data", str(data))
    result = json.loads(done.stdout)["features"][0]["results"][0]
    assert result["verdict"] == "pass" and result["details"]["passed"] == 2
    assert result["details"]["returncode"] == 0


def record_passing(root: Path, out: Path) -> tuple[Path, Path]:
    junit, data = out / "junit.xml", out / "promote.coverage"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--junitxml={junit}", "-p", "fledge_promote._pytest_coverage",
         f"--promote-coverage={data}", "tests"],
        cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    return junit, data


def test_feature_without_recorded_tests(trl_repo, tmp_path):
    junit, data = record_passing(trl_repo, tmp_path)
    (trl_repo / "tests/experimental/test_bar_trainer.py").rename(
        trl_repo / "tests/experimental/test_bar_new.py")
    done = promote(trl_repo, "check", "bar", "--only", "tests-pass", "--json", "-q",
                   "--junit", str(junit), "--coverage-data", str(data))
    result = json.loads(done.stdout)["features"][0]["results"][0]
    assert result["verdict"] == "fail"
    assert result["reason"] == ("no test collected: pytest exited with status 5 (no test case "
                                "in junit.xml is under tests/experimental/test_bar_new.py)")


def test_recorded_options_errors(trl_repo, tmp_path):
    alone = promote(trl_repo, "check", "--all", "--junit", "x.xml")
    assert alone.returncode == 2 and "--junit and --coverage-data go together" in alone.stderr
    missing = promote(trl_repo, "check", "--all", "--junit", str(tmp_path / "none.xml"),
                      "--coverage-data", str(tmp_path / "none.data"))
    assert missing.returncode == 2 and "none.xml: no such file" in missing.stderr
    (tmp_path / "bad.xml").write_text("<testsuite")
    (tmp_path / "cov.data").write_text("")
    bad = promote(trl_repo, "check", "--all", "--junit", str(tmp_path / "bad.xml"),
                  "--coverage-data", str(tmp_path / "cov.data"))
    assert bad.returncode == 2 and "not JUnit XML" in bad.stderr


DOCS_TEST = '''
    import pytest


    @pytest.mark.parametrize("page", ["foo.md", "bar.md"])
    def test_page_examples(page):
        assert page != "bar.md", "bar's example raised NameError: name 'x' is not defined"
    '''


def test_docs_examples_from_the_recorded_docs_test(trl_repo, tmp_path):
    write(trl_repo, {"tests/test_docs_pages.py": DOCS_TEST, "docs/source/bar.md": '''
        # Bar

        ```python
        from trl.experimental.bar import BarTrainer

        BarTrainer()
        ```
        '''})
    only = ["--only", "docs-examples", "--json", "-q"]
    fresh = outcomes(promote(trl_repo, "check", "--all", *only))
    assert {name: checks["docs-examples"][0] for name, checks in fresh.items()} == {
        "bar": "pass", "foo": "pass"}  # run for real, both pages' examples work
    pyproject = trl_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'docs_examples_test = '
                         '"tests/test_docs_pages.py::test_page_examples[{page}]"\n')
    commit_all(trl_repo, "a docs test")
    junit, data = tmp_path / "junit.xml", tmp_path / "promote.coverage"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--junitxml={junit}", "-p", "fledge_promote._pytest_coverage",
                    f"--promote-coverage={data}", "tests"], cwd=trl_repo, capture_output=True,
                   timeout=300, env={**os.environ, "PYTHONPATH": str(trl_repo)})
    assert junit.is_file()
    done = promote(trl_repo, "check", "--all", *only, "--junit", str(junit),
                   "--coverage-data", str(data))
    results = {f["feature"]: f["results"][0] for f in json.loads(done.stdout)["features"]}
    # The recorded test's verdict, not a new run: it says bar's examples failed.
    assert results["bar"]["verdict"] == "fail"
    assert ("the examples failed (recorded in junit.xml: tests/test_docs_pages.py::"
            "test_page_examples[bar.md]): AssertionError: bar's example raised NameError"
            ) in results["bar"]["reason"]
    assert results["foo"]["verdict"] == "pass"
    assert "recorded in junit.xml" in results["foo"]["reason"]
