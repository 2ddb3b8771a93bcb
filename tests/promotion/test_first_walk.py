"""A new feature's first walk, as a new user takes it with fledge's own tools: ``fledge new``,
install, import, ``promote include``, ``promote NAME --apply --force``, on a git copy of this
repository installed editable in a fresh virtual environment. Each step exits 0 with its moved
tests passing, the stable import path gives the function whatever was imported before, and
the docs suite runs the feature's page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from promote_helpers import commit_all
from venvs import clean_env, make_venv, pip, run_clean

NAME = "lexical_spread"  # used nowhere in this repository: `fledge new` would refuse it
DIST = "fledge-lexical-spread"


def _run(python: Path, *args: object, cwd: Path, check: bool = False):
    return run_clean(python, *args, cwd=cwd, check=check, timeout=900)


def _promote(python: Path, root: Path, *args: str) -> dict:
    done = _run(python, "-m", "fledge_promote.cli", *args, "--json", "-q", "--root", root,
                cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["plan"]["failures"] == []
    assert result["tests_after"]["failed"] == 0 and result["tests_after"]["passed"] == 5
    return result


@pytest.mark.slow
def test_new_include_promote_ends_green(fledge_copy: Path, tmp_path: Path) -> None:
    root = fledge_copy
    python = make_venv(tmp_path / "venv")
    pip(python, "install", "--quiet", "--no-deps", "-e", root)
    fledge = python.parent / "fledge"

    # the tutorial's own name is refused inside the repository, naming where it is used
    refused = _run(fledge, "new", "word_variety", "-d", root / "word-variety", cwd=root)
    assert refused.returncode == 2 and "docs/writing-plugins.md:" in refused.stderr

    plugin = tmp_path / DIST
    _run(fledge, "new", NAME, "-d", plugin, cwd=tmp_path, check=True)
    pip(python, "install", "--quiet", "--no-deps", "--no-build-isolation", plugin)
    used = _run(python, "-c", f"from fledge.experimental.{NAME} import {NAME}; "
                f"print({NAME}(['a b', 'a a']))", cwd=tmp_path, check=True)
    assert used.stdout.strip() == "[1.0, 0.5]" and "ExperimentalWarning" in used.stderr
    silenced = run_clean(python, "-c", f"import fledge.experimental.{NAME}", cwd=tmp_path,
                         env=clean_env(FLEDGE_EXPERIMENTAL_SILENCE=NAME))
    assert silenced.stderr == ""
    pip(python, "uninstall", "--quiet", "-y", DIST)

    _promote(python, root, "include", str(plugin), "--apply")
    commit_all(root, f"included {NAME}")
    promoted = _promote(python, root, NAME, "--apply", "--force")
    assert promoted["plan"]["facts"]["stable import path"] == "fledge_plugins.stable"

    for order in (f"import fledge_plugins.stable.{NAME}\nfrom fledge_plugins.stable import {NAME}",
                  f"from fledge_plugins.stable import {NAME}\nimport fledge_plugins.stable.{NAME}"
                  f"\nfrom fledge_plugins.stable import {NAME}"):
        got = _run(python, "-W", "error", "-c", f"import fledge\nfledge.get_registry().features()"
                   f"\n{order}\nprint(type({NAME}).__name__, {NAME}(['a b']))", cwd=root,
                   check=True)
        assert got.stdout.strip() == "function [1.0]"
    # the old path warns, on first use of a name, naming the path users import from, not
    # an internal module
    old = _run(python, "-W", "always::FutureWarning", "-c",
               f"from fledge_plugins.{NAME} import {NAME}", cwd=root, check=True)
    version = promoted["plan"]["facts"]["promoted in"]
    assert (f"fledge_plugins.{NAME} was promoted to the stable API in {version}: import it "
            "from fledge_plugins.stable instead") in old.stderr.replace("\n", " ")
    demo = _run(fledge, "demo", NAME, "one two", "a a", cwd=root, check=True)
    assert demo.stdout.splitlines() == ["1.000  one two", "0.500  a a"]

    page = (root / "docs/features" / f"{NAME}.md").read_text()
    assert "pip install fledge\n" in page and DIST not in page
    changelog = (root / "CHANGELOG.md").read_text()
    assert (f"- Promoted `{NAME}` to the stable API: `from fledge_plugins.stable import {NAME}`."
            f" The old path `fledge.experimental.{NAME}` warns") in changelog
    docs = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow",
                f"tests/docs/test_docs_examples.py::test_the_python_blocks_of_each_page_run"
                f"[features/{NAME}.md]", cwd=root)
    assert docs.returncode == 0 and "1 passed" in docs.stdout, docs.stdout + docs.stderr

