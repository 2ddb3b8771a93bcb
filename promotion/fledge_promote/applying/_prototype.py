"""Before an include is applied: the prototype it replaces leaves the environment.

A prototype still installed where promote runs provides the feature a second time (a
plugin registers it twice, and the moved tests see two distributions); ``include --apply
--uninstall-prototype`` removes it with pip, in the running environment, before anything is
written.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from .._errors import RefusedError

__all__ = ["uninstall"]


def uninstall(distribution: str, progress: Callable[[str], None] = lambda line: None) -> None:
    """``pip uninstall -y distribution`` in the running environment.

    Raises:
        RefusedError: pip failed or left it installed (nothing of the plan was written).
    """
    command = [sys.executable, "-m", "pip", "uninstall", "--yes", distribution]
    progress(f"uninstalling the prototype {distribution}: {' '.join(command[2:])}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or _installed(distribution):
        reason = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines()
                  or ["no output"])[-1]
        raise RefusedError(f"could not uninstall the prototype {distribution} ({reason}); "
                         f"uninstall it yourself ({' '.join(command)}) and run include again. "
                         "Nothing was written.")


def _installed(distribution: str) -> bool:
    """Whether it is still installed, asked of a fresh interpreter (this one's metadata
    search paths were read before pip ran)."""
    done = subprocess.run([sys.executable, "-c", "import importlib.metadata as m, sys; "
                           f"m.distribution({distribution!r})"], capture_output=True)
    return done.returncode == 0
