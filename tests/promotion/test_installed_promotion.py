"""Promotion leaves a working environment: on a copy of this repository installed editable
in its own virtual environment (as the README installs it), ``promote NAME --apply``
reinstalls the project when the entry points moved, so ``fledge list``, ``fledge info`` and
the moved tests see the feature at once; a failing moved test is named, in text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from promote_helpers import commit_all
from venvs import make_venv, pip, run_clean


def _promote(python: Path, root: Path, *args: str):
    return run_clean(python, "-m", "fledge_promote.cli", *args, "--root", root, cwd=root,
                     check=False, timeout=600)


@pytest.fixture
def installed_copy(fledge_copy, tmp_path):
    python = make_venv(tmp_path / "venv")
    pip(python, "install", "--quiet", "--no-deps", "-e", fledge_copy)
    return python, fledge_copy


@pytest.mark.slow
def test_an_applied_promotion_reinstalls_the_project_so_the_feature_is_found(installed_copy):
    python, root = installed_copy
    done = _promote(python, root, "word_count", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reinstalled fledge (editable): its entry points now name the new modules" in done.stdout
    assert "tests at the new place: 2 passed" in done.stdout

    listed = run_clean(python, "-m", "fledge.cli", "list", "--json", cwd=root)
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["word_count"]["status"] == "ok", rows["word_count"]
    assert rows["word_count"]["stage"] == "stable"
    info = run_clean(python, "-m", "fledge.cli", "info", "word_count", "--json", cwd=root)
    assert json.loads(info.stdout)["module"] == "fledge_plugins.stable.word_count.api"
    used = run_clean(python, "-W", "error::FutureWarning", "-c",
                     "from fledge_plugins.stable.word_count.api import count_words;"
                     "print(count_words('a b c'))", cwd=root)
    assert used.stdout.strip() == "3"


@pytest.mark.slow
def test_a_failing_moved_test_is_named_in_text_and_json(installed_copy):
    python, root = installed_copy
    test = root / "tests/plugins/word_count/test_api.py"
    test.write_text(test.read_text() + "\n\ndef test_that_breaks():\n"
                    "    assert 1 == 2, 'broken on purpose'\n")
    commit_all(root, "a test that fails")
    done = _promote(python, root, "word_count", "--apply", "--force", "--json", "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    after = json.loads(done.stdout)["tests_after"]
    assert after["failed"] == 1
    assert after["failures"] == [{
        "test": "tests/stable/word_count/test_api.py::test_that_breaks", "kind": "failure",
        "message": "AssertionError: broken on purpose"}]
