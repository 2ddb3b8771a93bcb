"""stable_layout = "flat" on the miniature TRL: where modules land, what is refused before
anything is written, and exports that already exist."""

from __future__ import annotations

import json

from promote_helpers import commit_all, promote, snapshot


def flat(root) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace('python_path = ["."]',
                                             'python_path = ["."]\nstable_layout = "flat"'))
    commit_all(root, "flat layout")


def test_modules_move_into_the_stable_package_and_relative_imports_follow(trl_repo):
    flat(trl_repo)
    dry = promote(trl_repo, "foo", "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["plan"]
    assert {m["from"]: m["to"] for m in plan["moves"]} == {
        "trl/experimental/foo/foo_config.py": "trl/trainer/foo_config.py",
        "trl/experimental/foo/foo_trainer.py": "trl/trainer/foo_trainer.py",
        "tests/experimental/test_foo_trainer.py": "tests/test_foo_trainer.py"}
    assert "+from .dpo_trainer import DPOTrainer" in plan["diff"]
    assert '+    "foo_config": ["FooConfig"],' in plan["diff"]
    assert "trl/experimental/foo/__init__.py" in plan["changed"]  # stays, as the shim

    done = promote(trl_repo, "foo", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "from trl.trainer import FooConfig, FooTrainer" in (
        trl_repo / "tests/test_foo_trainer.py").read_text()
    assert "from .foo_config import FooConfig" in (
        trl_repo / "trl/trainer/foo_trainer.py").read_text()


def test_a_module_name_taken_in_the_stable_package_is_refused_naming_both(trl_repo):
    flat(trl_repo)
    (trl_repo / "trl/trainer/foo_trainer.py").write_text("class Other:\n    pass\n")
    commit_all(trl_repo, "a module of that name")
    before = snapshot(trl_repo)
    done = promote(trl_repo, "foo", "--apply", "-q")
    assert done.returncode == 1
    assert ("cannot move trl/experimental/foo/foo_trainer.py to trl/trainer/foo_trainer.py: "
            "trl/trainer/foo_trainer.py already exists in trl.trainer") in done.stderr
    assert snapshot(trl_repo) == before


def test_code_in_the_feature_init_is_refused_not_lost(trl_repo):
    flat(trl_repo)
    init = trl_repo / "trl/experimental/foo/__init__.py"
    init.write_text(init.read_text() + "\n\ndef helper():\n    return 1\n")
    commit_all(trl_repo, "code in the init")
    done = promote(trl_repo, "foo", "-q")
    assert done.returncode == 1
    assert "trl/experimental/foo/__init__.py defines helper itself" in done.stderr
    assert "move it into a module of the feature first" in done.stderr


def test_an_identical_export_is_kept_and_a_different_one_refused(trl_repo):
    flat(trl_repo)
    init = trl_repo / "trl/trainer/__init__.py"
    original = init.read_text()
    init.write_text(original.replace('"dpo_trainer": ["DPOConfig", "DPOTrainer"],',
                                     '"dpo_trainer": ["DPOConfig", "DPOTrainer"],\n'
                                     '    "foo_trainer": ["FooTrainer"],'))
    commit_all(trl_repo, "FooTrainer already exported from its future module")
    dry = promote(trl_repo, "foo", "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    diff = json.loads(dry.stdout)["plan"]["diff"]
    assert '+    "foo_config": ["FooConfig"],' in diff
    assert '"foo_trainer": ["FooTrainer", "FooTrainer"]' not in diff

    init.write_text(original.replace('"dpo_trainer": ["DPOConfig", "DPOTrainer"],',
                                     '"dpo_trainer": ["DPOConfig", "DPOTrainer", "FooTrainer"],'))
    commit_all(trl_repo, "FooTrainer exported from another module")
    refused = promote(trl_repo, "foo", "-q")
    assert refused.returncode == 1
    assert "FooTrainer already exported from .dpo_trainer, not from .foo_trainer" in (
        refused.stdout + refused.stderr)
