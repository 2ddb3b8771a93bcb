"""``promote demote cpo`` on TRL 0.25.0's real package, where CPO is still stable: TRL as it
stood (developing 0.26.0.dev0) just before its maintainers moved CPO into ``trl.experimental``
by hand (see trl_025_copy.py). After the demotion Python compiles, TRL's own ruff finds
nothing new, every import of CPO that worked before still works and warns a FutureWarning
only when used, the navigation and the docs keep no dead link, and a second run plans
nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from lint_helpers import dead_links, findings, ruff
from promote_helpers import promote
from trl_025_copy import VERSION, build_trl_025_copy
from trl_copy import git

pytestmark = pytest.mark.slow

# Every way a user could import CPO before the demotion; TRL's docs teach the first.
OLD_IMPORTS = {
    "from trl import CPOTrainer": "CPOTrainer",
    "from trl import CPOConfig": "CPOConfig",
    "from trl.trainer import CPOConfig": "CPOConfig",
    "from trl.trainer.cpo_trainer import CPOTrainer": "CPOTrainer",
    "from trl.trainer.cpo_config import CPOConfig": "CPOConfig",
}

# Runs one import statement in a fresh interpreter on the copy, recording every warning; then
# checks that the name is the experimental package's own object.
IMPORT_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    statement, name = sys.argv[1], sys.argv[2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scope = {}
        exec(statement, scope)
    same = None
    if name:
        import trl.experimental.cpo as new
        same = scope[name] is getattr(new, name)
    print(json.dumps({"same": same, "warnings": [
        [w.category.__name__, str(w.message)] for w in caught]}))
    """)


def _import(root: Path, statement: str, name: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT, statement, name], cwd=root,
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, f"{statement}: {done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _future(result: dict) -> list[str]:
    return [message for category, message in result["warnings"] if category == "FutureWarning"]


def _toctree_pages(root: Path) -> list[tuple[str, list[str]]]:
    """Each ``local`` page of the navigation, with the titles of the sections it sits in."""
    found = []

    def walk(items, titles):
        for item in items:
            if "sections" in item:
                walk(item["sections"], [*titles, item.get("title")])
            elif "local" in item:
                found.append((item["local"], titles))

    walk(yaml.safe_load((root / "docs/source/_toctree.yml").read_text()), [])
    return found


@pytest.fixture(scope="module")
def trl_025(tmp_path_factory) -> Path:
    root = build_trl_025_copy(tmp_path_factory.mktemp("trl-025") / "trl")
    if root is None:
        pytest.skip(f"TRL {VERSION}'s sdist could not be fetched from PyPI (offline?): "
                    f"`pip download --no-deps --no-binary :all: trl=={VERSION} -d "
                    "build/trl-sdist` fetches it once")
    return root


def test_demote_cpo_on_trl_025_breaks_no_import(trl_025):
    root = trl_025
    plain_before = _import(root, "import trl; import trl.trainer")
    dead_before = set(dead_links(root))

    dry = promote(root, "demote", "cpo", "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["plan"]
    assert plan["failures"] == []
    assert {m["from"]: m["to"] for m in plan["moves"]} == {
        "trl/trainer/cpo_config.py": "trl/experimental/cpo/cpo_config.py",
        "trl/trainer/cpo_trainer.py": "trl/experimental/cpo/cpo_trainer.py",
        # the template has a wildcard: the folder is taken, the test keeps its own name
        "tests/test_cpo_trainer.py": "tests/experimental/test_cpo_trainer.py",
    }
    assert plan["facts"]["demoted in"] == "0.26" and plan["facts"]["shims removed in"] == "0.28"
    assert "docs/source/cpo_trainer.md" in plan["changed"]  # found by its second pattern
    changed_python = [p for p in plan["changed"] if p.endswith(".py")]
    before = findings(root, {p: p for p in changed_python})

    done = promote(root, "demote", "cpo", "--apply", "--json", "-q")
    # TRL's own pytest addopts (`-k "not experimental"`) would deselect every test under
    # tests/experimental/: promote's run at the new place overrides the keyword filter
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    output = json.loads(done.stdout)
    plan = output["plan"]
    after = output["tests_after"]
    assert (after["passed"], after["failed"], after["errors"]) == (2, 0, 0), after

    # -- Python compiles, TRL's ruff finds nothing new ---------------------------------------
    for rel in plan["changed"] + plan["created"]:
        if rel.endswith(".py"):
            compile((root / rel).read_text(), rel, "exec", dont_inherit=True)
    moved_to = {m["from"]: m["to"] for m in plan["moves"]}
    after = findings(root, {p: moved_to.get(p, p) for p in changed_python})
    assert after - before == {}, after - before
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert ruff(root, "check", "--no-cache", *created).returncode == 0

    # -- the repository's own callers use the new path, in TRL's format -------------------
    read = lambda rel: (root / rel).read_text()  # noqa: E731
    assert read("tests/test_trainers_args.py").startswith(
        "from trl import (\n    DPOConfig,\n    KTOConfig,\n)\n"
        "from trl.experimental.cpo import (\n    CPOConfig,\n    CPOTrainer,\n)\n")
    assert "from trl.experimental.cpo import CPOConfig, CPOTrainer\n" in read(
        "examples/scripts/cpo.py")
    assert "from trl.experimental.cpo import CPOConfig, CPOTrainer" in read(
        "tests/experimental/test_cpo_trainer.py")

    # -- the exports stay, marked and pointing at the shims ----------------------------------
    assert '    "trainer.cpo_trainer": ["CPOTrainer"],  # deprecated import\n' in read(
        "trl/__init__.py")
    assert '    "cpo_config": ["CPOConfig"],  # deprecated import\n' in read(
        "trl/trainer/__init__.py")
    assert "(demoted in 0.26; remove in 0.28)" in read("trl/trainer/cpo_trainer.py")

    # -- every old import works, warns when used, and a plain import warns nothing -----------
    assert _import(root, "import trl; import trl.trainer") == plain_before
    assert not _future(plain_before)
    for statement, name in OLD_IMPORTS.items():
        result = _import(root, statement, name)
        assert result["same"], statement
        warned = _future(result)
        # one warning: the shim's, not TRL's "importing from 'trl.experimental'" as well
        assert len(warned) == 1 and len(result["warnings"]) == 1, (statement, result)
        assert f"import {name} from trl.experimental.cpo" in warned[0], warned
        assert "removed in 0.28" in warned[0], warned
    assert not _future(_import(root, "from trl.experimental.cpo import CPOTrainer", "CPOTrainer"))

    # -- the navigation: from "Trainers" (inside "API") to "Experimental", in order -------
    pages = _toctree_pages(root)
    assert ("cpo_trainer", ["Experimental"]) in pages
    experimental = [page for page, titles in pages if titles == ["Experimental"]]
    assert experimental == ["experimental_overview", "bema_for_reference_model", "cpo_trainer",
                            "gfpo", "papo_trainer"]
    assert all((root / f"docs/source/{page}.md").is_file() for page, _ in pages)
    page = read("docs/source/cpo_trainer.md")
    assert "<Tip warning={true}>" in page and "experimental again since 0.26" in page
    assert "[[autodoc]] experimental.cpo.CPOTrainer" in page
    assert set(dead_links(root)) <= dead_before

    # -- a second run plans nothing -------------------------------------------------------
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demoted cpo")
    again = promote(root, "demote", "cpo", "--json", "-q")
    assert again.returncode == 0, again.stderr
    plan = json.loads(again.stdout)["plan"]
    assert plan["moves"] == [] and plan["changed"] == [] and plan["created"] == []
    assert any("experimental already" in note for note in plan["notes"])
