"""After an applied plan: keep the Python environment in step with the repository.

An editable install records the entry points of ``pyproject.toml`` when it is installed.
A plan that moves a feature rewrites those entry points, so the installed metadata still
names the old modules, and ``fledge list``, ``fledge demo`` and the moved tests miss the
feature until the project is reinstalled. When the repository is the one installed
editable in this environment, promote reinstalls it (``pip install --no-deps -e ROOT``,
seconds) and says so; otherwise it says what to run.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import metadata

from ..planning._plan import Plan
from ..repository._config import tomllib
from ..repository._repo import Repo, editable_root

__all__ = ["refresh_install"]

PYPROJECT = "pyproject.toml"


def refresh_install(repo: Repo, plan: Plan,
                    progress: Callable[[str], None] = lambda line: None) -> str | None:
    """Reinstall the target project when ``plan`` changed its entry points.

    Returns:
        What was done, or what the user must do, for the summary; None when the plan did
        not change the entry points or the project is not installed here.
    """
    before, after = plan.originals.get(PYPROJECT), plan.writes.get(PYPROJECT)
    if before is None or after is None:
        return None
    old = _project(before).get("entry-points", {})
    new = _project(after).get("entry-points", {})
    name = _project(after).get("name")
    if old == new or not name:
        return None
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    # pip's own defaults (build isolation included), as the project was installed
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e",
               str(repo.root)]
    if editable_root(dist) != repo.root.resolve():
        return (f"{name} is installed here from elsewhere, so its entry points still name the "
                f"old modules; reinstall the project you work on (pip install -e .)")
    progress(f"reinstalling {name} (editable) so its entry points name the new modules")
    done = subprocess.run(command, capture_output=True, text=True, cwd=repo.root)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return (f"the entry points of {name} changed, and reinstalling it failed ({reason}); "
                f"run: {' '.join(command[2:])}")
    return f"reinstalled {name} (editable): its entry points now name the new modules"


def _project(pyproject: str) -> dict:
    try:
        return tomllib.loads(pyproject).get("project", {})
    except tomllib.TOMLDecodeError:
        return {}
