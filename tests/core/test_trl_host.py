"""Proof on TRL's real code: ``trl.experimental`` served by fledge.

The installed ``trl`` package is copied and served as docs/adopting.md shows (see
``tests/trl_served.py``). A third-party plugin in the ``trl.experimental`` group is
pip-installed into a virtual environment, and a probe runs there with the copy first on
``sys.path``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from trl_served import features_of, served_trl_copy
from venvs import clean_env, make_venv, pip, run_clean

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

PLUGIN_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "trl-length-bonus"
version = "0.3.0"
dependencies = ["fledge"]

[project.entry-points."trl.experimental"]
length_bonus = "trl_length_bonus"

[tool.hatch.build.targets.wheel]
packages = ["trl_length_bonus"]
"""

PLUGIN_INIT = """\
import fledge

FEATURE = fledge.Feature(
    name="length_bonus", summary="Reward each completion by its length.",
    module="trl_length_bonus.core", exports=("length_bonus",), since="0.3.0",
    owners=("someone-else",),
)


@fledge.hookimpl
def fledge_features():
    return [FEATURE]
"""

PLUGIN_CORE = """\
def length_bonus(completions, **kwargs):
    return [float(len(c)) for c in completions]
"""

# Runs in the venv. Every check records what it saw; the test asserts on the record.
PROBE = """\
import json, os, sys, warnings

from trl.import_utils import TRLExperimentalWarning

import fledge

seen = {{}}
warnings.simplefilter("always")


def notices(record):
    return [(w.category.__name__, str(w.message), w.filename, w.lineno) for w in record
            if issubclass(w.category, (TRLExperimentalWarning, fledge.FledgeWarning))]


with warnings.catch_warnings(record=True) as record:
    import trl.experimental
seen["namespace_notices"] = notices(record)
seen["loaded_after_namespace"] = sorted(
    m for m in sys.modules if m.startswith("trl.experimental.") or m.endswith("_trainer")
    or m in ("torch", "transformers"))
seen["dir"] = dir(trl.experimental)

with warnings.catch_warnings(record=True) as record:
    from trl.experimental.{a} import {trainer_a} as trainer_a  # the line of the notice
    from trl.experimental.{a} import {trainer_a} as again
seen["a_notices"] = notices(record)
seen["a_class"] = [trainer_a.__module__, trainer_a.__name__, again is trainer_a]

with warnings.catch_warnings(record=True) as record:
    import trl.experimental.{b}
seen["b_notices"] = notices(record)

os.environ["TRL_EXPERIMENTAL_SILENCE"] = "{c}"  # read at each notice: silences {c} only
with warnings.catch_warnings(record=True) as record:
    import trl.experimental.{c}
    import trl.experimental.{d}
seen["one_silenced"] = notices(record)

os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
with warnings.catch_warnings(record=True) as record:
    import trl.experimental.{e}
    from trl.experimental.length_bonus import length_bonus
seen["all_silenced"] = notices(record)
seen["plugin"] = [length_bonus.__module__, length_bonus(["ab", "abcd"])]
del os.environ["TRL_EXPERIMENTAL_SILENCE"]

try:
    import trl.experimental.{typo}
except ModuleNotFoundError as error:
    seen["typo"] = [type(error).__name__, str(error)]

with warnings.catch_warnings(record=True) as record:
    from fledge.experimental.bema_for_ref_model import BEMACallback
seen["fledge_notices"] = notices(record)
seen["fledge_class"] = BEMACallback.__module__
seen["fledge_dir"] = dir(fledge.experimental)
print("PROBE=" + json.dumps(seen))
"""

LISTING = """\
import sys
from fledge.cli import main
code = main(["list", "--host", "trl", "--json"])
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def static_exports(init: Path) -> list[str] | None:
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


def trainer_of(init: Path) -> str | None:
    """The first ``...Trainer`` name a feature package imports from its own modules."""
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                if alias.name.endswith("Trainer"):
                    return alias.asname or alias.name
    return None


@pytest.fixture(scope="module")
def trl_copy(tmp_path_factory) -> Path:
    return served_trl_copy(tmp_path_factory.mktemp("trl-copy"))


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trl-host")
    plugin = root / "trl-length-bonus"
    (plugin / "trl_length_bonus").mkdir(parents=True)
    (plugin / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (plugin / "trl_length_bonus" / "__init__.py").write_text(PLUGIN_INIT)
    (plugin / "trl_length_bonus" / "core.py").write_text(PLUGIN_CORE)
    python = make_venv(root / "venv")
    pip(python, "install", "-q", "--no-deps", "--no-build-isolation", plugin)
    return python


def environment(copy: Path) -> dict[str, str]:
    env = clean_env(PYTHONPATH=str(copy))
    env.pop("TRL_EXPERIMENTAL_SILENCE", None)
    return env


def test_trl_experimental_is_a_fledge_namespace(trl_copy: Path, venv_python: Path) -> None:
    features = features_of(trl_copy)
    with_trainers = [(name, trainer_of(init)) for name, init in features.items()
                     if trainer_of(init)]
    assert len(with_trainers) >= 2 and len(features) >= 5, features
    (a, trainer_a), (b, _) = with_trainers[:2]
    c, d, e = [name for name, _ in with_trainers[2:5]] if len(with_trainers) >= 5 else [
        n for n in features if n not in (a, b)][:3]
    typo = a[:-1] + ("x" if a[-1] != "x" else "y")
    script = PROBE.format(a=a, b=b, c=c, d=d, e=e, typo=typo, trainer_a=trainer_a)
    a_line = 1 + next(i for i, ln in enumerate(script.splitlines()) if "# the line of" in ln)
    probe = trl_copy.parent / "probe.py"
    probe.write_text(script)
    done = run_clean(venv_python, probe, env=environment(trl_copy), timeout=600)
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith("PROBE=")]
    seen = json.loads(line[len("PROBE="):])

    # import trl.experimental: no notice, no feature, no trainer, no torch
    assert seen["namespace_notices"] == []
    assert seen["loaded_after_namespace"] == []
    # dir(): every feature subpackage of this TRL release, and the installed plugin
    assert seen["dir"] == sorted([*features, "length_bonus"])
    # the first feature: one notice, TRLExperimentalWarning, at the probe's own line
    [(category, message, filename, lineno)] = seen["a_notices"]
    assert (category, Path(filename), lineno) == ("TRLExperimentalWarning", probe, a_line)
    assert message.startswith(f"trl.experimental.{a} is experimental (since trl ")
    assert seen["a_class"] == [seen["a_class"][0], trainer_a, True]
    assert seen["a_class"][0].startswith(f"trl.experimental.{a}.")  # TRL's own class
    # a second feature warns on its own
    [(category, message, _, _)] = seen["b_notices"]
    assert (category, message.split(" ")[0]) == ("TRLExperimentalWarning",
                                                  f"trl.experimental.{b}")
    # TRL_EXPERIMENTAL_SILENCE=<one> silences that one only; =1 silences all
    assert [m.split(" ")[0] for _, m, _, _ in seen["one_silenced"]] == [f"trl.experimental.{d}"]
    assert seen["all_silenced"] == []
    # the third-party plugin, importable under trl.experimental
    assert seen["plugin"] == ["trl_length_bonus.core", [2.0, 4.0]]
    # an unknown name: ModuleNotFoundError with the close matches
    assert seen["typo"][0] == "FeatureNotFoundError"
    assert f"Did you mean '{a}'" in seen["typo"][1]
    # fledge.experimental in the same process: its own features and notices, unaffected
    [(category, message, _, _)] = seen["fledge_notices"]
    assert category == "ExperimentalWarning"
    assert message.startswith("fledge.experimental.bema_for_ref_model is an experimental")
    assert seen["fledge_class"].startswith("fledge_plugins.bema_for_ref_model")
    assert {"bema_for_ref_model", "grpo_with_replay_buffer"} <= set(seen["fledge_dir"])


def test_fledge_list_host_trl_lists_them_all(trl_copy: Path, venv_python: Path) -> None:
    features = features_of(trl_copy)
    done = run_clean(venv_python, "-c", LISTING, env=environment(trl_copy), timeout=300)
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert sorted(rows) == sorted([*features, "length_bonus"])
    assert "HEAVY=\n" in done.stderr + "\n"  # listing imported neither torch nor transformers
    plugin = rows["length_bonus"]
    assert (plugin["source"], plugin["distribution"], plugin["version"]) == (
        "plugin", "trl-length-bonus", "0.3.0")
    assert plugin["import_path"] == "trl.experimental.length_bonus"
    for name, init in features.items():
        row = rows[name]
        assert (row["source"], row["distribution"], row["status"]) == ("in-tree", "trl", "ok")
        exports = static_exports(init)
        if exports is not None:  # read from the package's __all__ without importing it
            assert row["exports"] == exports, name
        assert row["exports"], name
