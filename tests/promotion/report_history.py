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


# -- a lifecycle: every rule of own work and sweeps, one commit at a time ---------------------

STABLE_MODULES = [f"trl/trainer/mod{i:02d}.py" for i in range(1, 13)]


def trainer(name: str, version: int, extra: int = 0, arg: str = "lr") -> str:
    """A feature's trainer module: ``extra`` more lines make a bigger change."""
    body = "".join(f"    step_{k} = {k}\n" for k in range(extra))
    return py(f'''
        """{name}: a trainer (v{version})."""


        class {name.capitalize()}Trainer:
            def __init__(self, {arg}=0.1):
                self.{arg} = {arg}

            def train(self):
                return self.{arg}
        ''') + body


def lifecycle_script() -> list[Step]:
    """Features eps, zed (born zeta), eta and omega (born a stable module) through every rule
    of :mod:`fledge_promote.report._classify`; :data:`LIFECYCLE_TRUTH` says what each commit
    is to each feature."""
    exp = "trl/experimental"
    toc = "docs/_toctree.yml"

    def feature_files(name: str) -> dict[str, str]:
        return {f"{exp}/{name}/__init__.py": f"from .{name}_trainer import "
                                             f"{name.capitalize()}Trainer\n",
                f"{exp}/{name}/{name}_trainer.py": trainer(name, 1),
                f"tests/experimental/test_{name}.py": f"def test_{name}():\n    assert True\n",
                f"docs/{name}.md": f"# {name}\n\nThe {name} trainer.\n"}

    return [
        Step("L00", 0, "Ada", {  # the repository; it creates omega's module, still stable
            "pyproject.toml": PYPROJECT, ".gitignore": "__pycache__/\n",
            "trl/__init__.py": '"""mini trl."""\n',
            "trl/trainer/__init__.py": "from .base_trainer import BaseTrainer\n",
            "trl/trainer/base_trainer.py": BASE_V1,
            "trl/trainer/sft_trainer.py": trainer("sft", 1),
            "trl/trainer/old_trainer.py": trainer("omega", 1),
            **{path: f"VALUE = {i}\n" for i, path in enumerate(STABLE_MODULES)},
            f"{exp}/__init__.py": '"""Experimental features."""\n',
            "docs/index.md": "# Index\n", toc: "- local: index\n",
            "docs/paper_index.md": "# Papers\n"}),
        Step("L01", 5, "Ada", {  # three siblings in one commit: code, tests, pages, navigation
            **feature_files("eps"), **feature_files("zeta"), **feature_files("eta"),
            toc: "- local: index\n- local: eps\n- local: zeta\n- local: eta\n",
            "docs/paper_index.md": "# Papers\n\n## eps, zeta, eta\n",
            "docs/index.md": "# Index\n\nNew: eps, zeta and eta.\n",
            "examples/run_eps.py": "from trl.experimental.eps import EpsTrainer\n"}),
        Step("L02", 8, "Bob", {f"{exp}/eta/eta_trainer.py": trainer("eta", 2)}),
        Step("L03", 10, "Ada", {"docs/eps.md": "# eps\n\nThe eps trainer, explained.\n",
                                "docs/index.md": "# Index\n\nNew: eps (see its page).\n"}),
        Step("L04", 12, "Bot", {  # lint: one line in every trainer
            f"{exp}/eps/eps_trainer.py": trainer("eps", 2),
            f"{exp}/zeta/zeta_trainer.py": trainer("zeta", 2),
            f"{exp}/eta/eta_trainer.py": trainer("eta", 3),
            "trl/trainer/sft_trainer.py": trainer("sft", 2)}),
        Step("L05", 14, "Cy", {  # typing: the same annotation in two features and stable code
            f"{exp}/eps/__init__.py": "from .eps_trainer import EpsTrainer  # typed\n",
            f"{exp}/eta/__init__.py": "from .eta_trainer import EtaTrainer  # typed\n",
            "trl/trainer/__init__.py": "from .base_trainer import BaseTrainer  # typed\n"}),
        Step("L06", 16, "Dee", {  # a renamed argument in every trainer, the stable ones too
            "trl/trainer/base_trainer.py": BASE_V1.replace("lr", "learning_rate"),
            "trl/trainer/sft_trainer.py": trainer("sft", 2, arg="learning_rate"),
            "trl/trainer/old_trainer.py": trainer("omega", 1, arg="learning_rate"),
            f"{exp}/eps/eps_trainer.py": trainer("eps", 2, arg="learning_rate"),
            f"{exp}/zeta/zeta_trainer.py": trainer("zeta", 2, arg="learning_rate"),
            f"{exp}/eta/eta_trainer.py": trainer("eta", 3, arg="learning_rate")}),
        Step("L07", 20, "Eve", {  # a stable module moves in and becomes the feature omega
            f"{exp}/omega/omega_trainer.py": trainer("omega", 2, arg="learning_rate"),
            f"{exp}/omega/__init__.py": "from .omega_trainer import OmegaTrainer\n",
            "tests/experimental/test_omega.py": "def test_omega():\n    assert True\n",
            "docs/omega.md": "# omega\n\nOnce stable.\n"},
             move={"trl/trainer/old_trainer.py": f"{exp}/omega/omega_trainer.py"}),
        Step("L08", 22, "Eve", {  # a rename inside the feature
            f"{exp}/omega/__init__.py": "from .trainer import OmegaTrainer\n"},
             move={f"{exp}/omega/omega_trainer.py": f"{exp}/omega/trainer.py"}),
        Step("L09", 25, "Ada", {  # the feature zeta renamed zed
            toc: "- local: index\n- local: eps\n- local: zed\n- local: eta\n"},
             move={f"{exp}/zeta/__init__.py": f"{exp}/zed/__init__.py",
                   f"{exp}/zeta/zeta_trainer.py": f"{exp}/zed/zeta_trainer.py",
                   "tests/experimental/test_zeta.py": "tests/experimental/test_zed.py",
                   "docs/zeta.md": "docs/zed.md"}),
        Step("L10", 30, "Bob", {  # a fix in eta that also touches one line of eps
            f"{exp}/eta/eta_trainer.py": trainer("eta", 4, extra=20, arg="learning_rate"),
            f"{exp}/eps/eps_trainer.py": trainer("eps", 3, arg="learning_rate")}),
        Step("L11", 35, "Bot", {  # a repository-wide refactor that touches eps in passing
            **{path: f"VALUE = {i}  # refactored\n" for i, path in enumerate(STABLE_MODULES)},
            f"{exp}/eps/eps_trainer.py": trainer("eps", 4, arg="learning_rate")}),
        Step("L12", 40, "Ada", {  # the docs of every feature, no code
            **{f"docs/{n}.md": f"# {n}\n\nReworded.\n" for n in ("eps", "zed", "eta", "omega")},
            "docs/index.md": "# Index\n\nReworded.\n"}),
        Step("L13", 45, "Cy", {  # a fix in eps, with its test, and a little stable code
            f"{exp}/eps/eps_trainer.py": trainer("eps", 5, extra=10, arg="learning_rate"),
            "tests/experimental/test_eps.py": "def test_eps():\n    assert 1\n",
            STABLE_MODULES[0]: "VALUE = 0  # for eps\n",
            STABLE_MODULES[1]: "VALUE = 1  # for eps\n"}),
    ]


#: What each commit is to each feature it touched: the rule that decides (own work:
#: created, moved, focused, follow-up; sweeps: many-features, many-files).
LIFECYCLE_TRUTH = {
    "eps": {"L01": "created", "L03": "follow-up", "L04": "many-features",
            "L05": "many-features", "L06": "many-features", "L10": "many-features",
            "L11": "many-files", "L12": "many-features", "L13": "focused"},
    "zed": {"L01": "created", "L04": "many-features", "L06": "many-features",
            "L09": "moved", "L12": "many-features"},
    "eta": {"L01": "created", "L02": "focused", "L04": "many-features",
            "L05": "many-features", "L06": "many-features", "L10": "focused",
            "L12": "many-features"},
    "omega": {"L00": "created", "L06": "many-features", "L07": "moved", "L08": "focused",
              "L12": "many-features"},
}
