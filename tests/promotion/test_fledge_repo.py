"""promote on a copy of this repository: check, dry run, apply, tests at the new place, the
old import warns. A small torch-free sample feature stands in for the built-ins."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from lint_helpers import dead_links, findings, ruff
from promote_helpers import git, promote, python, snapshot


@pytest.mark.slow
def test_promote_sample_feature_in_a_copy_of_this_repository(fledge_copy):
    root = fledge_copy
    checked = promote(root, "check", "word_count", "--format", "json", "-q")
    report = json.loads(checked.stdout)["features"][0]
    verdicts = {r["check"]: r["verdict"] for r in report["results"]}
    assert checked.returncode == 0, checked.stdout
    assert verdicts == {"manifest": "pass", "tests-exist": "pass", "tests-pass": "pass",
                        "coverage": "pass", "docs-page": "pass", "docs-examples": "pass",
                        "shadowed-exports": "pass", "api-stable": "skip", "maturity": "pass",
                        "adoption": "skip", "catalogue": "skip"}

    before = snapshot(root)
    dry = promote(root, "word_count", "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["plan"]
    assert {"from": "plugins/fledge_plugins/word_count/api.py",
            "to": "plugins/fledge_plugins/stable/word_count/api.py"} in plan["moves"]
    assert {"from": "tests/plugins/word_count/test_api.py",
            "to": "tests/stable/word_count/test_api.py"} in plan["moves"]
    assert plan["facts"]["stable import path"] == "fledge_plugins.stable"
    assert snapshot(root) == before  # a dry run writes nothing
    moved_from = {m["to"]: m["from"] for m in plan["moves"]}
    changed = {moved_from.get(p, p): p for p in plan["changed"] if p.endswith(".py")}
    findings_before = findings(root, {old: old for old in changed})

    done = promote(root, "word_count", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests at the new place: 2 passed" in done.stdout
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert "plugins/fledge_plugins/stable/__init__.py" in created
    for args in (("check", "--no-cache"), ("format", "--check", "--no-cache")):
        linted = ruff(root, *args, *created)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    assert findings(root, changed) - findings_before == Counter()

    read = lambda rel: (root / rel).read_text()  # noqa: E731
    manifest = read("plugins/fledge_plugins/stable/word_count/__init__.py")
    assert 'module="fledge_plugins.stable.word_count.api"' in manifest
    assert 'stage="stable"' in manifest and 'stable_path="fledge_plugins.stable"' in manifest
    assert 'tests=("tests/stable/word_count",)' in manifest
    assert 'word_count = "fledge_plugins.stable.word_count"' in read("pyproject.toml")
    nav = read("mkdocs.yml")
    assert nav.index("- Stable features:") < nav.index("features/word_count.md")
    page = read("docs/features/word_count.md")
    assert "!!! warning" not in page
    assert "::: fledge_plugins.stable.word_count.api.WordCounter" in page
    assert "from fledge_plugins.stable.word_count.api import" in page
    assert "from fledge_plugins.stable.word_count.api import" in read(
        "tests/stable/word_count/test_api.py")
    assert "Promoted `word_count`" in read("CHANGELOG.md")
    assert "plugins/fledge_plugins/stable/word_count/api.py" in git(root, "status", "--porcelain")

    used = python(root, """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from fledge_plugins.word_count.api import count_words as old
        from fledge_plugins.stable import WordCounter, count_words
        assert old is count_words and WordCounter()("a b") == 2
        print([str(w.message) for w in caught if issubclass(w.category, FutureWarning)])
        """, "core", "plugins")
    assert used.returncode == 0, used.stderr
    assert ("fledge_plugins.word_count.api was promoted to the stable API in 0.1.0: import it "
            "from fledge_plugins.stable.word_count.api instead") in used.stdout
    listed = promote(root, "check", "--all", "--only", "manifest", "--format", "json", "-q")
    assert "word_count" not in [f["feature"] for f in json.loads(listed.stdout)["features"]]


def _set(root, line: str) -> None:
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "[tool.fledge.promote]\n", f"[tool.fledge.promote]\n{line}\n", 1))
    git(root, "commit", "-qam", line)


@pytest.mark.slow
def test_flat_promotion_in_a_copy_of_this_repository(fledge_copy):
    root = fledge_copy
    _set(root, 'stable_layout = "flat"')
    done = promote(root, "word_count", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    output = json.loads(done.stdout)
    moves = {m["from"]: m["to"] for m in output["plan"]["moves"]}
    assert moves["plugins/fledge_plugins/word_count/api.py"] == (
        "plugins/fledge_plugins/stable/api.py")
    # the manifest and hooks (the light module) move beside it, as <name>.py
    assert moves["plugins/fledge_plugins/word_count/__init__.py"] == (
        "plugins/fledge_plugins/stable/word_count.py")
    assert output["tests_after"]["passed"] == 2

    read = lambda rel: (root / rel).read_text()  # noqa: E731
    manifest = read("plugins/fledge_plugins/stable/word_count.py")
    assert 'module="fledge_plugins.stable.api"' in manifest and 'stage="stable"' in manifest
    assert 'word_count = "fledge_plugins.stable.word_count"' in read("pyproject.toml")
    assert '"api": ["WordCounter", "count_words"]' in read(
        "plugins/fledge_plugins/stable/__init__.py")
    assert "::: fledge_plugins.stable.api.WordCounter" in read("docs/features/word_count.md")
    created = [p for p in output["plan"]["created"] if p.endswith(".py")]
    for args in (("check", "--no-cache"), ("format", "--check", "--no-cache")):
        linted = subprocess.run([sys.executable, "-m", "ruff", *args, *created], cwd=root,
                                capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    used = python(root, """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from fledge_plugins.word_count import count_words as old
        from fledge_plugins.stable import WordCounter, count_words
        assert old is count_words and WordCounter()("a b") == 2
        print([str(w.message) for w in caught if issubclass(w.category, FutureWarning)])
        """, "core", "plugins")
    assert used.returncode == 0, used.stderr
    assert "fledge_plugins.word_count was promoted to the stable API" in used.stdout


@pytest.mark.slow
def test_retire_in_a_copy_of_this_repository_leaves_no_dead_link(fledge_copy):
    root = fledge_copy
    dead_before = set(dead_links(root, "docs"))
    done = promote(root, "retire", "word_count", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert not (root / "docs/features/word_count.md").exists()
    assert "word_count" not in (root / "mkdocs.yml").read_text()
    assert "word_count = " not in (root / "pyproject.toml").read_text()
    assert set(dead_links(root, "docs")) <= dead_before  # no new dead link
    assert "Count words with word count." in (root / "docs/index.md").read_text()
    assert {"path": "docs/index.md", "kind": "unlinked"} in [
        {"path": m["path"], "kind": m["kind"]} for m in plan["mentions"]]
