"""``promote prune``: the shims promote and demote left go when their removal version has
come, in one diff; imports that still use an old path are pointed at the new one, and the
docs keep no dead link. On a copy of this repository (the TRL cases are in test_demote)."""

from __future__ import annotations

import json

import pytest
from lint_helpers import dead_links, ruff
from promote_helpers import commit_all, promote, python, snapshot, write


@pytest.fixture
def promoted_copy(fledge_copy):
    """The copy with word_count promoted (shims due in 0.3.0) and one caller of the old path."""
    done = promote(fledge_copy, "word_count", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    write(fledge_copy, {"examples/count_old.py": """
        from fledge_plugins.word_count.api import count_words

        print(count_words("one two three"))
        """})
    commit_all(fledge_copy, "promoted word_count")
    return fledge_copy


@pytest.mark.slow
def test_prune_removes_the_shims_that_are_due_and_rewrites_their_callers(promoted_copy):
    root = promoted_copy
    early = promote(root, "prune", "--json", "-q")  # the default: the version being developed
    assert early.returncode == 0, early.stderr
    plan = json.loads(early.stdout)["plan"]
    assert plan["deleted"] == [] and plan["facts"]["kept (due later)"] == "0.3.0"
    assert "no shim is due at or before 0.1.0; nothing to remove" in plan["notes"]

    before, dead_before = snapshot(root), set(dead_links(root, "docs"))
    dry = promote(root, "prune", "--version", "0.3.0", "-q")
    assert dry.returncode == 0, dry.stderr
    assert "-from fledge_plugins.word_count.api import count_words" in dry.stdout
    assert "+from fledge_plugins.stable.word_count.api import count_words" in dry.stdout
    assert snapshot(root) == before

    done = promote(root, "prune", "--version", "0.3.0", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert sorted(plan["deleted"]) == ["plugins/fledge_plugins/word_count/__init__.py",
                                       "plugins/fledge_plugins/word_count/api.py"]
    assert not (root / "plugins/fledge_plugins/word_count").exists() or not any(
        p.suffix == ".py" for p in (root / "plugins/fledge_plugins/word_count").rglob("*"))
    assert "Removed the old import paths due in 0.3.0: `fledge_plugins.word_count` (use " \
           "`fledge_plugins.stable.word_count.api`)" in (root / "CHANGELOG.md").read_text()

    used = python(root, """
        import runpy
        try:
            import fledge_plugins.word_count.api
        except ModuleNotFoundError as exc:
            print("gone:", exc.name)
        runpy.run_path("examples/count_old.py")
        """, "core", "plugins")
    assert used.returncode == 0, used.stderr
    assert "gone: fledge_plugins.word_count" in used.stdout and "3" in used.stdout
    assert set(dead_links(root, "docs")) <= dead_before  # no new dead link
    linted = ruff(root, "check", "--no-cache", "examples/count_old.py")
    assert linted.returncode == 0, linted.stdout


def test_prune_refuses_a_version_that_is_not_one(fledge_copy):
    done = promote(fledge_copy, "prune", "--version", "soon", "-q")
    assert done.returncode == 2
    assert "--version 'soon' is not a PEP 440 version, e.g. 0.5.0" in done.stderr
