"""``import fledge``, the namespace, ``fledge list`` and ``fledge info`` never import the
training stack: a plugin author depends on the host alone, and the CLI answers fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "trl", "datasets", "accelerate", "peft")

PROBE = """
import sys
{code}
print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def heavy_modules_after(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY="):].split(",") if m]


@pytest.mark.parametrize(
    "code",
    [
        "import fledge",
        "import fledge.experimental",
        "import fledge.experimental; dir(fledge.experimental)",
        "from fledge.cli import main; main(['list'])",
        "from fledge.cli import main; main(['list', '--json'])",
        "from fledge.cli import main; main(['info', 'bema_for_ref_model'])",
        "from fledge.cli import main; main(['doctor', '--shallow'])",
        # importing a feature's module object is not using it yet
        "import warnings; warnings.simplefilter('ignore'); "
        "import fledge.experimental.bema_for_ref_model",
    ],
)
def test_host_does_not_import_the_training_stack(code):
    assert heavy_modules_after(code) == []


def test_import_fledge_does_not_load_the_registry():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, fledge; print(json.dumps(sorted(sys.modules)))"
         .replace("sys, fledge", "sys, json, fledge")],
        capture_output=True, text=True, timeout=60,
    )
    modules = json.loads(done.stdout)
    assert "fledge._registry" not in modules
    assert "pluggy" not in modules


def test_import_fledge_imports_nothing_else():
    """``import fledge`` adds only itself to what ``python -c pass`` loads (issue: start-up
    cost); every public name loads its module on first access."""
    probe = ("import json, sys; base = set(sys.modules); import fledge; "
             "print(json.dumps(sorted(set(sys.modules) - base)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert json.loads(done.stdout) == ["fledge"]
    first_use = subprocess.run(
        [sys.executable, "-c", "import fledge; print(fledge.Feature.__module__, "
         "fledge.Host.__name__, fledge.ExperimentalWarning.__module__)"],
        capture_output=True, text=True, timeout=60)
    assert first_use.stdout.split() == ["fledge", "Host", "fledge"]
