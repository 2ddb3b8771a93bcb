"""The pytest run of a feature's tests: it runs them whatever the repository's addopts say."""

from __future__ import annotations

import textwrap

from fledge_promote.checks._testrun import run_tests
from fledge_promote.repository._config import PromoteConfig
from fledge_promote.repository._repo import Repo


def _repository(root, addopts: str):
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [tool.pytest.ini_options]
        addopts = {addopts}
        """))
    tests = root / "tests" / "experimental"
    tests.mkdir(parents=True)
    (tests / "test_moved.py").write_text(
        "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n")
    (tests / "test_empty.py").write_text("HELPER = 1\n")
    return Repo(root)


def test_a_keyword_filter_in_addopts_does_not_deselect_the_feature_tests(tmp_path):
    # TRL's pyproject: every test whose id says "experimental" is deselected by default
    repo = _repository(tmp_path, '["-k", "not experimental"]')
    run = run_tests(repo, PromoteConfig(), ["tests/experimental/test_moved.py"])
    assert (run.passed, run.failed, run.returncode) == (2, 0, 0), run.tail
    assert run.no_tests_reason() is None


def test_a_run_that_collects_nothing_says_so(tmp_path):
    repo = _repository(tmp_path, '["-q"]')
    run = run_tests(repo, PromoteConfig(), ["tests/experimental/test_empty.py"])
    assert run.total == 0 and run.returncode == 5
    reason = run.no_tests_reason()
    assert reason is not None
    assert reason.startswith("no test collected: pytest exited with status 5")
