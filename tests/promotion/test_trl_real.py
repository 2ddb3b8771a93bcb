"""Proof on TRL's real code: a flat promotion and a retirement in a git repository built from
the installed release's package (see trl_copy.py), checked the way TRL's maintainers would."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from lint_helpers import dead_links, findings, ruff
from promote_helpers import promote, python
from trl_copy import PROMOTED, RETIRED, build_trl_copy, git, installed_version

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trl_template(tmp_path_factory) -> Path:
    root, _source = build_trl_copy(tmp_path_factory.mktemp("trl-real") / "trl")
    return root


@pytest.fixture
def trl_real(trl_template, tmp_path) -> Path:
    """A fresh clone of the TRL copy for each test (the template stays untouched)."""
    root = tmp_path / "trl"
    subprocess.run(["git", "clone", "-q", str(trl_template), str(root)], check=True)
    git(root, "config", "user.name", "t")
    git(root, "config", "user.email", "t@example.com")
    return root


def text_files(root: Path) -> dict[str, str]:
    out = {}
    for rel in git(root, "ls-files", "-co", "--exclude-standard").splitlines():
        path = root / rel
        if path.suffix in (".py", ".md", ".yml", ".toml") and path.is_file():
            out[rel] = path.read_text(encoding="utf-8")
    return out


def test_flat_promotion_of_a_real_trl_trainer(trl_real):
    root = trl_real
    version = installed_version()
    dry = promote(root, PROMOTED, "--json", "-q")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)["plan"]
    assert plan["facts"]["promoted in"] == version  # read from VERSION through setuptools
    assert plan["facts"]["layout"] == "flat"
    moves = {m["from"]: m["to"] for m in plan["moves"]}
    assert moves == {
        "trl/experimental/cpo/cpo_config.py": "trl/trainer/cpo_config.py",
        "trl/experimental/cpo/cpo_trainer.py": "trl/trainer/cpo_trainer.py",
        "tests/experimental/test_cpo_trainer.py": "tests/test_cpo_trainer.py",
    }
    assert plan["failures"] == [] and plan["mentions"] == []
    moved_from = {new: old for old, new in moves.items()}
    changed = {moved_from.get(p, p): p for p in plan["changed"] if p.endswith(".py")}
    before = findings(root, {old: old for old in changed})

    done = promote(root, PROMOTED, "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests at the new place: 2 passed" in done.stdout

    read = lambda rel: (root / rel).read_text()  # noqa: E731
    trainer = read("trl/trainer/cpo_trainer.py")
    assert "from ..data_utils import maybe_apply_chat_template" in trainer
    assert "from .base_trainer import _BaseTrainer" in trainer
    assert "from ..experimental.utils import" in trainer
    assert "from .cpo_config import CPOConfig" in trainer
    assert "[`CPOConfig`]" in trainer  # doc-builder references, relative to the package
    assert "from .testing_utils import TrlTestCase" in read("tests/test_cpo_trainer.py")
    assert '"cpo_trainer": ["CPOTrainer"]' in read("trl/trainer/__init__.py")
    toc = read("docs/source/_toctree.yml")
    # into the existing section, where its sorted order puts it
    assert toc.count("title: Trainers") == 1
    assert toc.index("local: cpo_trainer") < toc.index("local: dpo_trainer") < toc.index(
        "title: Trainers")
    page = read("docs/source/cpo_trainer.md")
    assert "[!WARNING]" not in page and "moved to" not in page
    assert "[[autodoc]] CPOTrainer" in page
    assert "[`CPOTrainer`]" in read("docs/source/paper_index.md")
    shim = read("trl/experimental/cpo/cpo_trainer.py")
    assert shim.startswith("# Copyright") and "__all__ = [\"CPOTrainer\"]" in shim
    assert "logger" not in shim and "pad" not in shim

    # every changed file compiles; the old path is left only in the shims
    for rel, text in text_files(root).items():
        if rel.endswith(".py"):
            compile(text, rel, "exec", dont_inherit=True)
        if "fledge-promote: shim" not in text:
            assert "trl.experimental.cpo" not in text, rel
            assert "experimental.cpo." not in text, rel

    # TRL's own ruff: created files are clean and formatted; changed files gain no finding
    created = [p for p in plan["created"] if p.endswith(".py")]
    assert created
    check = ruff(root, "check", "--no-cache", *created)
    assert check.returncode == 0, check.stdout
    formatted = ruff(root, "format", "--check", "--no-cache", *created)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    after = findings(root, changed)
    assert after - before == Counter(), after - before

    used = python(root, """
        import warnings
        from trl import CPOConfig, CPOTrainer
        import trl.trainer.cpo_trainer as module
        assert CPOTrainer is module.CPOTrainer
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from trl.experimental.cpo import CPOTrainer as Old
        assert Old is CPOTrainer
        print([str(w.message) for w in caught if w.category is FutureWarning])
        """, ".")
    assert used.returncode == 0, used.stderr
    assert "trl.experimental.cpo was promoted to the stable API" in used.stdout
    assert git(root, "status", "--porcelain").count("R") >= 3  # moves kept as renames


def test_retire_a_real_trl_trainer_leaves_nothing_dangling(trl_real):
    root = trl_real
    version = installed_version()
    done = promote(root, "retire", RETIRED, "--apply", "--json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert not (root / "trl/experimental/orpo/orpo_trainer.py").exists()
    assert not (root / "tests/experimental/test_orpo_trainer.py").exists()
    assert not (root / "docs/source/orpo_trainer.md").exists()
    assert "orpo_trainer" not in (root / "docs/source/_toctree.yml").read_text()

    # no relative link to the removed page survives: rewritten to the release's page
    assert dead_links(root) == []
    release = f"https://huggingface.co/docs/trl/v{version}/en/orpo_trainer"
    paper = (root / "docs/source/paper_index.md").read_text()
    assert f'[orpo-page]: {release} "ORPO trainer"' in paper
    assert f"[usage]({release}#usage)" in paper
    assert "link inside code is not a link: [ORPO](orpo_trainer)" in paper
    assert f"[ORPO](<{release}>)" in (root / "docs/source/experimental_overview.md").read_text()
    edited = {(m["path"], m["line"]) for m in plan["mentions"] if m["kind"] == "edited"}
    assert ("docs/source/index.md", 3) in edited or ("docs/source/index.md", 4) in edited
    assert {p for p, _ in edited} == {"docs/source/index.md", "docs/source/paper_index.md",
                                      "docs/source/experimental_overview.md"}

    # every remaining mention, with file and line, in the --json plan and the summary
    left = [m for m in plan["mentions"] if m["kind"] == "mention"]
    lines = (root / "trl/trainer/base_trainer.py").read_text().splitlines()
    expected = {i for i, line in enumerate(lines, 1) if '"ORPOTrainer"' in line}
    assert expected and {m["line"] for m in left if m["path"] == "trl/trainer/base_trainer.py"
                         } == expected
    summary = promote(root, "check", "--all", "--only", "manifest", "--format", "json", "-q")
    assert RETIRED not in [f["feature"] for f in json.loads(summary.stdout)["features"]]
    failed = python(root, f"import trl.experimental.{RETIRED}", ".")
    assert "ImportError" in failed.stderr and f"last release that had it is {version}" in \
        failed.stderr


def test_retire_without_a_release_url_turns_links_into_text(trl_real):
    root = trl_real
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text("\n".join(line for line in text.splitlines()
                                   if not line.startswith("docs_release_url")) + "\n")
    git(root, "commit", "-qam", "no release url")
    dry = promote(root, "retire", RETIRED, "-q")
    assert dry.returncode == 0, dry.stderr
    assert "link(s) to removed pages made plain text" in dry.stdout
    assert "docs/source/paper_index.md:" in dry.stdout
    done = promote(root, "retire", RETIRED, "--apply", "-q")
    assert done.returncode == 0, done.stderr
    assert dead_links(root) == []
    paper = (root / "docs/source/paper_index.md").read_text()
    assert "see the ORPO trainer and its" in paper and "[orpo-page]" not in paper
    assert "and ORPO." in (root / "docs/source/index.md").read_text()
