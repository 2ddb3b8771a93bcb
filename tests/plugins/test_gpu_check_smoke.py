"""benchmarks/gpu_check.py --smoke: the GPU check's CPU mode runs and reports every figure.

The GPU figures themselves come from a GPU machine; this only shows, on the CPU, that the
prepared script runs end to end, that its correctness checks pass, and that every ratio it
promises is printed as a finite number (and matches its ``--json`` output).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"

SIZES = ("0.4M", "2M")  # the smoke sizes
MODES = ("dev", "host")  # device=None, device="cpu"
KINDS = ("ema", "ref", "both")
CHECKS = ("bema.correct.dev", "bema.correct.host", "train.dpo_bema", "train.grpo_replay")
RATIOS = (
    [f"bema.correct.{mode}.worst_over_bound" for mode in MODES]
    + [f"bema.{size}.{mode}.{kind}.{who}" for size in SIZES for mode in MODES for kind in KINDS
       for who in ("fledge_over_floor", "trl_over_fledge")]
    + ["replay.device.replay_over_trl", "train.dpo.bema_over_plain",
       "train.grpo.replay_over_plain"]
)
# What a CPU cannot measure is said so, never invented.
NOT_ON_CPU = (
    [f"bema.{size}.{mode}.gpu_memory.{who}" for size in SIZES for mode in MODES
     for who in ("fledge", "trl")]
    + ["replay.device.gpu_over_cpu", "floor.device_copy", "floor.d2h_pinned"]
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("gpu-check") / "gpu_check.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--json", str(out)],
        capture_output=True, text=True, timeout=900, cwd=ROOT, env=env, check=False,
    )
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    return proc, json.loads(out.read_text())


@pytest.mark.slow
def test_every_check_passes(smoke: tuple[subprocess.CompletedProcess, dict]) -> None:
    proc, data = smoke
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^CHECK (\S+) (PASS|FAIL) ", proc.stdout,
                                                         re.MULTILINE)}
    assert set(lines) == set(CHECKS), proc.stdout
    assert all(v == "PASS" for v in lines.values()), proc.stdout
    assert data["failed"] == [] and data["complete"] and data["exit_status"] == 0
    assert "RESULT complete: 4/4 checks passed" in proc.stdout


@pytest.mark.slow
def test_every_ratio_is_present_and_finite(smoke: tuple[subprocess.CompletedProcess, dict]) -> None:
    proc, data = smoke
    printed = {m.group(1): m.group(2)
               for m in re.finditer(r"^RATIO (\S+) (\S+)x \(", proc.stdout, re.MULTILINE)}
    missing = [name for name in RATIOS if name not in printed]
    assert not missing, f"missing ratio lines {missing}\n{proc.stdout}"
    for name, text in printed.items():
        assert math.isfinite(float(text)) and float(text) > 0, (name, text)
    written = {e["name"]: e["value"] for e in data["entries"] if e["kind"] == "ratio"}
    assert set(written) == set(printed)
    for name, value in written.items():
        assert math.isfinite(value) and float(printed[name]) == pytest.approx(value, rel=1e-3)
    # The correctness ratios are the checks' margins: at most 1.
    assert all(written[f"bema.correct.{mode}.worst_over_bound"] <= 1 for mode in MODES)


@pytest.mark.slow
def test_gpu_only_figures_say_so(smoke: tuple[subprocess.CompletedProcess, dict]) -> None:
    proc, data = smoke
    na = {e["name"]: e["why"] for e in data["entries"] if e["kind"] == "na"}
    for name in NOT_ON_CPU:
        assert name in na and na[name].startswith("n/a on CPU"), (name, na.get(name))
        assert f"NA {name} n/a on CPU" in proc.stdout
    assert data["environment"]["device"] == "cpu" and data["smoke"] is True
    assert "SMOKE" in proc.stdout
