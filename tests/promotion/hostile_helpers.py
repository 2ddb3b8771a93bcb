"""Helpers of the hostile-input tests: a tree snapshot that covers the repository *and* what
lies beside it, and the promote command line run in this process."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from fledge_promote.cli import main


def tree_state(top: Path) -> dict[str, str]:
    """Every file, folder and symbolic link under ``top`` with its content hash, mode or
    target (git's own folder and byte-code caches left out: git rewrites its index's stat
    data on a mere ``git status``)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                state[rel] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                state[rel] = f"dir {path.stat().st_mode & 0o7777:o}"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[rel] = f"file {path.stat().st_mode & 0o7777:o} {digest}"
    return state


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def run(argv: Sequence[str]) -> Outcome:
    """``promote argv`` in this process: exit status, standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return Outcome(status, out.getvalue(), err.getvalue())


def assert_clean_failure(done: Outcome, status: int, words: str) -> None:
    """Exit ``status``, ``words`` in the message, and no traceback anywhere."""
    said = done.stdout + done.stderr
    assert done.status == status, said
    assert words in said, said
    assert "Traceback" not in said and "internal error" not in said, said
