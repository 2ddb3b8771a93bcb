"""The way back and the way in: ``promote demote`` (stable -> experimental, with shims),
``promote prune`` of the shims it left, and ``promote include`` of a plugin scaffolded with
``fledge new``, on a copy of TRL's real package (see trl_copy.py) and on a copy of this
repository. After each: Python compiles, the target's ruff finds nothing new, the imports
work (old paths warn), and the docs keep no dead link."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lint_helpers import dead_links, findings, ruff
from promote_helpers import commit_all, promote, python, write
from trl_copy import build_trl_copy, git, installed_version

from fledge_promote.repository._version import release_of

pytestmark = pytest.mark.slow

# What TRL's tree has for RLOO beside its code, written here: a docs page listed under
# "Trainers" and a test in TRL's style (none of TRL's prose is copied).
RLOO_FILES = {
    "docs/source/rloo_trainer.md": """
        # RLOO Trainer

        REINFORCE leave-one-out for online post-training, see the [paper index](paper_index).

        ## RLOOTrainer

        [[autodoc]] RLOOTrainer
            - train

        ## RLOOConfig

        [[autodoc]] RLOOConfig
        """,
    "tests/test_rloo_trainer.py": """
        from trl import RLOOConfig, RLOOTrainer
        from trl.trainer.base_trainer import _BaseTrainer

        from .testing_utils import TrlTestCase


        class TestRLOOTrainer(TrlTestCase):
            def test_config_defaults(self):
                config = RLOOConfig(output_dir=self.tmp_dir, bf16=False)
                assert config.num_generations == 2

            def test_trainer_is_a_trl_trainer(self):
                assert issubclass(RLOOTrainer, _BaseTrainer)
        """,
}

# trl/experimental/__init__.py as docs/adopting.md shows it: the namespace served by fledge.
TRL_HOST_INIT = '''\
from fledge import Host

from ..import_utils import TRLExperimentalWarning

host = Host("trl.experimental", warning=TRLExperimentalWarning)
__getattr__, __dir__ = host.serve()
'''


@pytest.fixture(scope="module")
def trl_template(tmp_path_factory) -> Path:
    root, _source = build_trl_copy(tmp_path_factory.mktemp("trl-demote") / "trl")
    write(root, RLOO_FILES)
    toc = root / "docs/source/_toctree.yml"
    toc.write_text(toc.read_text().replace(
        "  - local: sft_trainer\n    title: SFT\n",
        "  - local: rloo_trainer\n    title: RLOO\n  - local: sft_trainer\n    title: SFT\n", 1))
    (root / "trl/experimental/__init__.py").write_text(TRL_HOST_INIT)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "rloo's page and test; trl.experimental served by fledge")
    return root


@pytest.fixture
def trl_copy(trl_template, tmp_path) -> Path:
    root = tmp_path / "trl"
    subprocess.run(["git", "clone", "-q", str(trl_template), str(root)], check=True)
    git(root, "config", "user.name", "t")
    git(root, "config", "user.email", "t@example.com")
    return root


def _changed_python(plan: dict) -> dict[str, str]:
    moved_from = {m["to"]: m["from"] for m in plan["moves"]}
    return {moved_from.get(p, p): p for p in plan["changed"] if p.endswith(".py")}


def _compiles(root: Path, plan: dict) -> None:
    for rel in plan["changed"] + plan["created"]:
        if rel.endswith(".py"):
            compile((root / rel).read_text(), rel, "exec", dont_inherit=True)


def test_demote_prune_and_include_on_trl(trl_copy, tmp_path):
    root = trl_copy
    version = installed_version()
    release = release_of(version)  # demote's texts name the release being developed
    dead_before = set(dead_links(root))

    # -- demote: trl/trainer/rloo_*.py -> trl/experimental/rloo/ --------------------------
    dry = promote(root, "demote", "rloo", "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["plan"]
    moves = {m["from"]: m["to"] for m in plan["moves"]}
    assert moves == {
        "trl/trainer/rloo_config.py": "trl/experimental/rloo/rloo_config.py",
        "trl/trainer/rloo_trainer.py": "trl/experimental/rloo/rloo_trainer.py",
        "tests/test_rloo_trainer.py": "tests/experimental/test_rloo_trainer.py",
    }
    assert plan["failures"] == []
    before = findings(root, {old: old for old in _changed_python(plan)})
    done = promote(root, "demote", "rloo", "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    output = json.loads(done.stdout)
    plan = output["plan"]
    removal = plan["facts"]["shims removed in"]
    assert output["tests_after"]["passed"] == 2, output["tests_after"]
    _compiles(root, plan)
    after = findings(root, _changed_python(plan))
    assert after - before == Counter(), after - before
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert ruff(root, "check", "--no-cache", *created).returncode == 0

    read = lambda rel: (root / rel).read_text()  # noqa: E731
    # the exports stay, through the shims, marked for prune
    assert '"rloo_trainer": ["RLOOTrainer"],  # deprecated import' in read(
        "trl/trainer/__init__.py")
    assert '"trainer.rloo_trainer": ["RLOOTrainer"],  # deprecated import' in read(
        "trl/__init__.py")
    assert "from trl.experimental.rloo import RLOOTrainer" in read("trl/scripts/rloo.py")
    assert "from ..testing_utils import TrlTestCase" in read(
        "tests/experimental/test_rloo_trainer.py")
    toc = read("docs/source/_toctree.yml")
    assert toc.count("title: Trainers") == 1 and toc.count("title: Experimental\n") == 1
    assert toc.index("title: Trainers") < toc.index("local: rloo_trainer")
    page = read("docs/source/rloo_trainer.md")
    assert "[[autodoc]] experimental.rloo.RLOOTrainer" in page and "<Tip warning" in page
    shim = read("trl/trainer/rloo_trainer.py")
    assert f"# fledge-promote: shim (demoted in {release}; remove in {removal})" in shim
    used = python(root, """
        import warnings
        from trl.experimental.rloo import RLOOConfig, RLOOTrainer
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from trl.trainer.rloo_trainer import RLOOTrainer as Old
        assert Old is RLOOTrainer
        print([str(w.message) for w in caught if w.category is FutureWarning])
        from trl import RLOOTrainer as exported
        print("exported:", exported is RLOOTrainer)
        """, ".")
    assert used.returncode == 0, used.stderr
    assert "trl.trainer.rloo_trainer moved back to the experimental namespace" in used.stdout
    assert f"removed in {removal}" in used.stdout and "exported: True" in used.stdout
    assert set(dead_links(root)) <= dead_before

    # -- prune: the shims it left go, their callers follow -----------------------------------
    write(root, {"examples/rloo_old.py": "from trl.trainer.rloo_config import RLOOConfig\n\n"
                                         "print(RLOOConfig.__name__)\n"})
    commit_all(root, "an example on the old path")
    done = promote(root, "prune", "--version", removal, "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert sorted(plan["deleted"]) == ["trl/trainer/rloo_config.py", "trl/trainer/rloo_trainer.py"]
    assert "from trl.experimental.rloo.rloo_config import RLOOConfig" in read(
        "examples/rloo_old.py")
    _compiles(root, plan)
    assert set(dead_links(root)) <= dead_before

    # -- include: a plugin made by `fledge new`, into trl/experimental/ ---------------------
    made = subprocess.run([sys.executable, "-m", "fledge.cli", "new", "length_bonus", "-d",
                           str(tmp_path / "plugin")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    commit_all(root, "pruned")
    done = promote(root, "include", str(tmp_path / "plugin"), "--apply", "--json", "-q")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # its fledge tests may fail
    plan = json.loads(done.stdout)["plan"]
    assert plan["failures"] == []
    assert "trl/experimental/length_bonus/core.py" in plan["created"]
    _compiles(root, plan)
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert ruff(root, "check", "--no-cache", *created).returncode == 0, created
    init = read("trl/experimental/length_bonus/__init__.py")
    assert init.startswith("# Copyright") and 'module="trl.experimental.length_bonus"' in init
    assert "from .core import length_bonus" in init  # an in-tree feature exports from its package
    assert f'since="{version}"' in init
    assert "from trl.experimental.length_bonus import" in read(
        "tests/experimental/test_length_bonus_trainer.py")
    toc = read("docs/source/_toctree.yml")
    assert toc.count("title: Experimental\n") == 1
    assert toc.index("local: length_bonus_trainer") > toc.index("local: experimental_overview")
    served = python(root, """
        import json, warnings
        import fledge
        warnings.simplefilter("ignore")
        from trl.experimental import host
        registry = fledge.Registry(host=host)
        record = registry.get("length_bonus")
        from trl.experimental.length_bonus import length_bonus
        print(json.dumps([record.status.value, record.source, length_bonus(["a b a"])]))
        """, ".")
    assert served.returncode == 0, served.stderr
    status, source, rewards = json.loads(served.stdout.strip().splitlines()[-1])
    assert status == "ok" and source == "in-tree" and rewards == [pytest.approx(2 / 3)]
    assert set(dead_links(root)) <= dead_before


@pytest.fixture
def promoted_copy(fledge_copy):
    done = promote(fledge_copy, "word_count", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(fledge_copy, "promoted word_count")
    return fledge_copy


def test_demote_and_include_on_this_repository(promoted_copy, tmp_path):
    root = promoted_copy
    dead_before = set(dead_links(root, "docs"))
    done = promote(root, "demote", "word_count", "--removal", "0.4.0", "--apply", "--json",
                   "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["failures"] == []
    read = lambda rel: (root / rel).read_text()  # noqa: E731
    code = read("plugins/fledge_plugins/word_count/__init__.py")
    assert 'stage="experimental"' in code and "promoted_in" not in code
    assert "fledge-promote: shim" not in read("plugins/fledge_plugins/word_count/api.py")
    assert "# fledge-promote: shim (demoted in 0.1; remove in 0.4)" in read(
        "plugins/fledge_plugins/stable/word_count/api.py")
    assert 'word_count = "fledge_plugins.word_count"' in read("pyproject.toml")
    stable = read("plugins/fledge_plugins/stable/__init__.py")
    assert '"count_words"],  # deprecated import' in stable, stable
    mkdocs = read("mkdocs.yml")
    assert mkdocs.index("Experimental features:") < mkdocs.index("features/word_count.md") \
        < mkdocs.index("Stable features:")
    _compiles(root, plan)
    used = python(root, """
        import warnings
        from fledge_plugins.word_count.api import count_words
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from fledge_plugins.stable.word_count.api import count_words as old
        assert old is count_words
        print([str(w.message) for w in caught if w.category is FutureWarning])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fledge_plugins.stable as stable
        print("plain import warns:", [str(w.message) for w in caught])
        print("exported:", stable.count_words is count_words)
        """, "core", "plugins")
    assert used.returncode == 0, used.stderr
    assert "moved back to the experimental namespace" in used.stdout
    assert "plain import warns: []" in used.stdout and "exported: True" in used.stdout
    assert set(dead_links(root, "docs")) <= dead_before

    made = subprocess.run([sys.executable, "-m", "fledge.cli", "new", "length_bonus", "-d",
                           str(tmp_path / "plugin")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    commit_all(root, "demoted")
    done = promote(root, "include", str(tmp_path / "plugin"), "--apply", "--json", "-q")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["failures"] == []
    assert 'length_bonus = "fledge_plugins.length_bonus"' in read("pyproject.toml")
    assert "- length_bonus: features/length_bonus.md" in read("mkdocs.yml")
    _compiles(root, plan)
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert ruff(root, "check", "--no-cache", *created).returncode == 0
    assert set(dead_links(root, "docs")) <= dead_before


def test_promote_demote_prune_leaves_nothing_of_the_moves_on_this_repository(promoted_copy):
    root = promoted_copy
    done = promote(root, "demote", "word_count", "--removal", "0.4.0", "--apply", "--json",
                   "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(root, "demoted")
    pruned = promote(root, "prune", "--version", "0.4.0", "--apply", "--json", "-q")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    plan = json.loads(pruned.stdout)["plan"]
    assert plan["failures"] == []
    assert sorted(plan["deleted"]) == ["plugins/fledge_plugins/stable/word_count/__init__.py",
                                       "plugins/fledge_plugins/stable/word_count/api.py"]
    assert {s["rule"] for s in plan["facts"]["shims"]} == {"re-export module"}
    _compiles(root, plan)
    for path in (root / "plugins").rglob("*.py"):
        text = path.read_text()
        assert "fledge-promote: shim" not in text and "# deprecated import" not in text, path
        assert "_DEPRECATED_IMPORTS" not in text, path
    assert "word_count" not in (root / "plugins/fledge_plugins/stable/__init__.py").read_text()
    used = python(root, """
        from fledge_plugins.word_count.api import count_words
        print(count_words("one two three"))
        for statement in ("from fledge_plugins.stable.word_count.api import count_words",
                          "from fledge_plugins.stable import count_words"):
            try:
                exec(statement, {})
            except ImportError as exc:
                print(type(exc).__name__)
        """, "core", "plugins")
    assert used.returncode == 0, used.stderr
    assert used.stdout.split() == ["3", "ModuleNotFoundError", "ImportError"]
    commit_all(root, "pruned")
    again = promote(root, "prune", "--version", "0.4.0", "--json", "-q")
    second = json.loads(again.stdout)["plan"]
    assert (second["deleted"], second["changed"]) == ([], []), second


def test_demote_refuses_what_is_not_there(trl_copy):
    done = promote(trl_copy, "demote", "nothing", "-q")
    assert done.returncode == 2
    assert "no stable feature named 'nothing'" in done.stderr and "rloo" in done.stderr
    done = promote(trl_copy, "demote", "kto", "-q")  # TRL's own hand-written shim is there
    assert done.returncode == 1  # a plan that cannot be made safely
    assert "trl/experimental/kto/ exists and holds trl/experimental/kto/__init__.py" in done.stderr
    done = promote(trl_copy, "demote", "rloo", "--removal", "0.1", "-q")
    assert done.returncode == 2 and "must be later than the release being developed" in done.stderr


def test_include_refuses_what_is_not_a_plugin(trl_copy, tmp_path):
    done = promote(trl_copy, "include", "no-such-plugin-anywhere", "-q")
    assert done.returncode == 2 and "neither a folder nor an installed distribution" in done.stderr
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    done = promote(trl_copy, "include", str(tmp_path / "empty"), "-q")
    assert done.returncode == 2 and "no top-level package" in done.stderr


def test_include_an_installed_distribution(trl_copy, tmp_path):
    """SOURCE as a distribution's name: a plain (not editable) install has its package only."""
    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(Path(__file__).parents[2] / "examples/fledge-length-reward")],
        capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    done = promote(trl_copy, "include", "fledge-length-reward", "--json", "-q",
                   env={"PYTHONPATH": str(target)})
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["facts"]["to"] == "trl.experimental.length_reward"
    assert "trl/experimental/length_reward/__init__.py" in plan["created"]
    assert not any(p.startswith("tests/") for p in plan["created"])  # a wheel ships no tests
    assert "the plugin has no docs page (docs/*.md): none added" in plan["notes"]


def test_include_finds_the_environments_ruff_without_path(monkeypatch):
    """A venv's `promote` run without activating the venv still sorts with that venv's ruff."""
    import sysconfig

    from fledge_promote.planning._include import find_ruff

    monkeypatch.setenv("PATH", "")
    found = find_ruff()
    assert found is not None and Path(found).parent == Path(sysconfig.get_path("scripts"))
    assert subprocess.run([found, "--version"], capture_output=True).returncode == 0
