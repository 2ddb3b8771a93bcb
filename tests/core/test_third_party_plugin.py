"""End to end: a third-party plugin distribution, really pip-installed beside fledge.

A fresh virtual environment gets fledge (built from this checkout) and the example plugin in
``examples/fledge-length-reward``; no entry point is faked. The environment borrows the
test process's site directories only for fledge's own dependencies (pluggy, packaging,
hatchling, pytest), through a ``.pth`` line placed after its own site-packages
(``tests/venvs.py``), whether the tests run in a venv or in a bare system Python.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from venvs import make_venv, pip, run_clean

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "fledge-length-reward"

pytestmark = pytest.mark.slow


def sh(*argv, **kwargs) -> subprocess.CompletedProcess:
    return run_clean(*argv, **kwargs)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    python = make_venv(root)
    pip(python, "install", "-q", "--no-deps", "--no-build-isolation", REPO)
    pip(python, "install", "-q", "--no-deps", "--no-build-isolation", EXAMPLE)
    return root


def fledge_list(venv: Path) -> dict[str, dict]:
    done = sh(venv / "bin" / "fledge", "list", "--json", cwd=venv)
    return {row["name"]: row for row in json.loads(done.stdout)}


def test_fledge_list_shows_the_installed_plugin(venv):
    rows = fledge_list(venv)
    row = rows["length_reward"]
    assert (row["distribution"], row["version"], row["status"]) == (
        "fledge-length-reward", "0.2.0", "ok")
    assert row["owners"] == ["example-org"]
    assert {"bema_for_ref_model", "grpo_with_replay_buffer"} <= set(rows)
    # the venv's own fledge, not the checkout's editable install, answered
    where = sh(venv / "bin" / "python", "-c", "import fledge; print(fledge.__file__)", cwd=venv)
    assert where.stdout.startswith(str(venv))


def test_import_through_the_namespace_warns_once_and_works(venv):
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "from fledge.experimental.length_reward import length_reward\n"
        "from fledge.experimental.length_reward import LengthReward\n"
        "print(length_reward(['abcd', 'ab'], target_length=4))\n"
    )
    done = sh(venv / "bin" / "python", "-c", code, cwd=venv)
    assert done.stdout.strip() == "[1.0, 0.5]"
    notices = [ln for ln in done.stderr.splitlines() if "ExperimentalWarning" in ln]
    assert len(notices) == 1
    assert notices[0].startswith(
        "<string>:3: ExperimentalWarning: fledge.experimental.length_reward")


def test_the_plugins_own_tests_pass_there(venv):
    done = sh(venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
              EXAMPLE / "tests", cwd=venv)
    assert "4 passed" in done.stdout


def test_uninstalling_removes_it(venv):
    pip(venv / "bin" / "python", "uninstall", "-q", "-y", "fledge-length-reward")
    assert "length_reward" not in fledge_list(venv)
    code = (
        "try:\n    import fledge.experimental.length_reward\n"
        "except ModuleNotFoundError as error:\n    print(f\"{type(error).__name__}: {error}\")\n"
    )
    done = sh(venv / "bin" / "python", "-c", code, cwd=venv)
    assert done.stdout.startswith("FeatureNotFoundError: no feature named 'length_reward'")
