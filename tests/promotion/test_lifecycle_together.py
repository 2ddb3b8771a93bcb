"""The lifecycle verbs together, on the miniature TRL (pure Python, so every import really
runs): demote does what promote does to the moved tests and the exports (stage
expectations, shadowed exports), and prune after demote or promote leaves no shim and no
deprecated export entry behind."""

from __future__ import annotations

import json

from promote_helpers import commit_all, promote, write


def _flat(root) -> None:
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'stable_layout = "flat"\n')


def test_demote_lists_the_tests_that_fail_on_any_warning(trl_repo):
    root = trl_repo
    _flat(root)
    write(root, {"tests/test_dpo_trainer.py": '''
        import warnings

        import pytest

        from trl import DPOTrainer


        def test_quiet_import():
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert DPOTrainer().train() == 0.1


        @pytest.mark.filterwarnings("error::DeprecationWarning")
        def test_other_category():
            assert DPOTrainer()
        '''})
    commit_all(root, "dpo tests")
    done = promote(root, "demote", "dpo", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    listed = [n for n in plan["notes"] if "fails the test on any warning" in n]
    assert listed == [
        "tests/experimental/test_dpo_trainer.py:10: `warnings.simplefilter(\"error\")` fails "
        "the test on any warning, and the experimental path now gives the experimental "
        "notice (ExperimentalWarning or the host's class); expect it with pytest.warns, or "
        "silence it there"], plan["notes"]


def test_demote_refuses_an_export_a_submodule_would_shadow(trl_repo):
    root = trl_repo
    _flat(root)
    # trl.experimental.dpo would export the function dpo_config and hold the module
    # dpo_config.py: importing the module replaces the function on the package
    write(root, {
        "trl/trainer/dpo_config.py": "class DPOSettings:\n    pass\n",
        "trl/trainer/dpo_trainer.py": (root / "trl/trainer/dpo_trainer.py").read_text()
        + "\n\ndef dpo_config() -> DPOConfig:\n    return DPOConfig()\n",
    })
    top = root / "trl/trainer/__init__.py"
    top.write_text(top.read_text().replace('["DPOConfig", "DPOTrainer"]',
                                           '["DPOConfig", "DPOTrainer", "dpo_config"]'))
    commit_all(root, "dpo_config")
    done = promote(root, "demote", "dpo", "--json", "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    failures = json.loads(done.stdout)["plan"]["failures"]
    assert any("trl.experimental.dpo would export 'dpo_config' while "
               "trl.experimental.dpo.dpo_config is a submodule" in f for f in failures), failures
