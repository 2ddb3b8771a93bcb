"""``promote prune``: the shims promote and demote left, and hand-written ones of every shape,
go when their removal version has come, in one diff; imports that still use an old path are
pointed at the new one, and the docs keep no dead link. On a copy of this repository and a
small hand-written library (the shapes alone: test_prune_shapes; TRL 0.28's real shims:
test_prune_trl028; the TRL demote-then-prune walk: test_demote)."""

from __future__ import annotations

import json
import textwrap

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
    assert "no shim is due at or before 0.1; nothing to remove" in plan["notes"]

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
    # the package shim names what promote gave as the stable import path, which exports them
    assert "Removed the deprecated import paths due in 0.3: `fledge_plugins.word_count` (use " \
           "`fledge_plugins.stable`)" in (root / "CHANGELOG.md").read_text()
    assert [(s["rule"], s["version from"]) for s in plan["facts"]["shims"]] == [
        ("re-export module", "marker comment")] * 2

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


def test_prune_refuses_an_empty_version_instead_of_taking_the_default(fledge_copy):
    done = promote(fledge_copy, "prune", "--version", "", "-q")
    assert done.returncode == 2
    assert "--version '' is empty: give the release whose shims go" in done.stderr


LIBRARY = {
    "pyproject.toml": """
        [project]
        name = "lib"
        version = "0.29.0.dev0"

        [tool.fledge.promote]
        source_root = "."
        experimental_package = "lib.experimental"
        stable_package = "lib.trainer"
        export_to = ["lib.trainer", "lib"]
        manifests = "none"
        public_aliases = []
        changelog = ""
        python_path = ["."]
        """,
    "lib/__init__.py": """
        import importlib
        from typing import TYPE_CHECKING

        _import_structure = {
            "trainer": [
                "CPOTrainer",  # deprecated import
                "DPOTrainer",
                "KTOTrainer",
                "WinRateCallback",  # deprecated import
            ],
        }

        if TYPE_CHECKING:
            from .trainer import (
                CPOTrainer,  # deprecated import
                DPOTrainer,
                KTOTrainer,
                WinRateCallback,  # deprecated import
            )
        else:

            def __getattr__(name):
                for module, names in _import_structure.items():
                    if name in names:
                        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
                raise AttributeError(name)
        """,
    "lib/trainer/__init__.py": """
        from .callbacks import RichCallback, WinRateCallback  # deprecated import
        from .cpo_trainer import CPOTrainer  # deprecated import
        from .dpo_trainer import DPOTrainer
        from .kto_trainer import KTOTrainer
        """,
    "lib/trainer/cpo_trainer.py": """
        import warnings

        from ..experimental.cpo import CPOTrainer as _CPOTrainer


        class CPOTrainer(_CPOTrainer):
            def __init__(self, *args, **kwargs):
                warnings.warn("`CPOTrainer` moved to `lib.experimental.cpo`; this path will be "
                              "removed and no longer supported in Lib 0.29.", FutureWarning)
                super().__init__(*args, **kwargs)
        """,
    "lib/trainer/kto_trainer.py": """
        import warnings

        from ..experimental.kto import KTOTrainer as _KTOTrainer


        class KTOTrainer(_KTOTrainer):
            def __init__(self, *args, **kwargs):
                warnings.warn("`KTOTrainer` lives in `lib.experimental.kto` for now.",
                              FutureWarning)
                super().__init__(*args, **kwargs)
        """,
    "lib/trainer/dpo_trainer.py": """
        import warnings


        class DPOTrainer:
            def __init__(self, ref_model=None):
                if isinstance(ref_model, str):
                    warnings.warn("a string `ref_model` will be removed in version 0.29.0",
                                  FutureWarning)
                self.ref_model = ref_model
        """,
    "lib/trainer/callbacks.py": """
        import warnings

        from ..experimental.winrate import WinRateCallback as _WinRateCallback


        class RichCallback:
            name = "rich"


        class WinRateCallback(_WinRateCallback):
            def __init__(self, *args, **kwargs):
                warnings.warn("moved; removed in 0.29", FutureWarning)
                super().__init__(*args, **kwargs)
        """,
    "docs/index.md": "# lib\n\nTrain with `lib.trainer.cpo_trainer.CPOTrainer`.\n",
    "lib/experimental/__init__.py": "",
    "lib/experimental/cpo.py": "class CPOTrainer:\n    name = 'cpo'\n",
    "lib/experimental/kto.py": "class KTOTrainer:\n    name = 'kto'\n",
    "lib/experimental/winrate.py": "class WinRateCallback:\n    name = 'winrate'\n",
    "tests/test_trainers.py": """
        from lib import CPOTrainer, DPOTrainer
        from lib.trainer.callbacks import RichCallback, WinRateCallback


        def test_names():
            assert CPOTrainer.name == "cpo" and DPOTrainer and RichCallback and WinRateCallback
        """,
}


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "lib"
    write(root, LIBRARY)
    commit_all(root, "a library with hand-written shims due in 0.29")
    return root


def test_hand_written_shims_go_while_their_release_is_developed(library):
    root = library
    done = promote(root, "prune", "--apply", "--json", "-q")  # 0.29.0.dev0 counts as 0.29
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    facts = plan["facts"]
    assert facts["due by"] == "0.29" and facts["removed"] == 2
    assert plan["deleted"] == ["lib/trainer/cpo_trainer.py"]
    assert {(s["old"], s["rule"], s["removal"], s["version from"]) for s in facts["shims"]} == {
        ("lib.trainer.cpo_trainer.CPOTrainer", "warning subclass", "0.29", "warning text"),
        ("lib.trainer.callbacks.WinRateCallback", "warning subclass", "0.29", "warning text")}
    assert {u["what"] for u in facts["listed"]} == {"lib.trainer.kto_trainer.KTOTrainer",
                                                    "lib.trainer.dpo_trainer.DPOTrainer"}
    read = lambda rel: (root / rel).read_text()  # noqa: E731
    assert read("lib/trainer/__init__.py") == textwrap.dedent("""\
        from .callbacks import RichCallback
        from .dpo_trainer import DPOTrainer
        from .kto_trainer import KTOTrainer
        """)
    assert read("lib/trainer/callbacks.py") == 'class RichCallback:\n    name = "rich"\n'
    assert '"CPOTrainer"' not in read("lib/__init__.py")
    assert "# deprecated import" not in read("lib/__init__.py")
    assert read("tests/test_trainers.py").startswith(
        "from lib import DPOTrainer\nfrom lib.experimental.cpo import CPOTrainer\n"
        "from lib.experimental.winrate import WinRateCallback\n"
        "from lib.trainer.callbacks import RichCallback\n")
    assert [(m["path"], m["line"], m["kind"]) for m in plan["mentions"]] == [
        ("docs/index.md", 3, "mention")]  # prose: listed for a person
    used = python(root, """
        import lib
        from lib import DPOTrainer, KTOTrainer
        import tests.test_trainers as t
        t.test_names()
        print(hasattr(lib, "CPOTrainer") or "CPOTrainer" in str(lib._import_structure))
        """, ".")
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == "False"
    again = promote(root, "prune", "--json", "-q")
    plan = json.loads(again.stdout)["plan"]
    assert plan["deleted"] == [] and plan["changed"] == [] and plan["facts"]["listed"]


def test_a_shim_package_init_whose_package_keeps_real_modules_stays(tmp_path):
    root = tmp_path / "lib"
    write(root, {
        "pyproject.toml": LIBRARY["pyproject.toml"],
        "lib/__init__.py": "",
        "lib/trainer/__init__.py": "",
        "lib/experimental/__init__.py": "",
        "lib/experimental/kto.py": "class KTOTrainer:\n    name = 'kto'\n",
        "lib/old/__init__.py": """
            import warnings

            from ..experimental.kto import KTOTrainer as _KTOTrainer


            class KTOTrainer(_KTOTrainer):
                def __init__(self, *args, **kwargs):
                    warnings.warn("lib.old goes away in 0.29", FutureWarning)
                    super().__init__(*args, **kwargs)
            """,
        "lib/old/helpers.py": "def helper():\n    return 1\n",
        "docs/index.md": "# lib\n",
    })
    commit_all(root, "a shim package with a real module beside")
    done = promote(root, "prune", "--json", "-q")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["deleted"] == [] and plan["changed"] == ["lib/old/__init__.py"]
    assert plan["facts"]["shims"][0]["old"] == "lib.old.KTOTrainer"
    assert "+++ b/lib/old/__init__.py" in plan["diff"] and "-class KTOTrainer" in plan["diff"]
