"""The shims promote and demote leave: the same objects at run time, one FutureWarning per
read, and PEP 702 deprecations that mypy reports with the warning's own text."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from promote_helpers import commit_all, promote, python, write

from fledge_promote.planning._shims import deprecatable_names, shim_source
from fledge_promote.repository._style import TargetStyle

MESSAGE = ("pkg.old was promoted to the stable API in 1.0.0: import it from pkg.new instead. "
           "This shim will be removed in 1.2.0.")

NEW = '''
import enum
from typing import Generic, Protocol, TypeVar, final

T = TypeVar("T")
LIMIT = 3


class Trainer:
    def __init__(self, steps: int) -> None:
        self.steps = steps


class TrainingError(RuntimeError):
    pass


def scale(value: int, factor: int = 2) -> int:
    return value * factor


async def fetch(value: int) -> int:
    return value


class Mode(enum.Enum):
    FAST = 1


class Box(Generic[T]):
    pass


class Sized(Protocol):
    def size(self) -> int: ...


@final
class Sealed:
    pass
'''


def test_deprecatable_names_are_functions_and_classes_a_subclass_can_stand_in_for():
    assert deprecatable_names(NEW) == {
        "Trainer": "class", "TrainingError": "class", "scale": "function",
        "fetch": "function"}
    assert deprecatable_names("def broken(:\n") == {}


def _package(root: Path) -> Path:
    write(root, {"pkg/__init__.py": "", "pkg/new.py": NEW})
    names = ["LIMIT", "Trainer", "TrainingError", "scale", "fetch", "Mode", "Box", "Sized",
             "Sealed"]
    shim = shim_source("pkg.old", "pkg.new", {"pkg.new": names}, message=MESSAGE,
                       version="1.0.0", removal="1.2.0", style=TargetStyle(line_length=100),
                       texts={"pkg.new": NEW})
    (root / "pkg/old.py").write_text(shim)
    return root / "pkg/old.py"


USE = '''
import warnings
warnings.simplefilter("always")
import pkg.new as new
with warnings.catch_warnings(record=True) as caught:
    import pkg.old as old
    from pkg.old import Trainer, scale
    trainer = Trainer(4)
    doubled = scale(3)
    try:
        raise new.TrainingError("x")
    except old.TrainingError:
        caught_it = True
    assert old.scale is scale  # read before: bound now, no second warning
assert Trainer is new.Trainer and scale is new.scale and old.Mode is new.Mode
assert isinstance(trainer, new.Trainer) and doubled == 6 and caught_it
for w in caught:
    print(w.category.__name__, w.lineno, w.message)
try:
    old.missing
except AttributeError as exc:
    print("missing:", exc)
'''


@pytest.mark.parametrize("hide_typing_extensions", [False, True])
def test_a_shim_keeps_each_object_and_warns_once_per_read(tmp_path, hide_typing_extensions):
    _package(tmp_path)
    prelude = "import sys; sys.modules['typing_extensions'] = None\n" \
        if hide_typing_extensions else ""
    (tmp_path / "use.py").write_text(prelude + textwrap.dedent(USE))
    done = subprocess.run([sys.executable, "use.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    offset = 1 if hide_typing_extensions else 0
    # one warning per name read through the old path, at the reading line; none on import,
    # none when the class is instantiated or the function called, none on a second read
    assert lines[:3] == [f"FutureWarning {7 + offset} {MESSAGE}"] * 2 + [
        f"FutureWarning {12 + offset} {MESSAGE}"]
    assert lines[3] == "missing: module 'pkg.old' has no attribute 'missing'"


def _mypy(root: Path, user_code: str, *extra: str) -> subprocess.CompletedProcess:
    (root / "user_code.py").write_text(textwrap.dedent(user_code))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--enable-error-code", "deprecated", "--no-incremental",
         "--cache-dir", str(root / ".mypy_cache"), "--follow-imports", "silent",
         "--no-error-summary", *extra, "user_code.py"],
        cwd=root, capture_output=True, text=True, timeout=300)


def _deprecations(report: str) -> dict[str, str]:
    """``{what: message}`` of each ``[deprecated]`` error mypy printed."""
    return dict(re.findall(r"error: (\w+ [\w.]+) is deprecated: (.*)  \[deprecated\]", report))


@pytest.mark.slow
@pytest.mark.parametrize("version", ["3.10", "3.13"])  # typing_extensions', then warnings'
def test_mypy_reports_the_shims_classes_and_functions_with_the_warnings_text(tmp_path,
                                                                            version):
    _package(tmp_path)
    checked = _mypy(tmp_path, """
        from pkg.old import LIMIT, Mode, Trainer, TrainingError, fetch, scale
        import pkg.old

        pkg.old.scale("three")
        pkg.old.Box()
        """, "--python-version", version)
    assert _deprecations(checked.stdout) == {
        "class pkg.old.Trainer": MESSAGE, "class pkg.old.TrainingError": MESSAGE,
        "function pkg.old.fetch": MESSAGE, "function pkg.old.scale": MESSAGE}
    # the function keeps its signature: a wrong argument is still an error
    assert 'Argument 1 to "scale" has incompatible type "str"; expected "int"' in checked.stdout
    assert "LIMIT" not in checked.stdout and "Mode" not in checked.stdout
    shim_itself = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / ".mypy_cache"), "--python-version", version, "pkg"], cwd=tmp_path,
        capture_output=True, text=True)
    assert shim_itself.returncode == 0, shim_itself.stdout


def _runtime_warning(root: Path, statement: str) -> str:
    used = python(root, f"""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            {statement}
        messages = [str(w.message) for w in caught if w.category is FutureWarning]
        assert len(messages) == 1, messages
        print(messages[0])
        """, ".")
    assert used.returncode == 0, used.stderr
    return used.stdout.strip()


@pytest.mark.slow
def test_mypy_sees_what_a_real_promotion_and_demotion_leave(trl_repo):
    root = trl_repo
    done = promote(root, "foo", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    promoted = _runtime_warning(root, "from trl.experimental.foo import FooTrainer")
    assert promoted.startswith("trl.experimental.foo was promoted to the stable API")
    checked = _mypy(root, """
        from trl.experimental.foo import FooTrainer
        from trl.experimental.foo.foo_config import FooConfig
        """)
    assert _deprecations(checked.stdout) == {
        "class trl.experimental.foo.FooTrainer": promoted,
        "class trl.experimental.foo.foo_config.FooConfig": _runtime_warning(
            root, "from trl.experimental.foo.foo_config import FooConfig")}
    assert _deprecations(_mypy(root, "from trl.trainer.foo import FooTrainer\n").stdout) == {}

    commit_all(root, "promoted foo")
    done = promote(root, "demote", "foo", "--removal", "0.9.0", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    demoted = _runtime_warning(root, "from trl.trainer.foo.foo_trainer import FooTrainer")
    assert "moved back to the experimental namespace" in demoted
    checked = _mypy(root, "from trl.trainer.foo.foo_trainer import FooTrainer\n")
    assert _deprecations(checked.stdout) == {
        "class trl.trainer.foo.foo_trainer.FooTrainer": demoted}
    assert _deprecations(_mypy(root, "from trl.experimental.foo import FooTrainer\n").stdout
                         ) == {}


@pytest.mark.slow
def test_mypy_sees_what_a_real_deprecation_marks(trl_repo):
    root = trl_repo
    assert promote(root, "foo", "--apply", "-q").returncode == 0
    commit_all(root, "promoted foo")
    done = promote(root, "deprecate", "foo", "--removal", "0.6.0", "--replacement",
                   "trl.DPOTrainer", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    # the module warns once when imported; the classes themselves are untouched at run time
    warned = _runtime_warning(root, "from trl.trainer.foo import FooConfig, FooTrainer\n"
                              "            FooTrainer(FooConfig()).train()")
    assert warned == ("trl.trainer.foo is deprecated and will be removed in 0.6.0. Use "
                      "trl.DPOTrainer instead.")
    checked = _mypy(root, """
        from trl.trainer.foo.foo_config import FooConfig
        from trl.trainer.foo.foo_trainer import FooTrainer
        """)
    assert _deprecations(checked.stdout) == {
        "class trl.trainer.foo.foo_config.FooConfig": warned,
        "class trl.trainer.foo.foo_trainer.FooTrainer": warned}
    marked = ["trl/trainer/foo/foo_config.py", "trl/trainer/foo/foo_trainer.py"]
    linted = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *marked],
                            cwd=root, capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout  # no import after code, none unsorted
    hidden = python(root, """
        import sys, warnings
        sys.modules["typing_extensions"] = None
        warnings.simplefilter("ignore")
        from trl.trainer.foo import FooTrainer
        print(FooTrainer().train())
        """, ".")
    assert hidden.returncode == 0 and hidden.stdout.strip() == "0.2", hidden.stderr
