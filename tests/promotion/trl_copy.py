"""A git repository built from TRL's real package, for the proof tests and the benchmark.

The package comes from TRL's sdist of the installed version (``trl/``, ``pyproject.toml``,
``VERSION``), fetched once with ``pip download`` into ``build/trl-sdist/`` (or the folder
named by ``FLEDGE_TRL_SDIST``). Offline, it falls back to the installed package from
site-packages plus a ``pyproject.toml`` and ``VERSION`` written here. The docs and tests
around it are written here, laid out the way TRL's are; none of TRL's prose is copied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROMOTED = "cpo"  # promoted with stable_layout = "flat"
RETIRED = "orpo"

FALLBACK_PYPROJECT = """
[project]
name = "trl"
dynamic = ["version"]
requires-python = ">=3.10"

[tool.setuptools.dynamic]
version = { file = "VERSION" }

[tool.ruff]
target-version = "py311"
line-length = 119
src = ["trl"]

[tool.ruff.lint]
ignore = ["B028", "C408", "C901", "E501"]
select = ["E", "F", "I", "W", "UP", "B", "T", "C"]

[tool.ruff.lint.per-file-ignores]
"__init__.py" = ["F401"]

[tool.ruff.lint.isort]
lines-after-imports = 2
known-first-party = ["trl"]
"""

# docs/promote.md's "A repository laid out like TRL", as a maintainer would write it for
# TRL's own repository: the release copies (trl_025_copy, trl_028_copy) start from it.
TRL_LAYOUT_SECTION = """
[tool.fledge.promote]
source_root = "."
experimental_package = "trl.experimental"
stable_package = "trl.trainer"
stable_layout = "flat"
export_to = ["trl.trainer", "trl"]
public_aliases = []
manifests = "none"
experimental_tests = ["tests/experimental/test_{name}*.py"]
stable_tests = "tests"
docs_dir = "docs/source"
docs_pages = ["docs/source/{name}.md", "docs/source/{name}_trainer.md"]
docs_format = "doc-builder"
nav_file = "docs/source/_toctree.yml"
experimental_section = "Experimental"
stable_section = "Trainers"
changelog = ""
docs_release_url = "https://huggingface.co/docs/trl/v{version}/en/{page}"
python_path = ["."]
"""

PROMOTE_SECTION = """
[tool.fledge.promote]
source_root = "."
experimental_package = "trl.experimental"
stable_package = "trl.trainer"
stable_layout = "flat"
export_to = ["trl.trainer", "trl"]
public_aliases = []
manifests = "none"
experimental_tests = ["tests/experimental/test_{name}_trainer.py"]
stable_tests = "tests"
docs_dir = "docs/source"
docs_pages = ["docs/source/{name}_trainer.md"]
docs_format = "doc-builder"
nav_file = "docs/source/_toctree.yml"
experimental_section = "Experimental"
stable_section = "Trainers"
changelog = ""
docs_release_url = "https://huggingface.co/docs/trl/v{version}/en/{page}"
min_age_days = 0
skip_checks = ["coverage", "docs-examples", "api-stable"]
python_path = ["."]
tests_timeout = 300
"""

DOCS = {
    "docs/source/_toctree.yml": """
        - sections:
          - local: index
            title: TRL
          - local: installation
            title: Installation
          title: Getting started
        - sections:
          - local: paper_index
            title: Paper Index
          title: Conceptual Guides
        - sections:
          - local: dpo_trainer
            title: DPO
          - local: kto_trainer
            title: KTO
          - local: sft_trainer
            title: SFT
          title: Trainers
        - sections:
          - local: experimental_overview
            title: Experimental Overview
          - local: cpo_trainer
            title: CPO
          - local: orpo_trainer
            title: ORPO
          title: Experimental
        """,
    "docs/source/index.md": """
        # TRL

        Post-train language models. Start with [SFT](sft_trainer), compare preferences with
        [DPO](dpo_trainer), or try [CPO](cpo_trainer) and [ORPO](orpo_trainer#usage "ORPO").
        """,
    "docs/source/installation.md": "# Installation\n\n```bash\npip install trl\n```\n",
    "docs/source/dpo_trainer.md": "# DPO Trainer\n\n## DPOTrainer\n\n[[autodoc]] DPOTrainer\n",
    "docs/source/kto_trainer.md": "# KTO Trainer\n\n## KTOTrainer\n\n[[autodoc]] KTOTrainer\n",
    "docs/source/sft_trainer.md": "# SFT Trainer\n\n## SFTTrainer\n\n[[autodoc]] SFTTrainer\n",
    "docs/source/experimental_overview.md": """
        # Experimental

        Trainers here may change between releases: see [CPO](cpo_trainer) and
        [ORPO](<orpo_trainer.md>).
        """,
    "docs/source/paper_index.md": """
        # Paper Index

        ## Preference optimization

        ### Contrastive preference optimization

        Implemented by the [`experimental.cpo.CPOTrainer`], see [the CPO page](cpo_trainer).

        ### Odds ratio preference optimization

        Monolithic preference optimization, see the [ORPO trainer][orpo-page] and its
        [usage](orpo_trainer#usage).

        ```python
        # a link inside code is not a link: [ORPO](orpo_trainer)
        ```

        [orpo-page]: orpo_trainer "ORPO trainer"
        """,
    "docs/source/cpo_trainer.md": """
        # CPO Trainer

        > [!WARNING]
        > CPO is an experimental trainer: its API may change in any release.

        The CPO trainer has been moved to the `trl.experimental.cpo` module. It optimizes a
        contrastive preference objective without a reference model.

        ## Usage

        ```python
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        training_args = CPOConfig(output_dir="cpo-model")
        trainer = CPOTrainer(model=model, args=training_args, train_dataset=dataset)
        ```

        ## CPOTrainer

        [[autodoc]] experimental.cpo.CPOTrainer
            - train

        ## CPOConfig

        [[autodoc]] experimental.cpo.CPOConfig
        """,
    "docs/source/orpo_trainer.md": """
        # ORPO Trainer

        <Tip warning={true}>

        ORPO is experimental and may change or be removed in any release.

        </Tip>

        ## Usage

        ```python
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer
        ```

        ## ORPOTrainer

        [[autodoc]] experimental.orpo.ORPOTrainer
        """,
}

TESTS = {
    "tests/__init__.py": "",
    "tests/testing_utils.py": '''
        import pytest


        class TrlTestCase:
            """Gives each test a temporary output folder, as TRL's tests expect."""

            @pytest.fixture(autouse=True)
            def set_tmp_dir(self, tmp_path):
                self.tmp_dir = str(tmp_path)
        ''',
    "tests/experimental/__init__.py": "",
    "tests/experimental/test_cpo_trainer.py": '''
        from trl.experimental.cpo import CPOConfig, CPOTrainer
        from trl.trainer.base_trainer import _BaseTrainer

        from ..testing_utils import TrlTestCase


        class TestCPOTrainer(TrlTestCase):
            def test_config_defaults(self):
                config = CPOConfig(output_dir=self.tmp_dir, bf16=False)
                assert config.loss_type == "sigmoid"
                assert config.beta == 0.1

            def test_trainer_is_a_trl_trainer(self):
                assert issubclass(CPOTrainer, _BaseTrainer)
        ''',
    "tests/experimental/test_orpo_trainer.py": '''
        from trl.experimental.orpo import ORPOConfig

        from ..testing_utils import TrlTestCase


        class TestORPOTrainer(TrlTestCase):
            def test_config_defaults(self):
                assert ORPOConfig(output_dir=self.tmp_dir, bf16=False).beta == 0.1
        ''',
}


def installed_version() -> str:
    from importlib.metadata import version

    return version("trl")


def sdist(version: str) -> Path | None:
    """TRL's sdist of ``version``: the cached copy, else fetched once; None when offline."""
    cache = Path(os.environ.get("FLEDGE_TRL_SDIST") or REPO / "build" / "trl-sdist")
    found = cache / f"trl-{version}.tar.gz"
    if found.is_file():
        return found
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", f"trl=={version}", "-d", str(cache), "-q"],
                       check=True, capture_output=True, timeout=180)
    except (subprocess.SubprocessError, OSError):
        return None
    return found if found.is_file() else None


def _from_sdist(archive: Path, root: Path, version: str) -> None:
    prefix = f"trl-{version}/"
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = member.name
            if not name.startswith(prefix) or not member.isfile():
                continue
            rel = name[len(prefix):]
            if rel in ("pyproject.toml", "VERSION", "LICENSE") or rel.startswith("trl/"):
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source:  # type: ignore[union-attr]
                    target.write_bytes(source.read())


def _from_site_packages(root: Path, version: str) -> None:
    import trl

    shutil.copytree(Path(trl.__file__).parent, root / "trl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (root / "pyproject.toml").write_text(FALLBACK_PYPROJECT.lstrip(), encoding="utf-8")
    (root / "VERSION").write_text(version + "\n", encoding="utf-8")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True, env=env).stdout


def build_release_copy(root: Path, version: str, developing: str, section: str,
                       files: dict[str, str]) -> Path | None:
    """A git repository at ``root`` from TRL ``version``'s sdist, developing ``developing``,
    with ``section`` appended to its pyproject and ``files`` written beside its package;
    None when the sdist cannot be fetched (offline): the caller skips."""
    archive = sdist(version)
    if archive is None:
        return None
    root.mkdir(parents=True)
    _from_sdist(archive, root, version)
    (root / "VERSION").write_text(developing + "\n", encoding="utf-8")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + section, encoding="utf-8")
    _write(root, files)
    (root / ".gitignore").write_text("__pycache__/\n*.pyc\n.ruff_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"trl {version} from its sdist, developing {developing}")
    return root


def build_trl_copy(root: Path) -> tuple[Path, str]:
    """A git repository at ``root`` from TRL's real package; returns it and the source
    (``sdist`` or ``site-packages``)."""
    version = installed_version()
    archive = sdist(version)
    root.mkdir(parents=True)
    if archive is not None:
        _from_sdist(archive, root, version)
        source = "sdist"
    else:
        _from_site_packages(root, version)
        source = "site-packages"
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + PROMOTE_SECTION,
                         encoding="utf-8")
    _write(root, {**DOCS, **TESTS})
    (root / ".gitignore").write_text("__pycache__/\n*.pyc\n.ruff_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"trl {version} from its {source}")
    git(root, "tag", f"v{version}")
    return root, source
