"""The lifecycle verbs together, on the miniature TRL (pure Python, so every import really
runs): demote does what promote does to the moved tests and the exports (stage
expectations, shadowed exports), and prune after demote or promote leaves no shim and no
deprecated export entry behind."""

from __future__ import annotations

import json

from promote_helpers import commit_all, git, promote, python, write


def _flat(root) -> None:
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'stable_layout = "flat"\n')


def test_demote_restages_the_moved_tests_and_lists_those_failing_on_any_warning(trl_repo):
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


        def test_stage(record):
            assert record.stage is Stage.STABLE
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
    assert "+    assert record.stage is Stage.EXPERIMENTAL\n" in plan["diff"], plan["diff"]


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


# -- prune after demote or promote: nothing of the move is left --------------------------------

# Each import of ``paths`` (old and new), one line each: "ok", or the exception's class.
IMPORTS = """
    import importlib
    for statement in {statements!r}:
        try:
            exec(statement, {{}})
            print("ok")
        except (ImportError, AttributeError) as exc:
            print(type(exc).__name__)
    """


def _imports(root, *statements: str) -> list[str]:
    done = python(root, IMPORTS.format(statements=list(statements)), ".")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _prune(root, version: str) -> dict:
    """``prune --apply`` up to ``version``; Python compiles after it, a second prune plans
    nothing, and no export entry of a shim is left."""
    done = promote(root, "prune", "--version", version, "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["failures"] == [] and plan["deleted"], plan
    for path in root.rglob("*.py"):
        text = path.read_text()
        compile(text, str(path), "exec", dont_inherit=True)
        assert "# deprecated import" not in text and "_DEPRECATED_IMPORTS" not in text, path
        assert "fledge-promote: shim" not in text, path
    commit_all(root, "pruned")
    again = promote(root, "prune", "--version", version, "--json", "-q")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)["plan"]
    assert (second["deleted"], second["changed"], second["facts"]["listed, not removed"]) == (
        [], [], 0), second
    return plan


def test_demote_then_prune_on_a_lazy_flat_layout(trl_repo):
    root = trl_repo
    _flat(root)
    commit_all(root, "flat")
    done = promote(root, "demote", "dpo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(root, "demoted")
    plan = _prune(root, "0.5")
    assert plan["deleted"] == ["trl/trainer/dpo_trainer.py"]
    assert [s["rule"] for s in plan["facts"]["shims"]] == ["re-export module"]
    assert '_import_structure = {}\n' in (root / "trl/trainer/__init__.py").read_text()
    assert _imports(root, "from trl.experimental.dpo import DPOConfig, DPOTrainer",
                    "from trl import DPOTrainer", "from trl.trainer import DPOConfig",
                    "from trl.trainer.dpo_trainer import DPOTrainer") == [
        "ok", "ImportError", "ImportError", "ModuleNotFoundError"]


def test_promote_then_prune_on_an_eagerly_importing_package(trl_repo):
    root = trl_repo
    write(root, {"trl/experimental/__init__.py": '''
        """Experimental features: may change in any release."""
        from .bar import BarTrainer
        from .foo import FooConfig, FooTrainer
        '''})
    commit_all(root, "the experimental package exports its features")
    done = promote(root, "foo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "_DEPRECATED_IMPORTS" in (root / "trl/experimental/__init__.py").read_text()
    commit_all(root, "promoted")
    plan = _prune(root, "0.5.0")
    assert sorted(plan["deleted"]) == ["trl/experimental/foo/__init__.py",
                                       "trl/experimental/foo/foo_config.py",
                                       "trl/experimental/foo/foo_trainer.py"]
    # the table and the __getattr__ that read it went; what stays experimental stays
    assert (root / "trl/experimental/__init__.py").read_text() == (
        '"""Experimental features: may change in any release."""\n'
        "from .bar import BarTrainer\n")
    assert _imports(root, "from trl.trainer import FooConfig, FooTrainer",
                    "from trl.experimental import BarTrainer",
                    "from trl.experimental import FooTrainer",
                    "import trl.experimental.foo") == [
        "ok", "ok", "ImportError", "ModuleNotFoundError"]


def test_demote_then_prune_on_a_package_layout_with_eager_exports(trl_repo):
    # this repository's layout: a package per feature, exported eagerly by its parent
    root = trl_repo
    write(root, {
        "trl/trainer/__init__.py": '''
            from .dpo_trainer import DPOConfig, DPOTrainer
            from .foo import FooConfig, FooTrainer

            __all__ = ["DPOConfig", "DPOTrainer", "FooConfig", "FooTrainer"]
            ''',
        "trl/trainer/foo/__init__.py": "from .foo_trainer import FooConfig, FooTrainer\n",
        "trl/trainer/foo/foo_trainer.py": '''
            from ..dpo_trainer import DPOConfig, DPOTrainer


            class FooConfig(DPOConfig):
                pass


            class FooTrainer(DPOTrainer):
                pass
            ''',
        "tests/test_foo_trainer.py": '''
            from trl.trainer import FooTrainer


            def test_foo():
                assert FooTrainer().train() == 0.1
            ''',
    })
    for path in ("trl/experimental/foo", "tests/experimental/test_foo_trainer.py"):
        git(root, "rm", "-rq", path)
    commit_all(root, "foo is stable")
    done = promote(root, "demote", "foo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "_DEPRECATED_IMPORTS" in (root / "trl/trainer/__init__.py").read_text()
    commit_all(root, "demoted")
    plan = _prune(root, "0.5")
    assert sorted(plan["deleted"]) == ["trl/trainer/foo/__init__.py",
                                       "trl/trainer/foo/foo_trainer.py"]
    init = (root / "trl/trainer/__init__.py").read_text()
    assert "__getattr__" not in init and '__all__ = ["DPOConfig", "DPOTrainer"]' in init, init
    assert _imports(root, "from trl.experimental.foo import FooConfig, FooTrainer",
                    "from trl.trainer import DPOTrainer", "from trl.trainer import FooTrainer",
                    "import trl.trainer.foo") == ["ok", "ok", "ImportError",
                                                  "ModuleNotFoundError"]


# -- one warning per old import: the shim's FutureWarning, not the namespace's notice ----------

# Runs ``statement`` recording every warning; prints each as "Category: text".
RECORD = """
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        {statement}
    for w in caught:
        print(f"{{w.category.__name__}}: {{w.message}}")
    """


def _warnings(root, statement: str) -> list[str]:
    done = python(root, RECORD.format(statement=statement), ".")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_demoted_shim_gives_one_warning_and_keeps_the_users_others(trl_repo):
    root = trl_repo
    _flat(root)
    # like TRL 0.25: importing the experimental package warns a plain UserWarning
    write(root, {"trl/experimental/__init__.py": '''
        """Experimental features: may change in any release."""
        import warnings

        warnings.warn(
            "Imports from 'trl.experimental' are unstable. Set TRL_QUIET=1 to hide this.",
            UserWarning,
            stacklevel=2,
        )
        '''})
    commit_all(root, "the experimental package warns on import")
    done = promote(root, "demote", "dpo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    shim = (root / "trl/trainer/dpo_trainer.py").read_text()
    assert ('    warnings.filterwarnings(\n        "ignore",\n        message="Imports from '
            "'trl\\\\.experimental' are unstable\",\n        category=UserWarning,\n    )\n"
            "    from trl.experimental.dpo import dpo_trainer as _dpo_trainer\n") in shim, shim
    for statement in ("from trl import DPOTrainer", "from trl.trainer import DPOConfig",
                      "from trl.trainer.dpo_trainer import DPOTrainer"):
        (warned,) = _warnings(root, statement)
        assert warned.startswith("FutureWarning: trl.trainer.dpo_trainer moved back"), warned
    # the user's own import of the namespace still gets its notice
    (notice,) = _warnings(root, "import trl.experimental.dpo")
    assert notice.startswith("UserWarning: Imports from 'trl.experimental' are unstable")

    # a warning of the same category with other words, given while the new module is
    # imported, is the user's: it stays
    module = root / "trl/experimental/dpo/dpo_trainer.py"
    module.write_text('import warnings\n\nwarnings.warn("torch is old", UserWarning)\n'
                      + module.read_text())
    assert _warnings(root, "from trl.trainer.dpo_trainer import DPOTrainer")[0] == (
        "UserWarning: torch is old")

    # prune still knows the shim by its shape
    commit_all(root, "demoted")
    plan = _prune(root, "0.5")
    assert plan["deleted"] == ["trl/trainer/dpo_trainer.py"]


def test_promote_then_prune_on_a_lazy_flat_layout(trl_repo):
    root = trl_repo
    _flat(root)
    commit_all(root, "flat")
    done = promote(root, "foo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(root, "promoted")
    plan = _prune(root, "0.5.0")
    assert sorted(plan["deleted"]) == ["trl/experimental/foo/__init__.py",
                                       "trl/experimental/foo/foo_config.py",
                                       "trl/experimental/foo/foo_trainer.py"]
    assert _imports(root, "from trl.trainer import FooConfig, FooTrainer",
                    "from trl.trainer.foo_trainer import FooTrainer",
                    "from trl.experimental.foo import FooTrainer") == [
        "ok", "ok", "ModuleNotFoundError"]
