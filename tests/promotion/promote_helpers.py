"""Builders for the repositories promote runs on: a miniature TRL and a copy of this one.

Everything is generated in temporary folders, with real git repositories.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def has_git_history(root: Path = REPO) -> bool:
    """Whether ``root`` is a git checkout with a commit (a source tarball is not)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and (root / ".git").exists()


#: For tests that read this repository's git history or copy its committed files.
needs_git_history = pytest.mark.skipif(
    not has_git_history(), reason="this copy of the repository has no git history (a source "
    "tarball?); the test reads its commits")


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True, env=env).stdout


def commit_all(root: Path, message: str = "snapshot") -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def promote(root: Path, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess:
    """Run the real ``promote`` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "fledge_promote.cli", *args, "--root", str(root)],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    """Hash of every file outside .git and caches: a tree's exact state."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and ".git" not in rel.parts and "__pycache__" not in rel.parts:
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def python(root: Path, code: str, *paths: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(root / p) for p in paths)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=root,
                          capture_output=True, text=True, env=env, timeout=120)


TRL_FILES = {
    "pyproject.toml": """
        [project]
        name = "trl"
        version = "0.3.0"

        [tool.fledge.promote]
        source_root = "."
        experimental_package = "trl.experimental"
        stable_package = "trl.trainer"
        export_to = ["trl.trainer", "trl"]
        public_aliases = []
        manifests = "none"
        experimental_tests = ["tests/experimental/test_{name}*.py"]
        stable_tests = "tests"
        docs_dir = "docs/source"
        docs_pages = ["docs/source/{name}.md"]
        docs_format = "doc-builder"
        nav_file = "docs/source/_toctree.yml"
        experimental_section = "Experimental"
        stable_section = "Trainers"
        min_age_days = 0
        coverage_threshold = 60
        python_path = ["."]
        tests_timeout = 120
        """,
    "trl/__init__.py": '''
        """A miniature TRL."""
        import importlib
        from typing import TYPE_CHECKING

        __version__ = "0.3.0"

        _import_structure = {
            "trainer": ["DPOConfig", "DPOTrainer"],
        }

        if TYPE_CHECKING:
            from .trainer import DPOConfig, DPOTrainer


        def __getattr__(name):
            for module, names in _import_structure.items():
                if name in names:
                    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
            raise AttributeError(name)
        ''',
    "trl/trainer/__init__.py": '''
        import importlib
        from typing import TYPE_CHECKING

        _import_structure = {
            "dpo_trainer": ["DPOConfig", "DPOTrainer"],
        }

        if TYPE_CHECKING:
            from .dpo_trainer import DPOConfig, DPOTrainer


        def __getattr__(name):
            for module, names in _import_structure.items():
                if name in names:
                    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
            raise AttributeError(name)
        ''',
    "trl/trainer/dpo_trainer.py": '''
        from dataclasses import dataclass


        @dataclass
        class DPOConfig:
            beta: float = 0.1


        class DPOTrainer:
            def __init__(self, args: DPOConfig | None = None):
                self.args = args or DPOConfig()

            def train(self) -> float:
                return self.args.beta
        ''',
    "trl/experimental/__init__.py": '"""Experimental features: may change in any release."""\n',
    "trl/experimental/foo/__init__.py": '''
        from .foo_config import FooConfig
        from .foo_trainer import FooTrainer
        ''',
    "trl/experimental/foo/foo_config.py": '''
        from dataclasses import dataclass

        from ...trainer.dpo_trainer import DPOConfig


        @dataclass
        class FooConfig(DPOConfig):
            """Configuration of :class:`trl.experimental.foo.FooTrainer`."""

            foo_weight: float = 2.0
        ''',
    "trl/experimental/foo/foo_trainer.py": '''
        from ...trainer.dpo_trainer import DPOTrainer
        from .foo_config import FooConfig


        class FooTrainer(DPOTrainer):
            """Trains with foo.

            Example:
                >>> from trl.experimental.foo import FooTrainer
            """

            def __init__(self, args: FooConfig | None = None, scale: float = 1.0):
                super().__init__(args or FooConfig())
                self.scale = scale

            def train(self) -> float:
                return self.args.beta * self.args.foo_weight * self.scale
        ''',
    "trl/experimental/bar/__init__.py": 'from .bar_trainer import BarTrainer\n',
    "trl/experimental/bar/bar_trainer.py": 'class BarTrainer:\n    pass\n',
    "tests/__init__.py": "",
    "tests/testing_utils.py": '''
        class TrlTestCase:
            tmp = "x"
        ''',
    "tests/experimental/__init__.py": "",
    "tests/experimental/test_foo_trainer.py": '''
        from trl.experimental.foo import FooConfig, FooTrainer

        from ..testing_utils import TrlTestCase


        class TestFooTrainer(TrlTestCase):
            def test_train(self):
                assert FooTrainer(FooConfig(beta=0.5)).train() == 1.0

            def test_scale(self):
                assert FooTrainer(scale=3.0).train() == 0.1 * 2.0 * 3.0
        ''',
    "tests/experimental/test_bar_trainer.py": '''
        from trl.experimental.bar import BarTrainer


        def test_bar():
            assert BarTrainer()
        ''',
    "docs/source/_toctree.yml": """
        - sections:
          - local: index
            title: TRL
          title: Getting started
        - sections:
          - local: dpo_trainer
            title: DPO
          title: Trainers
        - sections:
          - local: experimental_overview
            title: Experimental Overview
          - local: foo
            title: Foo
          - local: bar
            title: Bar
          title: Experimental
        """,
    "docs/source/index.md": """
        # TRL

        The `trl.experimental.foo` trainer is new; see its page.
        """,
    "docs/source/dpo_trainer.md": "# DPO\n\n[[autodoc]] DPOTrainer\n",
    "docs/source/experimental_overview.md": "# Experimental\n",
    "docs/source/bar.md": "# Bar\n",
    "docs/source/foo.md": """
        # Foo

        <Tip warning={true}>

        This trainer is experimental: it may change or be removed in any release.

        </Tip>

        Train with foo, built on [`trl.experimental.foo.FooConfig`].

        ```python
        from trl.experimental.foo import FooConfig, FooTrainer

        trainer = FooTrainer(FooConfig(beta=0.2))
        print(trainer.train())
        ```

        Source: [foo_trainer.py](https://github.com/huggingface/trl/blob/main/trl/experimental/foo/foo_trainer.py)

        [[autodoc]] trl.experimental.foo.FooTrainer
        """,
    "README.md": """
        # mini trl

        ```python
        from trl.experimental.foo import FooTrainer
        ```
        """,
}


@pytest.fixture
def trl_repo(tmp_path: Path) -> Path:
    """A miniature TRL in a git repository, with release tag v0.2.0."""
    root = tmp_path / "trl-mini"
    write(root, TRL_FILES)
    (root / ".gitignore").write_text("__pycache__/\n")
    commit_all(root, "mini trl")
    git(root, "tag", "v0.2.0")
    return root


SAMPLE_FEATURE = {
    "plugins/fledge_plugins/word_count/__init__.py": '''
        """Word counting: the plugin's light module."""

        from __future__ import annotations

        from fledge import Feature, hookimpl

        FEATURE = Feature(
            name="word_count",
            summary="Count words in completions (a torch-free sample feature).",
            module="fledge_plugins.word_count.api",
            exports=("WordCounter", "count_words"),
            since="0.1.0",
            owners=("promote tests",),
            docs="docs/features/word_count.md",
            tests=("tests/plugins/word_count",),
        )


        @hookimpl
        def fledge_features() -> list[Feature]:
            return [FEATURE]
        ''',
    "plugins/fledge_plugins/word_count/api.py": '''
        """Count words. See :func:`fledge_plugins.word_count.api.count_words`."""

        from __future__ import annotations

        __all__ = ["WordCounter", "count_words"]


        def count_words(text: str) -> int:
            """The number of words in ``text``."""
            return len(text.split())


        class WordCounter:
            """Counts words across calls."""

            def __init__(self) -> None:
                self.total = 0

            def __call__(self, text: str) -> int:
                self.total += count_words(text)
                return self.total
        ''',
    "tests/plugins/word_count/test_api.py": '''
        from fledge_plugins.word_count.api import WordCounter, count_words


        def test_count_words():
            assert count_words("a b  c") == 3


        def test_counter_accumulates():
            counter = WordCounter()
            counter("a b")
            assert counter("c") == 3
        ''',
    "docs/features/word_count.md": '''
        # Word count

        !!! warning "Experimental"
            This feature may change in any release.

        ```python
        from fledge_plugins.word_count.api import WordCounter, count_words

        assert count_words("one two") == 2
        assert WordCounter()("a b c") == 3
        ```

        ::: fledge_plugins.word_count.api.WordCounter
        ''',
}


def copy_of_this_repository(root: Path) -> None:
    """This repository's committed files at ``root`` (``git archive HEAD``): what others
    are editing but have not committed yet cannot break the copy."""
    if not has_git_history():
        pytest.skip("this copy of the repository has no git history (a source tarball?): "
                    "there are no committed files to copy")
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")


@pytest.fixture
def fledge_copy(tmp_path: Path) -> Path:
    """This repository's committed files plus a sample feature."""
    root = tmp_path / "fledge-copy"
    copy_of_this_repository(root)
    write(root, SAMPLE_FEATURE)
    index = root / "docs/index.md"
    index.write_text(index.read_text() + "\nCount words with [word count](features/word_count.md"
                     ' "Word count").\n')
    mkdocs = root / "mkdocs.yml"
    text = mkdocs.read_text()
    assert "  - Experimental features:\n" in text
    mkdocs.write_text(text.replace(
        "  - Experimental features:\n",
        "  - Experimental features:\n      - Word count: features/word_count.md\n", 1))
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace(
        "[project.entry-points.fledge]\n",
        '[project.entry-points.fledge]\nword_count = "fledge_plugins.word_count"\n', 1)
    if "[tool.fledge.promote]" in text:  # this repository's section sets no min_age_days
        text = text.replace("[tool.fledge.promote]\n", "[tool.fledge.promote]\nmin_age_days = 0\n")
    else:
        text += "\n[tool.fledge.promote]\nmin_age_days = 0\n"
    pyproject.write_text(text)
    commit_all(root, "copy of fledge with a sample feature")
    return root
