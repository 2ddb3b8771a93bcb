"""Launch a real multi-process run of a Python script on this machine and collect its results.

A test that must check distributed behaviour (every rank took the same decision, holds the
same weights) starts the script under ``torchrun`` or ``accelerate launch``, exactly as a
user would, and reads back one JSON result per rank::

    # the script, e.g. tests/.../_worker.py
    from fledge.testing.distributed import finish
    ...  # train with use_cpu=True in the training config
    finish({"rank": trainer.accelerator.process_index, "weights_digest": ...})

    # the test
    from fledge.testing.distributed import launch
    results = launch(Path(__file__).with_name("_worker.py"), "--steps", "3", nproc=2)
    assert results[0]["weights_digest"] == results[1]["weights_digest"]

What makes this work on a CPU-only machine: the workers are torchrun workers (``accelerate
launch --multi_gpu`` also starts torchrun workers, despite the flag's name), the process
group uses gloo when no GPU is visible, and the *script* must ask for the CPU
(``use_cpu=True`` in a ``transformers``/TRL training config, or ``Accelerator(cpu=True)``):
without it each worker trains alone (``DistributedType.NO``). ``accelerate launch --cpu``
starts a single process, so it is not used. GPUs are hidden from the workers by default.

This module imports no torch: the workers do.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

__all__ = ["RESULT_DIR_ENV", "LaunchError", "finish", "launch"]

#: The environment variable that tells each worker where to write its result.
RESULT_DIR_ENV = "FLEDGE_DIST_RESULT_DIR"

_TAIL_LINES = 40
#: Seconds the processes may take to exit once every rank wrote its result.
TEARDOWN_GRACE = 30.0
_POLL = 1.0


class LaunchError(RuntimeError):
    """A launched multi-process run failed, timed out or left a rank without a result.

    Attributes:
        script: the script that was launched.
        returncode: the launcher's exit status (``None`` after a timeout).
        stderr: each rank's standard error (tail), by rank; the launcher's own under ``-1``.
    """

    def __init__(self, message: str, *, script: Path, returncode: int | None,
                 stderr: dict[int, str]) -> None:
        self.script = script
        self.returncode = returncode
        self.stderr = stderr
        sections = [message]
        for rank in sorted(stderr):
            name = "launcher" if rank < 0 else f"rank {rank}"
            sections.append(f"--- {name} stderr (last {_TAIL_LINES} lines) ---\n"
                            f"{stderr[rank].rstrip() or '(empty)'}")
        super().__init__("\n".join(sections))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-_TAIL_LINES:])


def _rank_stderr(log_dir: Path, nproc: int) -> dict[int, str]:
    """Each rank's stderr, as torchrun's ``--log-dir`` lays it out
    (``<log_dir>/<run id>/attempt_<n>/<local rank>/stderr.log``; the last attempt wins)."""
    found: dict[int, str] = {}
    for rank in range(nproc):
        paths = sorted(log_dir.glob(f"*/attempt_*/{rank}/stderr.log"))
        if paths:
            found[rank] = _tail(paths[-1].read_text(encoding="utf-8", errors="replace"))
    return found


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux ``/proc``; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid ...": the name may hold spaces, so split after ')'.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _wait(process: subprocess.Popen[str], timeout: float, results_dir: Path, nproc: int,
          grace: float) -> tuple[str, str]:
    """Wait for the launcher; return its stderr and how the run ended.

    ``"exited"``: the launcher exited by itself. ``"timeout"``: the run passed ``timeout``
    and was stopped. ``"teardown"``: every rank wrote its result, then the processes hung for
    ``grace`` seconds (gloo's teardown does, now and then): they were stopped, and the
    results stand, since each rank wrote its own only after all of its work.
    """
    deadline = time.monotonic() + timeout
    all_done_at: float | None = None
    while True:
        try:
            return process.communicate(timeout=_POLL)[1], "exited"
        except subprocess.TimeoutExpired:
            pass  # communicate() may be called again without losing output
        now = time.monotonic()
        if all_done_at is None and len(list(results_dir.glob("rank-*.json"))) == nproc:
            all_done_at = now
        if all_done_at is not None and now - all_done_at > grace:
            return _stop(process)[1], "teardown"
        if now > deadline:
            return _stop(process)[1], "timeout"


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Stop a launcher and its workers; return what it wrote.

    torchrun starts each worker in a session of its own, so killing the launcher's process
    group would leave them running: the launcher gets SIGTERM first (it then stops its
    workers), and whatever is still alive after a grace period gets SIGKILL by pid.
    """
    workers = _descendants(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    for pid in [process.pid, *workers]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return process.communicate()


def _command(launcher: str, nproc: int, port: int, log_dir: Path, script: Path,
             args: tuple[str, ...]) -> list[str]:
    if launcher == "torchrun":
        head = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
                "--nnodes", "1", "--master-addr", "127.0.0.1", "--master-port", str(port),
                "--log-dir", str(log_dir), "--tee", "3"]
    elif launcher == "accelerate":
        head = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
                "--num_processes", str(nproc), "--num_machines", "1",
                "--main_process_ip", "127.0.0.1", "--main_process_port", str(port),
                "--mixed_precision", "no", "--dynamo_backend", "no",
                "--log_dir", str(log_dir), "--tee", "3"]
    else:
        raise ValueError(f"launch: launcher must be 'torchrun' or 'accelerate', got {launcher!r}")
    return [*head, str(script), *args]


def launch(
    script: str | os.PathLike[str],
    *args: str,
    nproc: int = 2,
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
    launcher: Literal["torchrun", "accelerate"] = "torchrun",
    cwd: str | os.PathLike[str] | None = None,
    hide_gpus: bool = True,
    teardown_grace: float = TEARDOWN_GRACE,
) -> list[dict[str, Any]]:
    """Run ``script`` on ``nproc`` processes and return each rank's result, by rank.

    Each rank must end by calling `finish` with a JSON-serialisable dict (it is written
    under the folder named by `RESULT_DIR_ENV`).

    Args:
        script: the Python script to run.
        *args: its command-line arguments.
        nproc: processes to start.
        timeout: seconds before the whole run is killed.
        env: extra environment variables for the workers (on top of this process's).
        launcher: ``"torchrun"`` (``python -m torch.distributed.run --nproc-per-node N``) or
            ``"accelerate"`` (``accelerate launch --multi_gpu --num_processes N``).
        cwd: the workers' working directory (default: this process's).
        hide_gpus: set ``CUDA_VISIBLE_DEVICES=""`` so the run is a CPU (gloo) one even on a
            machine with GPUs.
        teardown_grace: seconds the processes may take to exit once every rank wrote its
            result; past that they are stopped, the results are returned and a
            ``RuntimeWarning`` says so (gloo's teardown hangs now and then).

    Returns:
        ``nproc`` dicts, the result of rank 0 first.

    Raises:
        LaunchError: the run exited with an error or timed out, or a rank wrote no result;
            the message holds every rank's stderr tail.
        FileNotFoundError: ``script`` does not exist.
    """
    script = Path(script).resolve()
    if not script.is_file():
        raise FileNotFoundError(f"launch: no script at {script}")
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"launch: nproc must be an integer >= 1, got {nproc!r}")
    with tempfile.TemporaryDirectory(prefix="fledge-launch-") as scratch:
        results_dir, log_dir = Path(scratch, "results"), Path(scratch, "logs")
        results_dir.mkdir()
        child_env = {
            **os.environ,
            # Several ranks share the cores; one thread each avoids oversubscription.
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
            "HF_DATASETS_OFFLINE": os.environ.get("HF_DATASETS_OFFLINE", "1"),
            **({"CUDA_VISIBLE_DEVICES": ""} if hide_gpus else {}),
            **(env or {}),
            RESULT_DIR_ENV: str(results_dir),
        }
        command = _command(launcher, nproc, _free_port(), log_dir, script, tuple(map(str, args)))
        process = subprocess.Popen(command, env=child_env, cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        launcher_err, outcome = _wait(process, timeout, results_dir, nproc, teardown_grace)
        stderr = {-1: _tail(launcher_err), **_rank_stderr(log_dir, nproc)}
        if outcome == "timeout":
            done = sorted(int(p.stem.split("-")[1]) for p in results_dir.glob("rank-*.json"))
            raise LaunchError(
                f"launch: {script.name} on {nproc} processes ({launcher}) did not finish within "
                f"{timeout:g} s and was killed (ranks with a result: {done or 'none'})",
                script=script, returncode=None, stderr=stderr,
            )
        if outcome == "teardown":
            warnings.warn(
                f"launch: every rank of {script.name} wrote its result, but the processes did "
                f"not exit within {teardown_grace:g} s (a hang in the process group's "
                "teardown); they were stopped and the results kept",
                RuntimeWarning, stacklevel=2,
            )
        elif process.returncode != 0:
            raise LaunchError(
                f"launch: {script.name} on {nproc} processes ({launcher}) exited with status "
                f"{process.returncode}",
                script=script, returncode=process.returncode, stderr=stderr,
            )
        results = []
        for rank in range(nproc):
            path = results_dir / f"rank-{rank}.json"
            if not path.is_file():
                raise LaunchError(
                    f"launch: rank {rank} of {script.name} exited cleanly but wrote no result; "
                    f"the script must end with fledge.testing.distributed.finish(result)",
                    script=script, returncode=process.returncode, stderr=stderr,
                )
            results.append(json.loads(path.read_text(encoding="utf-8")))
        return results


def finish(result: Mapping[str, Any]) -> Path:
    """The last call of a script started by `launch`: write this rank's result.

    Writes ``result`` as JSON for `launch` to collect, then, if a
    ``torch.distributed`` process group is up, waits for every rank and destroys it: a
    gloo group left to the interpreter's exit can abort it ("terminate called without an
    active exception") and fail a run that did everything right.

    Args:
        result: JSON-serialisable data describing what this rank saw.

    Returns:
        The file written.

    Raises:
        RuntimeError: the script was not started by `launch`.
    """
    folder = os.environ.get(RESULT_DIR_ENV)
    if not folder:
        raise RuntimeError(
            f"fledge.testing.distributed.finish: {RESULT_DIR_ENV} is not set; run this script "
            f"through fledge.testing.distributed.launch()"
        )
    rank = int(os.environ.get("RANK", "0"))
    path = Path(folder) / f"rank-{rank}.json"
    text = json.dumps(dict(result), indent=1, sort_keys=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # never a half-written result
    distributed = sys.modules.get("torch.distributed")
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        distributed.barrier()
        distributed.destroy_process_group()
    return path
