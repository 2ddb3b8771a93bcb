"""No verb breaks an import that worked before it: the packages that exported a name that
moved keep exporting it through the shim at its old module, lazily, so it warns when used
and a plain ``import`` of the package warns nothing. On the miniature TRL (pure Python, so
every import really runs): a flat demotion out of ``trl.trainer`` (exported from ``trl``
and ``trl.trainer``), and a promotion out of an experimental package that exported the
feature's names eagerly."""

from __future__ import annotations

import json

from promote_helpers import commit_all, promote, python, write

# Runs ``statement`` with every warning recorded; prints the FutureWarnings' texts.
RECORD = """
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        {statement}
    print({result}, [str(w.message) for w in caught if w.category is FutureWarning])
    """


def _run(root, statement: str, result: str = "None") -> str:
    done = python(root, RECORD.format(statement=statement, result=result), ".")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_flat_demotion_keeps_every_export_working(trl_repo):
    root = trl_repo
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'stable_layout = "flat"\n')
    commit_all(root, "flat")
    done = promote(root, "demote", "dpo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["failures"] == [] and plan["facts"]["demoted in"] == "0.3"
    top = (root / "trl/__init__.py").read_text()
    assert '"trainer.dpo_trainer": ["DPOConfig", "DPOTrainer"],  # deprecated import' in top
    assert "from .trainer.dpo_trainer import DPOConfig, DPOTrainer  # deprecated import" in top
    assert '"dpo_trainer": ["DPOConfig", "DPOTrainer"],  # deprecated import' in (
        root / "trl/trainer/__init__.py").read_text()

    assert _run(root, "import trl, trl.trainer") == "None []"
    new = "trl.experimental.dpo"
    for statement in ("from trl import DPOTrainer", "from trl.trainer import DPOTrainer",
                      "from trl.trainer.dpo_trainer import DPOTrainer"):
        out = _run(root, f"{statement}\n        from {new} import DPOTrainer as New",
                   "DPOTrainer is New")
        assert out.startswith("True ["), (statement, out)
        assert f"import DPOConfig, DPOTrainer from {new} instead" in out, out
        assert "removed in 0.5" in out, out


def test_a_promotion_keeps_the_experimental_packages_exports(trl_repo):
    root = trl_repo
    write(root, {"trl/experimental/__init__.py": '''
        """Experimental features: may change in any release."""
        from .bar import BarTrainer
        from .foo import FooConfig, FooTrainer
        '''})
    commit_all(root, "the experimental package exports its features")
    done = promote(root, "foo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    init = (root / "trl/experimental/__init__.py").read_text()
    assert "from .bar import BarTrainer\n" in init  # what stays experimental stays as it was
    assert '"FooTrainer": ".foo",  # deprecated import' in init

    # bar imports nothing that moved: importing the package imports no shim
    assert _run(root, "import trl.experimental") == "None []"
    out = _run(root, "from trl.experimental import FooTrainer\n        "
                     "from trl.trainer import FooTrainer as New", "FooTrainer is New")
    assert out.startswith("True [") and "was promoted to the stable API" in out, out
