"""Virtual environments for tests that install distributions the way a user would.

``python -m venv --system-site-packages`` exposes the *base* interpreter's site-packages.
When the test process itself runs in a virtual environment (the README's quick start, and
CI), that is the wrong set: fledge's dependencies, the ``dev`` extra (hatchling, pytest)
and the editable install of this checkout live in the outer venv, not in the base Python.
:func:`make_venv` instead points the new environment at the site directories the *running*
interpreter uses, through a ``.pth`` file processed after the new environment's own
site-packages. What gets installed into the new environment shadows the outer packages;
everything else is borrowed. It works the same from a venv and from a bare system Python.

Usage::

    from venvs import make_venv, pip, run_clean

    python = make_venv(tmp_path / "venv")
    pip(python, "install", "--no-deps", "--no-build-isolation", REPO)
    run_clean(python, "-c", "import fledge")
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

__all__ = ["clean_env", "make_venv", "outer_site_dirs", "pip", "run_clean"]

PTH_NAME = "zz_outer_site.pth"
"""The ``.pth`` file that borrows the outer site directories (sorted last on purpose)."""

_STRIPPED = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__", "CONDA_PREFIX")


def outer_site_dirs() -> list[str]:
    """The site directories of the running interpreter, in its own search order.

    These are ``sysconfig``'s purelib and platlib, :func:`site.getsitepackages` (which in a
    venv made with ``--system-site-packages`` includes the base's), the user site when it is
    enabled, and any other ``site-packages`` or ``dist-packages`` folder on ``sys.path``.
    Adding them with :func:`site.addsitedir` also runs their ``.pth`` files, so editable
    installs (path entries or import-hook finders) come along.

    Returns:
        Existing directories, without duplicates, ordered as they appear on ``sys.path``.
    """
    paths = sysconfig.get_paths()
    candidates = [paths["purelib"], paths["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    candidates += [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    seen = [os.path.realpath(p) for p in dict.fromkeys(candidates) if os.path.isdir(p)]
    order = {os.path.realpath(p): i for i, p in reversed(list(enumerate(sys.path))) if p}
    return sorted(dict.fromkeys(seen), key=lambda p: order.get(p, len(order)))


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without what would leak the outer environment or fledge's state.

    Drops ``VIRTUAL_ENV``, ``PYTHONPATH``, ``PYTHONHOME`` and every ``FLEDGE_*`` variable (so
    a developer's silence or plugin switches do not change what a test sees), and turns off
    pip's version check.

    Args:
        **extra: Variables to set on top.

    Returns:
        A new mapping for ``subprocess``'s ``env``.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in _STRIPPED and not k.startswith("FLEDGE_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def run_clean(*argv: object, cwd: Path | str | None = None, timeout: float = 300,
              check: bool = True, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """Run a command with :func:`clean_env`, capturing text output.

    Args:
        *argv: The command and its arguments (paths are turned into strings).
        cwd: The working folder.
        timeout: Seconds before the command is killed.
        check: Raise :class:`AssertionError` with both streams when the command fails.
        env: The environment to use instead of :func:`clean_env`.

    Returns:
        The finished process.

    Raises:
        AssertionError: ``check`` is set and the command exited non-zero.
    """
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=clean_env() if env is None else env,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, (
            f"{[str(a) for a in argv]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def make_venv(root: Path | str, *, borrow: bool = True) -> Path:
    """Create a virtual environment at ``root`` and return the path to its Python.

    The environment is created from the running interpreter (whose base Python ``venv``
    uses, even inside a venv) without pip. With ``borrow`` (the default) it sees the
    running interpreter's site directories (:func:`outer_site_dirs`) after its own, so
    fledge's dependencies, hatchling and pytest need not be installed again, and pip comes
    from the outer environment too; whatever is installed into it shadows the borrowed
    packages. When the borrowed directories hold no pip, pip is bootstrapped with
    ``ensurepip``.

    Args:
        root: The folder to create (it may exist and be empty).
        borrow: Whether to borrow the outer site directories; without, the environment is
            bare and gets its own pip.

    Returns:
        The environment's ``python`` executable.
    """
    root = Path(root)
    run_clean(sys.executable, "-m", "venv", "--without-pip", root, timeout=120)
    python = root / ("Scripts" if os.name == "nt" else "bin") / (
        "python.exe" if os.name == "nt" else "python")
    if borrow:
        purelib = run_clean(python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                          "['purelib'])").stdout.strip()
        lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in outer_site_dirs())
        Path(purelib, PTH_NAME).write_text(lines)
    if run_clean(python, "-c", "import pip", check=False).returncode:
        run_clean(python, "-m", "ensurepip", "--default-pip", timeout=300)
    return python


def pip(python: Path | str, *args: object, cwd: Path | str | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run pip in the environment of ``python`` (``python -m pip ARGS``), failing loudly.

    Args:
        python: The environment's interpreter, as :func:`make_venv` returns it.
        *args: pip's command and arguments, for example ``"install", "--no-deps", path``.
        cwd: The working folder.
        timeout: Seconds before pip is killed.

    Returns:
        The finished process.
    """
    return run_clean(python, "-m", "pip", *args, cwd=cwd, timeout=timeout)
