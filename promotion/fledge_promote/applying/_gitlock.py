"""Git commands run by ``--apply``, recorded in the journal so a killed run leaves git usable.

Before each ``git mv`` or ``git rm``, ``git.json`` in the journal says which command runs,
and its pid once started; it goes when the command ends. A run killed meanwhile (SIGKILL of
its process group, a cancelled CI job) can leave git's ``index.lock`` behind, and every later
git command would fail. ``promote --recover`` removes that lock when the recorded git
process is gone, and never while a git process of the repository still runs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .._errors import ApplyError, PlanError
from ..repository._repo import JOURNAL_DIR, Repo, write_json_atomic

__all__ = ["release_stale_lock", "run_recorded_git"]

RECORD = "git.json"


def run_recorded_git(repo: Repo, *args: str) -> None:
    """Run ``git args`` in the repository, recorded in the journal while it runs.

    Raises:
        PlanError: git failed (the caller rolls back).
    """
    record = repo.root / JOURNAL_DIR / RECORD
    write_json_atomic(record, {"command": ["git", *args], "pid": None})
    process = subprocess.Popen(["git", *args], cwd=repo.root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    write_json_atomic(record, {"command": ["git", *args], "pid": process.pid})
    _, stderr = process.communicate()
    record.unlink()
    if process.returncode:
        raise PlanError([f"git {' '.join(args)} failed: {stderr.strip()}"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; a reused pid running something else is not our git
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rpartition(")")[2].split()[0] == "Z":
            return False
        return b"git" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return True


def _git_processes_in(root: Path) -> list[int]:
    """Pids of live git processes working in ``root`` (Linux /proc; empty elsewhere)."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0]
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if os.path.basename(argv0) == b"git" and cwd == root and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def release_stale_lock(repo: Repo) -> str | None:
    """Remove the ``index.lock`` a killed run's git command left; say what was done.

    Returns:
        A sentence for the user when a lock was removed or left in place, else None.

    Raises:
        ApplyError: the recorded git process (or another git in this repository) still
            runs; its lock is not touched.
    """
    record = repo.root / JOURNAL_DIR / RECORD
    if not record.exists():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):  # cut short or not ours: as if the command had not started
        data = {}
    words = data.get("command")
    command = " ".join(words) if isinstance(words, list) and words and all(
        isinstance(w, str) for w in words) else "git"
    command = command[:200]
    pid = data.get("pid")
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 2**31 \
        else None
    lock = repo.git_path("index.lock")
    if isinstance(pid, int) and _alive(pid):
        raise ApplyError(f"`{command}` of the interrupted run (pid {pid}) is still running; "
                         "wait for it to end, then run `promote --recover` again",
                         restored=False)
    running = _git_processes_in(repo.root)
    if lock is not None and lock.exists() and running:
        raise ApplyError(f"git (pid {running[0]}) is running in {repo.root} and may hold "
                         f"{lock.name}; wait for it to end, then run `promote --recover` again",
                         restored=False)
    record.unlink()
    if lock is None or not lock.exists():
        return None
    lock.unlink()
    who = f"pid {pid}" if isinstance(pid, int) else "not yet started"
    return (f"removed {lock.relative_to(repo.root) if lock.is_relative_to(repo.root) else lock}"
            f" left by the killed `{command}` ({who}); git is usable again")
