"""``promote include`` of outside prototypes, plugins or not, on a copy of TRL's real package
(see trl_copy.py): TRL's real ``trl-cgrpo`` from PyPI and a plain source tree built here
(cgrpo_copy.py); names already used, refused up front; a prototype still installed where
promote runs; the command's help. After each include: Python compiles, the target's ruff
finds nothing in the included files, the feature imports from ``trl.experimental.<name>``,
its docs page is in the toctree with no dead link, and a second run plans nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cgrpo_copy import cgrpo_sdist, unpack_cgrpo, write_plain_tree
from lint_helpers import dead_links, ruff
from promote_helpers import commit_all, promote, python
from trl_copy import build_trl_copy, git


@pytest.fixture(scope="module")
def trl_template(tmp_path_factory) -> Path:
    root, _source = build_trl_copy(tmp_path_factory.mktemp("trl-include") / "trl")
    return root


@pytest.fixture
def trl_copy(trl_template, tmp_path) -> Path:
    root = tmp_path / "trl"
    shutil.copytree(trl_template, root)
    return root


@pytest.fixture(scope="module")
def cgrpo_tree(tmp_path_factory) -> Path:
    archive = cgrpo_sdist()
    if archive is None:
        pytest.skip("trl-cgrpo 0.2.0's sdist could not be fetched from the package index "
                    "(offline?); set FLEDGE_CGRPO_SDIST to a folder holding "
                    "trl_cgrpo-0.2.0.tar.gz")
    return unpack_cgrpo(archive, tmp_path_factory.mktemp("cgrpo"))


def _json(done: subprocess.CompletedProcess) -> dict:
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def _compiles(root: Path, paths: list[str]) -> None:
    for rel in paths:
        if rel.endswith(".py"):
            compile((root / rel).read_text(), rel, "exec")


@pytest.mark.slow
def test_include_trl_cgrpo_from_pypi_into_trl(trl_copy, cgrpo_tree):
    root = trl_copy
    dead_before = set(dead_links(root))
    done = promote(root, "include", str(cgrpo_tree), "--json", "-q")
    assert done.returncode == 0, done.stderr
    plan = _json(done)["plan"]
    facts = plan["facts"]
    assert plan["feature"] == "cgrpo"  # trl_cgrpo without the prefix naming the target
    assert facts["to"] == "trl.experimental.cgrpo"
    assert facts["owners"] == ["Arya Fayyazi"] and "conformal" in facts["summary"]
    assert "numpy>=1.24" in facts["requirements"]
    assert facts["licence"].startswith("MIT (not the target's)")
    assert not (root / "trl/experimental/cgrpo").exists()  # a dry run

    done = promote(root, "include", str(cgrpo_tree), "--apply", "--json", "-q")
    assert done.returncode == 0, done.stderr
    plan = _json(done)["plan"]
    assert plan["failures"] == []
    created = plan["created"]
    assert {"trl/experimental/cgrpo/__init__.py", "trl/experimental/cgrpo/cgrpo_trainer.py",
            "trl/experimental/cgrpo/LICENSE", "docs/source/cgrpo_trainer.md"} <= set(created)
    assert "trl/experimental/cgrpo/README.md" not in created  # the readme is the docs page
    _compiles(root, created)
    included = [p for p in created if p.endswith(".py")]
    linted = ruff(root, "check", "--no-cache", *included)
    assert linted.returncode == 0, linted.stdout

    read = lambda rel: (root / rel).read_text()  # noqa: E731
    trainer = read("trl/experimental/cgrpo/cgrpo_trainer.py")
    assert trainer.startswith("# Copyright") and "The HuggingFace Team" in trainer.split("\n")[0]
    assert "Copyright (c) 2026 C-GRPO authors" in trainer  # its own notice, kept
    assert "SPDX-License-Identifier: MIT" in trainer
    assert read("trl/experimental/cgrpo/LICENSE") == (cgrpo_tree / "LICENSE").read_text()
    assert "from ...trainer.grpo_trainer import GRPOTrainer" in trainer  # TRL's style
    page = read("docs/source/cgrpo_trainer.md")
    assert "from trl.experimental.cgrpo import CGRPOConfig, CGRPOTrainer" in page
    assert page.startswith("# C-GRPO for TRL\n\n<Tip warning={true}>\n\n**Experimental:** "
                           "`trl.experimental.cgrpo` is experimental")
    assert "local: cgrpo_trainer" in read("docs/source/_toctree.yml")
    assert set(dead_links(root)) <= dead_before

    served = python(root, """
        import warnings
        warnings.simplefilter("ignore")
        from trl import GRPOTrainer
        from trl.experimental.cgrpo import CGRPOConfig, CGRPOTrainer, conformal_quantile
        print(issubclass(CGRPOTrainer, GRPOTrainer), CGRPOTrainer.__module__)
        """, ".")
    assert served.returncode == 0, served.stderr
    assert served.stdout.split() == ["True", "trl.experimental.cgrpo.cgrpo_trainer"]

    commit_all(root, "included cgrpo")
    again = promote(root, "include", str(cgrpo_tree), "--apply", "--json", "-q")
    assert again.returncode == 0, again.stderr
    plan = _json(again)["plan"]
    assert plan["created"] == plan["changed"] == [] and plan["diff"] == ""
    assert any(n.startswith("already included") for n in plan["notes"])
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.slow
def test_include_a_plain_source_tree(trl_copy, tmp_path):
    """Not a plugin: a src/ layout, absolute imports of its own package, tests, a readme."""
    root = trl_copy
    tree = write_plain_tree(tmp_path / "length-penalty")
    done = promote(root, "include", str(tree), "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    output = _json(done)
    plan = output["plan"]
    assert plan["feature"] == "length_penalty" and plan["failures"] == []
    assert output["tests_after"]["passed"] == 2
    assert "licence" not in plan["facts"]  # Apache-2.0, as TRL: the target's header alone
    assert any("scipy>=1.10" in n and "does not declare" in n for n in plan["notes"])
    read = lambda rel: (root / rel).read_text()  # noqa: E731
    init = read("trl/experimental/length_penalty/__init__.py")
    assert "from .reward import LengthPenalty" in init
    reward = read("trl/experimental/length_penalty/reward.py")
    assert "from .scoring import overflow" in reward
    assert "from ...trainer.grpo_config import GRPOConfig" in reward
    assert "SPDX" not in reward and reward.startswith("# Copyright")
    test = read("tests/experimental/test_length_penalty_trainer.py")
    assert "from trl.experimental.length_penalty.scoring import overflow" in test
    page = read("docs/source/length_penalty_trainer.md")
    assert "from trl.experimental.length_penalty import LengthPenalty" in page
    assert "`trl.experimental.length_penalty.scoring.overflow`" in page
    # a link into its own tree points at its repository (no dead link in the docs)
    assert "(https://github.com/example/trl-length-penalty/blob/HEAD/examples/train.py " \
        '"a training script")' in page
    assert not [d for d in dead_links(root) if "length_penalty" in d]
    _compiles(root, plan["created"])
    linted = ruff(root, "check", "--no-cache", *[p for p in plan["created"] if p.endswith(".py")])
    assert linted.returncode == 0, linted.stdout


@pytest.mark.slow
def test_include_an_installed_distribution_that_is_no_plugin(trl_copy, tmp_path):
    """A plain install (not editable): its package, and its readme from the metadata."""
    tree = write_plain_tree(tmp_path / "length-penalty")
    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(tree)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    done = promote(trl_copy, "include", "trl-length-penalty", "--json", "-q",
                   env={"PYTHONPATH": str(target)})
    assert done.returncode == 0, done.stderr
    plan = _json(done)["plan"]
    assert plan["facts"]["to"] == "trl.experimental.length_penalty"
    assert plan["facts"]["owners"] == ["Ada Example"]
    assert "trl/experimental/length_penalty/reward.py" in plan["created"]
    assert not any(p.startswith("tests/") for p in plan["created"])  # a wheel ships no tests
    assert "from trl.experimental.length_penalty import LengthPenalty" in plan["diff"]
    assert plan["facts"]["docs"] == "docs/source/length_penalty_trainer.md"


@pytest.mark.slow
def test_include_takes_another_name(trl_copy, tmp_path):
    tree = write_plain_tree(tmp_path / "length-penalty")
    done = promote(trl_copy, "include", str(tree), "--name", "overlong", "--json", "-q")
    assert done.returncode == 0, done.stderr
    plan = _json(done)["plan"]
    assert plan["facts"]["to"] == "trl.experimental.overlong"
    assert "trl/experimental/overlong/reward.py" in plan["created"]
    done = promote(trl_copy, "include", str(tree), "--name", "not-a-name", "-q")
    assert done.returncode == 2 and "not a Python identifier that can be imported" in done.stderr
    done = promote(trl_copy, "include", str(tree), "--name", "class", "-q")
    assert done.returncode == 2 and "pass --name NAME" in done.stderr


@pytest.mark.slow
def test_include_refuses_a_name_already_used(trl_copy, tmp_path):
    tree = write_plain_tree(tmp_path / "length-penalty")
    cases = {
        "cpo": "trl/experimental/cpo/: the experimental feature 'cpo'",
        "rloo": "trl/trainer/rloo_trainer.py: a module of the flat stable layout",
        # TRL's CPO page: trainer = CPOTrainer(model=model, args=..., train_dataset=dataset)
        "dataset": "docs/source/cpo_trainer.md:",
        "trl": "trl/: the top-level package trl",
    }
    for name, where in cases.items():
        done = promote(trl_copy, "include", str(tree), "--name", name, "--apply", "-q")
        assert done.returncode == 1, done.stderr
        assert f"the name {name!r} is already used" in done.stderr and where in done.stderr
        assert "--name NAME" in done.stderr
    assert git(trl_copy, "status", "--porcelain") == ""


@pytest.mark.slow
def test_include_refuses_the_tutorials_name_on_this_repository(fledge_copy, tmp_path):
    """The tutorial's own example (docs/writing-plugins.md) would be rewritten: refused."""
    made = subprocess.run([sys.executable, "-m", "fledge.cli", "new", "word_variety", "-d",
                           str(tmp_path / "plugin")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    done = promote(fledge_copy, "include", str(tmp_path / "plugin"), "-q")
    assert done.returncode == 1
    assert "the name 'word_variety' is already used" in done.stderr
    assert "docs/writing-plugins.md:" in done.stderr and "(code in the docs)" in done.stderr


@pytest.mark.slow
def test_include_plans_around_an_installed_prototype(fledge_copy, tmp_path):
    """The docs' order (prototype installed, then include --apply): the dry run names it,
    --apply refuses before writing, --uninstall-prototype removes it and the moved tests
    pass in one run."""
    from venvs import make_venv, pip, run_clean

    made = subprocess.run([sys.executable, "-m", "fledge.cli", "new", "length_bonus", "-d",
                           str(tmp_path / "plugin")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    venv = make_venv(tmp_path / "venv")
    pip(venv, "install", "--quiet", "--no-deps", "-e", fledge_copy)  # as a user would
    pip(venv, "install", "--no-deps", "--no-build-isolation", tmp_path / "plugin")

    def include(*args: str) -> subprocess.CompletedProcess:
        return run_clean(venv, "-m", "fledge_promote.cli", "include", tmp_path / "plugin",
                         "--root", fledge_copy, "--json", "-q", *args, check=False)

    done = include()
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["facts"]["installed prototype"].startswith("fledge-length-bonus 0.1.0")
    assert any("--uninstall-prototype" in n for n in plan["notes"])

    done = include("--apply")
    assert done.returncode == 1
    assert "the prototype fledge-length-bonus is installed" in done.stderr
    assert "Nothing was written" in done.stderr
    assert git(fledge_copy, "status", "--porcelain") == ""

    done = include("--apply", "--uninstall-prototype")
    assert done.returncode == 0, done.stdout + done.stderr
    output = json.loads(done.stdout)
    assert output["uninstalled"] == "fledge-length-bonus"
    assert output["tests_after"]["failed"] == 0 and output["tests_after"]["passed"] >= 4
    shown = run_clean(venv, "-m", "pip", "show", "fledge-length-bonus", check=False)
    assert shown.returncode != 0  # gone from the environment


@pytest.mark.slow
def test_include_a_plain_source_tree_into_this_repository(fledge_copy, tmp_path):
    """Features here carry fledge manifests: the prototype's __init__ becomes api.py and a
    light __init__ holds a manifest written from [project], registered by entry point."""
    root = fledge_copy
    tree = write_plain_tree(tmp_path / "length-penalty")
    done = promote(root, "include", str(tree), "--name", "length_penalty", "--apply", "--json",
                   "-q")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # its tests need the install
    plan = _json(done)["plan"]
    assert plan["failures"] == []
    read = lambda rel: (root / rel).read_text()  # noqa: E731
    assert 'length_penalty = "fledge_plugins.length_penalty"' in read("pyproject.toml")
    assert "- Length penalty: features/length_penalty.md" in read("mkdocs.yml")
    assert "from .reward import LengthPenalty" in read(
        "plugins/fledge_plugins/length_penalty/api.py")
    _compiles(root, plan["created"])
    linted = ruff(root, "check", "--no-cache", *[p for p in plan["created"] if p.endswith(".py")])
    assert linted.returncode == 0, linted.stdout
    described = python(root, """
        import json
        from pathlib import Path
        from fledge_promote import Repo, find_feature, load_config
        root = Path(".")
        config, _ = load_config(root)
        info = find_feature(Repo(root), config, "length_penalty")
        from fledge_plugins.length_penalty.api import LengthPenalty
        m = info.manifest
        print(json.dumps([m.module, list(m.exports), list(m.owners), dict(m.requires),
                          LengthPenalty(budget=1)(["a b c"])]))
        """, "core", "plugins", "promotion")
    assert described.returncode == 0, described.stderr
    module, exports, owners, requires, rewards = json.loads(described.stdout.splitlines()[-1])
    assert module == "fledge_plugins.length_penalty.api" and exports == ["LengthPenalty"]
    assert owners == ["Ada Example"] and requires["scipy"] == ">=1.10" and rewards == [-2.0]


def test_promote_help_lists_every_subcommand():
    done = subprocess.run([sys.executable, "-m", "fledge_promote.cli", "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("check", "include", "demote", "deprecate", "retire", "prune", "report",
                    "--recover"):
        assert f"\n  promote {command}" in done.stdout, command
    done = subprocess.run([sys.executable, "-m", "fledge_promote.cli", "include", "--help"],
                          capture_output=True, text=True)
    assert "--uninstall-prototype" in done.stdout and "--name NAME" in done.stdout


def test_the_feature_name_drops_a_prefix_naming_the_target():
    from fledge_promote.planning.inclusion._prototype import feature_name

    assert feature_name("trl_cgrpo", ("trl_",)) == "cgrpo"
    assert feature_name("fledge_word_variety", ("fledge_plugins_", "fledge_")) == "word_variety"
    assert feature_name("cgrpo", ("trl_",)) == "cgrpo"
    assert feature_name("trl_2x", ("trl_",)) == "trl_2x"  # no identifier left: kept whole


def test_name_uses_names_each_place(trl_repo):
    from fledge_promote import Repo, load_config
    from fledge_promote.repository._name_uses import name_uses

    config, _ = load_config(trl_repo)
    repo = Repo(trl_repo)
    assert name_uses(repo, config, "foo") == [
        "trl/experimental/foo/: the experimental feature 'foo'",
        "docs/source/foo.md:12: from trl.experimental.foo import FooConfig, FooTrainer "
        "(code in the docs)"]
    (used,) = name_uses(repo, config, "trainer")  # the page's example, not `trl.trainer`
    line = (trl_repo / "docs/source/foo.md").read_text().splitlines().index(
        "trainer = FooTrainer(FooConfig(beta=0.2))") + 1
    assert used == f"docs/source/foo.md:{line}: trainer = FooTrainer(FooConfig(beta=0.2)) " \
        "(code in the docs)"
    assert name_uses(repo, config, "trl")[0] == "trl/: the top-level package trl"
    (repo.root / "trl/experimental/utils.py").write_text("")
    assert name_uses(repo, config, "utils") == [
        "trl/experimental/utils.py: the module trl.experimental.utils"]
    assert name_uses(repo, config, "FooTrain") == []  # part of a longer identifier
    assert name_uses(repo, config, "foo_weight") == []  # code outside the docs
    assert name_uses(repo, config, "cgrpo") == []


def test_a_prototypes_metadata_is_read_as_untrusted(tmp_path):
    """Wrong types are skipped and a readme or licence outside the tree is never read."""
    from fledge_promote.planning.inclusion._prototype import find_prototype

    outside = tmp_path / "secret.md"
    outside.write_text("# not the prototype's\n")
    tree = tmp_path / "tree"
    (tree / "trl_odd").mkdir(parents=True)
    (tree / "trl_odd" / "__init__.py").write_text("")
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "trl-odd"\nreadme = "../secret.md"\ndependencies = "trl"\n'
        'license-files = "../secret.md"\nclassifiers = 3\nauthors = ["a"]\n')
    found = find_prototype(str(tree), ("trl_",))
    assert (found.name, found.module, found.distribution) == ("odd", "trl_odd", "trl-odd")
    assert found.readme is None and found.requirements == () and found.owners == ()
    assert found.licence.text is None and found.licence.spdx is None
