"""A git repository with a scripted history, for ``promote report``: every number the report
gives is written down here, beside the script, as the truth the tests check against.

Histories are written with ``git fast-import`` (fixed authors and dates), so thousands of
commits take a second and every hash is the same on every run.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

#: Day 0 of every script: 2025-01-01 12:00 UTC.
EPOCH = 1735732800
DAY = 86400


@dataclass
class Step:
    """One commit of a script.

    Attributes:
        label: the name the truth uses for it.
        day: its author date, in days after :data:`EPOCH`.
        author: its author's name (the e-mail is derived from it).
        write: files it adds or changes, with their whole text.
        move: renames, old path to new path (applied before ``write``).
        delete: files it removes.
    """

    label: str
    day: float
    author: str
    write: dict[str, str] = field(default_factory=dict)
    move: dict[str, str] = field(default_factory=dict)
    delete: tuple[str, ...] = ()


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"data %d\n" % len(raw) + raw + b"\n"


def build(root: Path, steps: list[Step]) -> dict[str, str]:
    """Write the history of ``steps`` into a new repository at ``root``; check it out.

    Returns:
        The full hash of each step's commit, by label.
    """
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    stream = bytearray()
    for mark, step in enumerate(steps, start=1):
        email = f"{step.author.lower().replace(' ', '.')}@example.com"
        when = f"{int(EPOCH + step.day * DAY)} +0000"
        stream += b"commit refs/heads/main\nmark :%d\n" % mark
        stream += f"author {step.author} <{email}> {when}\n".encode()
        stream += f"committer {step.author} <{email}> {when}\n".encode()
        stream += _data(step.label)
        if mark > 1:
            stream += b"from :%d\n" % (mark - 1)
        for old, new in step.move.items():
            stream += f'R "{old}" "{new}"\n'.encode()
        for path in step.delete:
            stream += f'D "{path}"\n'.encode()
        for path, text in step.write.items():
            stream += f'M 100644 inline "{path}"\n'.encode() + _data(text)
        stream += b"\n"
    marks = root / ".git" / "script-marks"
    subprocess.run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], cwd=root,
                   input=bytes(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    return {step.label: by_mark[f":{i}"] for i, step in enumerate(steps, start=1)}


def commit_count(root: Path) -> int:
    out = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=root, check=True,
                         capture_output=True, text=True, env={**os.environ}).stdout
    return int(out)


def py(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


PYPROJECT = py('''
    [project]
    name = "trl"
    version = "0.3.0"

    [tool.fledge.promote]
    source_root = "."
    experimental_package = "trl.experimental"
    stable_package = "trl.trainer"
    export_to = ["trl.trainer"]
    public_aliases = []
    manifests = "none"
    experimental_tests = ["tests/experimental/test_{name}*.py"]
    stable_tests = "tests"
    docs_dir = "docs"
    docs_pages = ["docs/{name}.md"]
    python_path = ["."]
    ''')

BASE_V1 = py('''
    """The stable base trainer."""


    class BaseTrainer:
        def __init__(self, lr=0.1):
            self.lr = lr

        def train(self):
            return self.lr

        def evaluate(self):
            return 0.0

        def log(self, message):
            print(message)
    ''')

#: The stable parent as the tree has it at the end; the overridden lines are counted here.
BASE_FINAL = py('''
    """The stable base trainer (v2)."""


    class BaseTrainer:
        def __init__(self, lr=0.1):
            self.lr = lr
            self.steps = 0

        def train(self):
            self.steps += 1
            self.log("train")
            return self.lr

        def evaluate(self):
            return 0.0

        def log(self, message):
            print(message)
    ''')


def alpha(version: int, parent_module: str = "base_trainer") -> str:
    return py(f'''
        """Alpha: trains with alpha (v{version})."""

        from ...trainer.{parent_module} import BaseTrainer


        class AlphaTrainer(BaseTrainer):
            def train(self):
                return super().train() * {version}

            def log(self, message):
                super().log(f"alpha: {{message}}")

            def extra(self):
                return "alpha"
        ''')


def gamma(version: int, subclass: bool = True) -> str:
    if not subclass:
        return py(f'''
            """Gamma, a stable trainer for now (v{version})."""


            class GammaTrainer:
                def train(self):
                    return {version}
            ''')
    return py(f'''
        """Gamma, once a stable trainer (v{version})."""

        from trl.trainer import BaseTrainer


        class GammaTrainer(BaseTrainer):
            def __init__(self, lr=0.2):
                super().__init__(lr)

            def train(self):
                return 0.5 * {version}

            def evaluate(self):
                return 1.0
        ''')


def beta(version: int) -> str:
    return py(f'''
        """Beta: a trainer of its own (v{version})."""


        class BetaTrainer:
            def train(self):
                return {version}
        ''')


TEST_ALPHA_V1 = py('''
    from trl.experimental.alpha import AlphaTrainer


    def test_train():
        assert AlphaTrainer().train() == 0.1


    def test_log():
        AlphaTrainer().log("x")


    def test_extra():
        assert AlphaTrainer().extra() == "alpha"
    ''')
TEST_ALPHA_V2 = TEST_ALPHA_V1 + py('''


    def test_evaluate():
        assert AlphaTrainer().evaluate() == 0.0
    ''')
TEST_BETA = py('''
    import pytest

    from trl.experimental.beta import BetaTrainer


    class TestBeta:
        def test_train(self):
            assert BetaTrainer().train() >= 1

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_many(self, n):
            assert n

        def helper(self):
            return 1


    def test_module_level():
        assert BetaTrainer


    def not_a_test():
        pass
    ''')
TEST_GAMMA = py('''
    from trl.experimental.gamma import GammaTrainer


    def test_gamma():
        assert GammaTrainer().train() == 1.5
    ''')
NOTES = [f"docs/notes/n{i:02d}.md" for i in range(1, 13)]


def note(i: int, version: int) -> str:
    return f"# Note {i}\n\nRevision {version} of note {i}.\n"


def script() -> list[Step]:
    """The history: features alpha, beta and gamma; delta moved out; a stable parent.

    See :data:`TRUTH` for what each commit is to each feature.
    """
    exp = "trl/experimental"
    return [
        Step("c00", 0, "Ada", {
            "pyproject.toml": PYPROJECT, ".gitignore": "__pycache__/\n",
            "README.md": "# mini trl\n", "docs/index.md": "# Index\n",
            "trl/__init__.py": '"""mini trl."""\n',
            "trl/trainer/__init__.py": "from .core_trainer import BaseTrainer\n",
            "trl/trainer/core_trainer.py": BASE_V1,
            f"{exp}/__init__.py": '"""Experimental features."""\n',
            **{path: note(i, 1) for i, path in enumerate(NOTES, 1)}}),
        Step("c01", 2, "Dee", {"trl/trainer/gamma_trainer.py": gamma(1, subclass=False)}),
        Step("c02", 8, "Dee", {"trl/trainer/gamma_trainer.py": gamma(2, subclass=False)}),
        Step("c03", 10, "Ada", {
            f"{exp}/alpha/__init__.py": "from .alpha_trainer import AlphaTrainer\n",
            f"{exp}/alpha/alpha_trainer.py": alpha(1, "core_trainer"),
            "tests/experimental/test_alpha.py": TEST_ALPHA_V1,
            "docs/alpha.md": "# Alpha\n\nThe alpha trainer.\n"}),
        Step("c04", 12, "Bob", {
            f"{exp}/beta/__init__.py": "from .beta_trainer import BetaTrainer\n",
            f"{exp}/beta/beta_trainer.py": beta(1),
            "tests/experimental/test_beta.py": TEST_BETA,
            "docs/beta.md": "# Beta\n\nThe beta trainer.\n"}),
        Step("c05", 15, "Dee", {
            f"{exp}/delta/__init__.py": "from .delta import Delta  # delta's package\n",
            f"{exp}/delta/delta.py": "class Delta:\n    version = 1\n"}),
        Step("c06", 18, "Ada", {
            f"{exp}/alpha/alpha_trainer.py": alpha(2, "core_trainer"),
            "trl/trainer/core_trainer.py": BASE_V1 + "\n\nVERSION = 2\n"}),
        Step("c07", 20, "Cy", {f"{exp}/alpha/alpha_trainer.py": alpha(3, "core_trainer")}),
        Step("c08", 28, "Ada", {
            "trl/trainer/__init__.py": "from .base_trainer import BaseTrainer\n",
            f"{exp}/alpha/alpha_trainer.py": alpha(3)},
             move={"trl/trainer/core_trainer.py": "trl/trainer/base_trainer.py"}),
        Step("c09", 40, "Bot", {
            f"{exp}/alpha/alpha_trainer.py": alpha(4),
            f"{exp}/beta/beta_trainer.py": beta(2),
            f"{exp}/delta/delta.py": "class Delta:\n    version = 2\n"}),
        Step("c10", 45, "Bot", {
            f"{exp}/alpha/__init__.py": "from .alpha_trainer import AlphaTrainer  # noqa\n",
            f"{exp}/delta/__init__.py": "from .delta import Delta  # noqa: delta\n"}),
        Step("c11", 50, "Eve", {
            f"{exp}/gamma/__init__.py": "from .gamma_trainer import GammaTrainer\n"},
             move={"trl/trainer/gamma_trainer.py": f"{exp}/gamma/gamma_trainer.py"}),
        Step("c12", 52, "Eve", {
            f"{exp}/gamma/gamma_trainer.py": gamma(3),
            "tests/experimental/test_gamma.py": TEST_GAMMA,
            "docs/gamma.md": "# Gamma\n\nOnce stable, now experimental.\n"}),
        Step("c13", 55, "Dee", {"trl/trainer/delta_trainer.py": "class Delta:\n    version = 2\n"
                                "    stable = True\n"},
             move={f"{exp}/delta/delta.py": "trl/trainer/delta_trainer.py"},
             delete=(f"{exp}/delta/__init__.py",)),
        Step("c14", 60, "Bot", {f"{exp}/beta/beta_trainer.py": beta(3),
                                "trl/__init__.py": '"""mini trl.\n\nFormatted.\n"""\n',
                                f"{exp}/__init__.py": '"""Experimental features (all)."""\n',
                                **{path: note(i, 2) for i, path in enumerate(NOTES, 1)}}),
        Step("c15", 65, "Bob", {f"{exp}/beta/beta_trainer.py": beta(4),
                                **{path: note(i, 3) for i, path in enumerate(NOTES[:10], 1)}}),
        Step("c16", 70, "Cy", {"tests/experimental/test_alpha.py": TEST_ALPHA_V2}),
        Step("c17", 75, "Ada", {
            "trl/trainer/uses_alpha.py": "from trl.experimental.alpha import AlphaTrainer\n",
            "examples/run_alpha.py": "import trl.experimental.alpha as a\n",
            "scripts/beta_tool.py": "# runs trl.experimental.beta.BetaTrainer\n",
            "docs/index.md": "# Index\n\nSee `trl.experimental.alpha` and "
                             "`trl.experimental.beta`; `trl.experimental.alphabet` is not "
                             "a feature.\n"}),
        Step("c18", 80, "Bot", {
            "trl/trainer/base_trainer.py": BASE_FINAL,
            f"{exp}/alpha/alpha_trainer.py": alpha(5),
            f"{exp}/gamma/gamma_trainer.py": gamma(4)}),
        Step("c19", 85, "Ada", {".github/CODEOWNERS": "* @core\n/trl/experimental/beta/ "
                                                       "@bob-team @bob\n"}),
    ]


#: The day the tests count ages to (2025-04-11).
TODAY_DAY = 100

#: What the report must find, by feature: commits by label, newest first.
TRUTH = {
    "alpha": {
        "commits": ["c18", "c16", "c10", "c09", "c08", "c07", "c06", "c03"],
        "own": ["c16", "c08", "c07", "c06", "c03"],
        "sweeps": ["c18", "c10", "c09"],
        "last_own": ("c16", 70), "landed": ("c03", 10), "moves": [],
        "authors": ["Cy", "Ada"], "author_commits": {"Cy": 2, "Ada": 3},
        "codeowners": ["@core"],
        "cochanges": ["c18", "c08", "c06"],
        "parents": [("AlphaTrainer", "BaseTrainer", "trl.trainer.base_trainer",
                     "trl/trainer/base_trainer.py", ["train", "log"])],
        "consumers": {"stable": ["trl/trainer/uses_alpha.py"],
                      "examples": ["examples/run_alpha.py"], "docs": ["docs/index.md"]},
        "tests": 4, "test_files": 1, "docs": "docs/alpha.md",
    },
    "beta": {
        "commits": ["c15", "c14", "c09", "c04"],
        "own": ["c15", "c04"],
        "sweeps": ["c14", "c09"],
        "last_own": ("c15", 65), "landed": ("c04", 12), "moves": [],
        "authors": ["Bob"], "author_commits": {"Bob": 2},
        "codeowners": ["@bob-team", "@bob"],
        "cochanges": [],
        "parents": [],
        "consumers": {"scripts": ["scripts/beta_tool.py"], "docs": ["docs/index.md"]},
        "tests": 3, "test_files": 1, "docs": "docs/beta.md",
    },
    "gamma": {
        "commits": ["c18", "c12", "c11", "c02", "c01"],
        "own": ["c12", "c11", "c02", "c01"],
        "sweeps": ["c18"],
        "last_own": ("c12", 52), "landed": ("c01", 2),
        "moves": [("trl/trainer/gamma_trainer.py", "trl/experimental/gamma/gamma_trainer.py",
                   "c11")],
        "authors": ["Eve", "Dee"], "author_commits": {"Eve": 2, "Dee": 2},
        "codeowners": ["@core"],
        "cochanges": ["c18"],
        "parents": [("GammaTrainer", "BaseTrainer", "trl.trainer.base_trainer",
                     "trl/trainer/base_trainer.py", ["__init__", "train", "evaluate"])],
        "consumers": {},
        "tests": 1, "test_files": 1, "docs": "docs/gamma.md",
    },
}
