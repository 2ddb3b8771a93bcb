"""Both built-in features on one GPU: one prepared check, ratios measured in the same run.

It prints, for ``bema_for_ref_model`` and ``grpo_with_replay_buffer`` on a CUDA device:

1. **BEMA correctness.** A bf16 Qwen2-shaped model with random weights (Qwen2-0.5B's shape,
   494M parameters) and two BEMA callbacks in lockstep, one with its buffers beside the
   parameters on the GPU (``device=None``), one with them on the host (``device="cpu"``,
   the default). After a few updates of the weights each reference model must equal the
   plain BEMA formula computed in float64 on the host, element by element, within the
   bf16 bound derived in :func:`_tolerance`. The same comparison against a wrong formula
   (the EMA without its bias correction) must fail, so the check can tell them apart.
2. **BEMA speed.** One EMA update, one reference update and one step doing both, for
   fledge's ``BEMACallback`` and TRL's (``trl.BEMACallback`` plus the reference update of
   ``trl.experimental.bema_for_ref_model``), at two model sizes (149M and 494M), each with
   buffers on the device and on the host. Against a floor measured on that GPU: the bytes
   each update must move through device memory over the bandwidth of a device-to-device
   copy (``device=None``), or the bytes that must cross between host and device over the
   pinned-memory copy bandwidth (``device="cpu"``). The extra GPU memory of each callback
   (``torch.cuda.memory_allocated`` / ``max_memory_allocated``, in multiples of the
   parameter bytes).
3. **Replay on GPU tensors.** The replay step of ``benchmarks/bench_replay.py`` (decide,
   store, rewrite the batch) with the batch on the GPU, against TRL's own per-batch shuffle
   and split of that batch, and against the same replay step on the CPU.
4. **A real training step** of each feature on the offline kit's tiny model
   (``fledge.testing``), on the GPU in bf16: DPO with BEMA (reference updated every step)
   against TRL's plain ``DPOTrainer``, GRPO with the replay buffer against TRL's plain
   ``GRPOTrainer``; the step time ratio, and checks that the step really ran there.

Parts 1, 3 and 4 run first (they are quick), then the floors and part 2, the large model
last: the deadline cuts the least and the latest.

Output lines a machine can read: ``CHECK <name> PASS|FAIL (...)``, ``RATIO <name> <x>x
(...)``, ``VALUE <name> <number> <unit> (...)`` and ``NA <name> <why>``, then a summary
and one ``RESULT`` line. ``--json PATH`` writes every figure there too. Exit status: 0 when
every check passed and every part ran, 1 when a check failed (a part that raises is a
failed check ``part.<name>``, with its traceback; the other parts still run), 2 for bad
arguments or no GPU, 3 when the deadline cut the run short (the figures so far are printed
and written).

**Deadline.** The run stops cleanly after ``--budget`` seconds (default 450 on a GPU, so
that it ends before 8 minutes): each part is skipped, with an ``NA`` line, when too little
time is left for it, and an alarm at the budget ends whatever is running and prints the
figures so far.

**On the CPU**, ``--smoke`` runs every part in seconds with tiny models (0.4M and 2M
parameters; the training step in float32), the floor from a host memory copy (no
host-device copies exist, so both buffer placements are on the host), and the GPU memory
figures ``n/a on CPU``. It shows that the script works, not how fast anything is on a GPU.
``tests/plugins/test_gpu_check_smoke.py`` runs it.

Run here (CPU)::

    python benchmarks/gpu_check.py --smoke [--json gpu_check.json]

Run on the lent GPU machine (``nvidia-h200``, through the device tool, see
``/work/.library/device/README.md``; the machine has torch, transformers, accelerate and
peft but not trl or datasets, and fledge need not be installed there: the script puts the
checkout's ``core`` and ``plugins`` on ``sys.path`` itself). Once, here, in the repository's
root (the two ``--platform`` flags suffice: all four wheels are pure Python)::

    echo /.whl/ >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \\
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \\
        -d .whl trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19

then one ``run`` with ``carry=[".whl"]`` and ``timeout_s=540``::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \\
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit; \\
    python3 -c "import pyarrow, datasets, trl; print(pyarrow.__version__, trl.__version__)"; \\
    PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py --json $OUT/gpu_check.json \\
        2>&1 | tee $OUT/gpu_check.log

datasets 5.2 declares ``pyarrow>=24`` but does not check it on import; if ``import datasets``
fails there all the same, add ``pyarrow==26.0.1`` to the download (a 55 MB wheel: with the
others and the checkout it stays under the 64 MiB a call carries). The reply's output tail
holds the summary; the whole log and the JSON come back under ``$OUT``. A part that fails
there prints its traceback and the others still run, so one run shows every problem.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import signal
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

STARTED = time.monotonic()  # the budget counts from here: imports included
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Model sizes (keys of ``bench_bema.SIZES``): (correctness, speed sizes) per mode.
GPU_SIZES = ("0.5B", ("150M", "0.5B"))
SMOKE_SIZES = ("2M", ("0.4M", "2M"))
#: BEMA updates before the correctness comparison, and the size of each weight change.
CORRECTNESS_STEPS = 3
NOISE_STD = 0.02  # as large as Qwen2's initialiser range: every term of the formula matters

# Unit roundoff (half an ulp, relative) of round-to-nearest: bf16 keeps 8 significant bits,
# float32 24.
U_BF16 = 2.0**-8
U_FP32 = 2.0**-24

#: Seconds each part needs on the GPU (estimated; 494M parameters for the large size). A part
#: is skipped when less is left; the alarm at the budget stops any part that overruns.
NEEDS_GPU = {"correctness": 60, "replay": 20, "training:dpo": 30, "training:grpo": 30,
             "speed:150M": 45, "speed:0.5B": 110}


def _ensure_importable() -> None:
    """Put the checkout's import packages on ``sys.path`` when fledge is not installed.

    The GPU machine runs the working tree as it is, without ``pip install``; the
    benchmarks' own folder is already on the path (this script's folder).
    """
    try:
        import fledge  # noqa: F401
        import fledge_plugins  # noqa: F401
    except ImportError:
        for sub in ("plugins", "core"):
            sys.path.insert(0, str(ROOT / sub))
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------------- report and deadline


class DeadlineReached(BaseException):
    """Raised by the alarm at the end of the budget (a BaseException: no ``except Exception``
    in a library swallows it)."""


class Deadline:
    """The run's time budget: how much is left, and an alarm when it is spent.

    Args:
        budget_s: seconds from ``start``.
        start: a ``time.monotonic()`` reading; by default when this module was imported.
    """

    def __init__(self, budget_s: float, start: float | None = None) -> None:
        self.budget_s = budget_s
        self.start = STARTED if start is None else start

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def left(self) -> float:
        """Seconds left of the budget."""
        return self.budget_s - self.elapsed()

    def arm(self) -> None:
        """Raise :class:`DeadlineReached` in the main thread when the budget is spent."""
        if not hasattr(signal, "setitimer"):
            return

        def ring(signum: int, frame: Any) -> None:
            raise DeadlineReached(f"the {self.budget_s:.0f} s budget is spent")

        signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, max(self.left(), 0.001))

    def disarm(self) -> None:
        """Cancel the alarm."""
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)


class Report:
    """Collects the figures, prints each as it comes, and writes them as JSON."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def _add(self, kind: str, name: str, line: str, **fields: Any) -> None:
        self.entries.append({"kind": kind, "name": name, **fields})
        print(line, flush=True)

    def check(self, name: str, ok: bool, detail: str) -> None:
        """A pass/fail verdict."""
        self._add("check", name, f"CHECK {name} {'PASS' if ok else 'FAIL'} ({detail})",
                  ok=bool(ok), detail=detail)

    def ratio(self, name: str, value: float, detail: str) -> None:
        """A dimensionless figure, both sides measured in this run."""
        self._add("ratio", name, f"RATIO {name} {value:.4g}x ({detail})", value=float(value),
                  detail=detail)

    def value(self, name: str, value: float, unit: str, detail: str = "") -> None:
        """A raw measurement (time, bandwidth), printed for context."""
        tail = f" ({detail})" if detail else ""
        self._add("value", name, f"VALUE {name} {value:.4g} {unit}{tail}", value=float(value),
                  unit=unit, detail=detail)

    def na(self, name: str, why: str) -> None:
        """A figure that could not be measured here, and why."""
        self._add("na", name, f"NA {name} {why}", why=why)

    def info(self, text: str) -> None:
        """A line for people."""
        print(text, flush=True)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The entries of one kind."""
        return [e for e in self.entries if e["kind"] == kind]


# ---------------------------------------------------------------------- small helpers


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _synced(fn: Any, device: Any) -> Any:
    """``fn`` followed by a device synchronisation, so a host clock times its work."""

    def go(*args: Any) -> Any:
        out = fn(*args)
        _sync(device)
        return out

    return go


def _free(device: Any) -> None:
    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()


class _GpuMemory:
    """The GPU memory an object adds: allocated now and at peak, above a baseline."""

    def __init__(self, device: Any) -> None:
        import torch

        self.cuda = device.type == "cuda"
        if self.cuda:
            _free(device)
            torch.cuda.reset_peak_memory_stats(device)
            self.base = torch.cuda.memory_allocated(device)
        self.device = device

    def read(self) -> tuple[int, int] | None:
        """``(steady, peak)`` bytes above the baseline; ``None`` on the CPU."""
        import torch

        if not self.cuda:
            return None
        torch.cuda.synchronize(self.device)
        return (torch.cuda.memory_allocated(self.device) - self.base,
                torch.cuda.max_memory_allocated(self.device) - self.base)


def _param_bytes(model: Any) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def _environment(device: Any) -> dict[str, Any]:
    import importlib.metadata as md

    import torch

    env: dict[str, Any] = {"python": sys.version.split()[0], "device": str(device),
                           "torch_threads": torch.get_num_threads()}
    for dist in ("torch", "transformers", "trl", "accelerate", "peft", "datasets"):
        try:
            env[dist] = md.version(dist)
        except md.PackageNotFoundError:
            env[dist] = None
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   capability=f"{props.major}.{props.minor}",
                   multiprocessors=props.multi_processor_count)
    return env


# ---------------------------------------------------------------------- 1. BEMA correctness


def _tolerance(expected: Any, scale: float, steps: int) -> Any:
    """Elementwise bound on |reference − float64 formula| for a bf16 reference.

    Why this bound (bf16 weights, fledge's buffers):

    * θ₀ is a bf16 copy of bf16 weights and every θₜ is read exactly (bf16 → float32 and
      → float64 are exact), so the inputs carry no error.
    * The EMA is float32: each update ``lerp`` rounds a few times, each rounding at most
      u₃₂ = 2⁻²⁴ of a term no larger than M = the largest |θ| seen (the EMA is a convex
      combination of θs, so |EMA| ≤ M); at most about 5·u₃₂·M per update, ``steps``
      updates adding up (the EMA's factor 1 − β < 1 only shrinks older errors). The BEMA
      weights EMA + α(θ − θ₀) (α ≤ 1) add at most about 6·u₃₂·M. Twice that sum is the
      float32 part ``e₃₂``, a safety factor for kernels that round in another order.
    * The float32 result is rounded once into the bf16 reference: round-to-nearest-even
      moves a value x by at most u_bf16·|x|, u_bf16 = 2⁻⁸ (8 significant bits), with no
      subnormals at these magnitudes (bf16 has float32's exponent range).

    So |ref − exact| ≤ u_bf16·|exact| + (1 + u_bf16)·e₃₂. For weights of size 0.02 that
    is about 8e-5, while an error in the formula (a missing bias correction, a β or α of
    the wrong step) moves the weights by 1e-4 to 1e-2: the check separates them, and the
    run shows it by applying the same bound to the formula without its bias correction.

    Args:
        expected: the float64 formula's tensor.
        scale: M, the largest |θ| of this tensor over the run.
        steps: EMA updates done.

    Returns:
        The bound, a float64 tensor like ``expected``.
    """
    e32 = 2.0 * (5 * steps + 6) * U_FP32 * scale
    return expected.abs().mul_(U_BF16).add_((1 + U_BF16) * e32)


def bema_correctness(ctx: SimpleNamespace, report: Report) -> None:
    """Part 1: each reference equals the float64 BEMA formula within the bf16 bound."""
    import bench_bema as bb
    import torch
    from transformers import TrainerControl

    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    size, dev, steps = ctx.correct_size, ctx.device, CORRECTNESS_STEPS
    dtype = torch.bfloat16
    model = bb._model(size, 0, dtype, dev)
    params = list(model.parameters())
    n = sum(p.numel() for p in params)
    report.info(f"\n== 1. BEMA correctness: Qwen2 {size} ({n / 1e6:.1f}M parameters, bf16, "
                f"on {dev.type}), {steps} updates, reference written every step, "
                f"float64 formula on the host")
    modes = {"dev": None, "host": "cpu"}
    args, control = SimpleNamespace(output_dir="unused"), TrainerControl()
    callbacks, refs = {}, {}
    for i, (label, where) in enumerate(modes.items()):
        refs[label] = bb._model(size, 10 + i, dtype, dev)
        cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1,
                          device=where)
        cb.on_train_begin(args, bb._state(0), control, model=model, ref_model=refs[label])
        callbacks[label] = cb
    # The plain formula, TRL's step convention (t = global step), default hyper-parameters.
    lag, kappa, eta = 10.0, 0.5, 0.2
    theta0 = [p.detach().to("cpu", torch.float64) for p in params]
    ema = [t.clone() for t in theta0]
    scale = [float(t.abs().max()) for t in theta0]
    gen = torch.Generator(device=dev).manual_seed(1234)
    for step in range(1, steps + 1):
        with torch.no_grad():  # a stand-in optimizer step: a fresh random change of every weight
            for p in params:
                p.add_(torch.randn(p.shape, generator=gen, device=dev, dtype=torch.float32)
                       .mul_(NOISE_STD))
        for label, cb in callbacks.items():
            cb.on_step_end(args, bb._state(step), control, model=model, ref_model=refs[label])
        beta = (lag + step) ** -kappa
        for i, p in enumerate(params):
            theta = p.detach().to("cpu", torch.float64)
            ema[i].mul_(1 - beta).add_(theta, alpha=beta)
            scale[i] = max(scale[i], float(theta.abs().max()))
    _sync(dev)
    alpha = (lag + steps) ** -eta
    stats = {label: {"worst": 0.0, "worst_ema": 0.0, "wrong": 0.0, "err2": 0.0, "ref2": 0.0,
                     "nan": False} for label in modes}
    names = [name for name, _ in model.named_parameters()]
    ref_params = {label: dict(ref.named_parameters()) for label, ref in refs.items()}
    for i, p in enumerate(params):
        theta = p.detach().to("cpu", torch.float64)
        expected = ema[i] + alpha * (theta - theta0[i])
        tol = _tolerance(expected, scale[i], steps)
        wrong_tol = _tolerance(ema[i], scale[i], steps)  # the wrong formula: EMA alone
        ema_tol = 2.0 * 5 * steps * U_FP32 * scale[i]
        ref2 = float(expected.pow(2).sum())
        for label, cb in callbacks.items():
            s = stats[label]
            got = ref_params[label][names[i]].detach().to("cpu", torch.float64)
            s["nan"] |= bool(torch.isnan(got).any())
            s["wrong"] = max(s["wrong"], float(got.sub(ema[i]).abs_().div_(wrong_tol).max()))
            err = got.sub_(expected).abs_()  # got is not needed any more
            s["err2"] += float(err.pow(2).sum())
            s["ref2"] += ref2
            s["worst"] = max(s["worst"], float(err.div_(tol).max()))
            buf = cb.state.tracked[i].ema.detach().to("cpu", torch.float64)
            s["worst_ema"] = max(s["worst_ema"], float(buf.sub_(ema[i]).abs_().max()) / ema_tol)
            del got, err, buf
        del theta, expected, tol, wrong_tol
    for label, where in modes.items():
        s = stats[label]
        rel = math.sqrt(s["err2"] / s["ref2"])
        ok = (not s["nan"]) and s["worst"] <= 1.0 and s["worst_ema"] <= 1.0 and s["wrong"] > 1.0
        placement = ("device=None: buffers beside the parameters" if where is None
                     else 'device="cpu": buffers on the host')
        report.check(
            f"bema.correct.{label}", ok,
            f"{placement}; worst |ref - f64| / bf16 bound {s['worst']:.3f} (must be <= 1), "
            f"relative L2 error {rel:.2e}, EMA buffer worst / float32 bound "
            f"{s['worst_ema']:.3f}; the formula without bias correction would be "
            f"{s['wrong']:.3g} x the bound (must be > 1)")
        report.ratio(f"bema.correct.{label}.worst_over_bound", s["worst"],
                     "largest elementwise error over its bf16 bound; <= 1 passes")
    del callbacks, refs, ref_params, model, params, theta0, ema
    _free(dev)


# ---------------------------------------------------------------------- 2. BEMA speed


def measure_floors(ctx: SimpleNamespace, report: Report) -> dict[str, float]:
    """Bandwidths (bytes/s) the floors use, measured now on this machine."""
    import bench_bema as bb
    import torch

    dev = ctx.device
    report.info("\n== bandwidth floors")
    floors: dict[str, float] = {}
    if dev.type != "cuda":
        n = 64 << 20 if ctx.smoke else 512 << 20
        a = torch.randint(0, 255, (n,), dtype=torch.uint8)
        b = torch.empty_like(a)
        seconds = bb._time(lambda: b.copy_(a), 5)
        floors["device_copy"] = 2 * n / seconds  # bytes read plus bytes written
        report.value("floor.host_memcpy", floors["device_copy"] / 1e9, "GB/s",
                     f"copy of {n >> 20} MiB in host memory, read + write; the floor of both "
                     f"buffer placements on the CPU (a model that fits in the caches can beat "
                     f"it)")
        for name in ("floor.device_copy", "floor.d2h_pinned", "floor.h2d_pinned",
                     "floor.d2h_pageable", "floor.h2d_pageable"):
            report.na(name, "n/a on CPU (no GPU, no host-device copies)")
        return floors
    n = 1 << 30
    a = torch.randint(0, 255, (n,), dtype=torch.uint8, device=dev)
    b = torch.empty_like(a)

    def timed(fn: Any, reps: int = 10) -> float:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        samples = []
        for i in range(reps + 3):
            start.record()
            fn()
            end.record()
            end.synchronize()
            if i >= 3:
                samples.append(start.elapsed_time(end) / 1e3)
        return statistics.median(samples)

    floors["device_copy"] = 2 * n / timed(lambda: b.copy_(a))
    report.value("floor.device_copy", floors["device_copy"] / 1e9, "GB/s",
                 f"device-to-device copy of {n >> 30} GiB, read + write, median of 10")
    m = 512 << 20
    src = a[:m]
    for kind, pin in (("pinned", True), ("pageable", False)):
        host = torch.empty(m, dtype=torch.uint8, pin_memory=pin)
        host.copy_(src.cpu())
        floors[f"h2d_{kind}"] = m / timed(lambda h=host: src.copy_(h), 5)
        floors[f"d2h_{kind}"] = m / timed(lambda h=host: h.copy_(src), 5)
        for way in ("h2d", "d2h"):
            report.value(f"floor.{way}_{kind}", floors[f"{way}_{kind}"] / 1e9, "GB/s",
                         f"{m >> 20} MiB {kind} host memory, median of 5")
    return floors


def _floor_seconds(cb: Any, ref: Any, kind: str, mode: str, floors: dict[str, float],
                   on_gpu: bool) -> tuple[float, str]:
    """The fewest seconds one update of ``kind`` can take, and how that was counted."""
    tracked = cb.state.tracked
    p = sum(t.param.numel() * t.param.element_size() for t in tracked)  # θ, read
    z = sum(t.theta0.numel() * t.theta0.element_size() for t in tracked)  # θ₀, read
    e = sum(t.ema.numel() * t.ema.element_size() for t in tracked)  # EMA, read (+ write)
    r = _param_bytes(ref)  # the reference, written
    if mode == "host" and on_gpu:
        # Buffers on the host: θ must come down, and the reference weights go up.
        down, up = p, (r if kind != "ema" else 0)
        seconds = down / floors["d2h_pinned"] + up / floors["h2d_pinned"]
        return seconds, (f"{down / 2**20:.0f} MiB down, {up / 2**20:.0f} MiB up at the "
                         f"pinned-copy bandwidths")
    moved = {"ema": p + 2 * e, "ref": p + z + e + r, "both": p + z + 2 * e + r}[kind]
    where = "device memory" if on_gpu else "host memory"
    return moved / floors["device_copy"], f"{moved / 2**20:.0f} MiB through {where}"


def bema_speed(ctx: SimpleNamespace, report: Report, size: str, floors: dict[str, float],
               deadline: Deadline) -> None:
    """Part 2 for one model size: both callbacks, both buffer placements."""
    import bench_bema as bb
    import torch
    from transformers import TrainerControl
    from trl import BEMACallback as TRLBEMACallback

    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    dev, on_gpu = ctx.device, ctx.device.type == "cuda"
    dtype = torch.bfloat16
    model, ref = bb._model(size, 0, dtype, dev), bb._model(size, 1, dtype, dev)
    pbytes = _param_bytes(model)
    n = sum(p.numel() for p in model.parameters())
    report.info(f"\n== 2. BEMA speed: Qwen2 {size} ({n / 1e6:.1f}M parameters, "
                f"{pbytes / 2**20:.0f} MiB bf16, on {dev.type}); best of the repetitions, "
                f"each followed by a device synchronisation")
    args, control = SimpleNamespace(output_dir="unused"), TrainerControl()

    def perturb() -> None:  # a stand-in optimizer step, not timed
        bb._perturb(model)
        _sync(dev)

    for mode, where in (("dev", None), ("host", "cpu")):
        reps = ctx.reps_dev if mode == "dev" else ctx.reps_host
        times: dict[str, dict[str, float]] = {}
        memory: dict[str, tuple[int, int] | None] = {}
        floor_of: dict[str, tuple[float, str]] = {}
        for who in ("fledge", "trl"):
            gauge = _GpuMemory(dev)
            if who == "fledge":
                cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1,
                                  device=where)
                cb.on_train_begin(args, bb._state(0), control, model=model, ref_model=ref)
                run = bb._fledge_steps(cb, args, control, model, ref)
                for kind in ("ema", "ref", "both"):
                    floor_of[kind] = _floor_seconds(cb, ref, kind, mode, floors, on_gpu)
            else:
                # TRL's buffers: on the parameters' device, or the host (its default).
                cb = TRLBEMACallback(update_freq=1, device=str(dev) if where is None else "cpu")
                cb.on_train_begin(args, bb._state(0), control, model=model)
                run = bb._trl_steps(cb, args, control, model, ref)
            times[who] = {kind: bb._time(_synced(run(update, write), dev), reps, perturb)
                          for kind, update, write in (("ema", True, False), ("ref", False, True),
                                                      ("both", True, True))}
            memory[who] = gauge.read()
            del cb, run
            _free(dev)
        label = {"dev": "device=None", "host": 'device="cpu"'}[mode]
        for kind in ("ema", "ref", "both"):
            ours, theirs = times["fledge"][kind], times["trl"][kind]
            floor, how = floor_of[kind]
            base = f"bema.{size}.{mode}.{kind}"
            report.ratio(f"{base}.fledge_over_floor", ours / floor,
                         f"{label}: fledge {ours * 1e3:.3f} ms, floor {floor * 1e3:.3f} ms = {how}")
            report.ratio(f"{base}.trl_over_fledge", theirs / ours,
                         f"{label}: TRL {theirs * 1e3:.3f} ms, fledge {ours * 1e3:.3f} ms")
        for who in ("fledge", "trl"):
            name = f"bema.{size}.{mode}.gpu_memory.{who}"
            if memory[who] is None:
                report.na(name, "n/a on CPU (torch.cuda.max_memory_allocated)")
                continue
            steady, peak = memory[who]
            report.ratio(f"{name}.steady", steady / pbytes,
                         f"{label}: {steady / 2**20:.0f} MiB more GPU memory allocated while "
                         f"the callback lives, x parameter bytes")
            report.ratio(f"{name}.peak", peak / pbytes,
                         f"{label}: {peak / 2**20:.0f} MiB more at peak during setup and "
                         f"updates, x parameter bytes")
        if mode == "dev" and deadline.left() < ctx.needs.get(f"speed:{size}", 0) / 2:
            report.na(f"bema.{size}.host", f"skipped: {deadline.left():.0f} s left")
            break


# ---------------------------------------------------------------------- 3. replay on the GPU


def replay_on_device(ctx: SimpleNamespace, report: Report) -> None:
    """Part 3: bench_replay's replay step with the batch on the device."""
    import bench_replay as br
    import torch

    from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer

    dev = ctx.device
    steps = ctx.replay_steps
    gen = torch.Generator().manual_seed(0)
    host = [br.make_batch(gen) for _ in range(8)]

    def to(batch: dict, rewards: Any, where: Any) -> tuple[dict, Any, Any]:
        return ({k: v.to(where) if torch.is_tensor(v) else v for k, v in batch.items()},
                rewards.to(where), None)

    def median_ms(where: Any) -> tuple[float, float, Any]:
        batches = [to(b, r, where) for b, r, _ in host]
        buffer, draw = ReplayBuffer(br.CAPACITY), torch.Generator().manual_seed(1)
        for batch, rewards, _ in batches:  # fill the buffer: steady state, evictions included
            br.replay_step(batch, rewards, buffer, draw)
        replay_fn = _synced(lambda b, r: br.replay_step(b, r, buffer, draw), where)
        trl_fn = _synced(lambda b, r: br.trl_step(b), where)
        for fn in (replay_fn, trl_fn):
            br.time_steps(batches, 10, fn)
        ours, ref = [], []
        for _ in range(max(steps // 10, 1)):  # alternate, so machine noise hits both sides
            ours += br.time_steps(batches, 10, replay_fn)
            ref += br.time_steps(batches, 10, trl_fn)
        stored = buffer.group(0)["completion_ids"].device
        return statistics.median(ours) * 1e3, statistics.median(ref) * 1e3, stored

    report.info(f"\n== 3. replay on {dev.type} tensors: bench_replay's batch ({br.GROUPS} groups "
                f"x {br.SIZE} completions, buffer of {br.CAPACITY} full), {steps} steps a side")
    ours_ms, ref_ms, stored = median_ms(dev)
    report.ratio("replay.device.replay_over_trl", ours_ms / ref_ms,
                 f"batch on {dev.type}: replay step (decide + store + rewrite) median "
                 f"{ours_ms:.3f} ms, TRL's shuffle + split of the batch {ref_ms:.3f} ms; "
                 f"the buffer stores its groups on {stored.type}")
    report.value("replay.device.step_ms", ours_ms, "ms", f"replay step, batch on {dev.type}")
    if dev.type == "cuda":
        cpu_ms, _, _ = median_ms(torch.device("cpu"))
        report.ratio("replay.device.gpu_over_cpu", ours_ms / cpu_ms,
                     f"the same replay step with the batch on the GPU ({ours_ms:.3f} ms) and "
                     f"on the CPU ({cpu_ms:.3f} ms)")
    else:
        report.na("replay.device.gpu_over_cpu", "n/a on CPU (the batch is on the CPU already)")
    _free(dev)


# ---------------------------------------------------------------------- 4. training steps


def _step_timer(device: Any) -> Any:
    """A callback recording each optimizer step's seconds (synchronised), callbacks before
    it included."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._start = 0.0

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            _sync(device)
            self._start = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            _sync(device)
            self.times.append(time.perf_counter() - self._start)

    return StepTimer()


def _step_ms(times: list[float]) -> float:
    """Median step time in ms, leaving out the first step (warm-up)."""
    return statistics.median(times[1:] if len(times) > 1 else times) * 1e3


def _train_kwargs(ctx: SimpleNamespace, out: str) -> dict[str, Any]:
    cuda = ctx.device.type == "cuda"
    return dict(output_dir=out, max_steps=ctx.train_steps, seed=0, bf16=cuda, use_cpu=not cuda,
                save_strategy="no", report_to="none", logging_strategy="no", disable_tqdm=True)


def _quiet(trainer: Any) -> Any:
    """Drop the trainer's log printer: its end-of-training dict would bury the figures."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    return trainer


def _where(model: Any) -> str:
    p = next(model.parameters())
    return f"{p.device.type}/{str(p.dtype).removeprefix('torch.')}"


def train_dpo(ctx: SimpleNamespace, report: Report) -> None:
    """Part 4a: DPO with BEMA writing the reference every step, against plain DPO."""
    import trl
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
    from fledge_plugins.bema_for_ref_model.api import BEMACallback, DPOTrainer

    dtype = ctx.train_dtype
    results: dict[str, Any] = {}
    for label in ("bema", "plain"):
        tokenizer = tiny_tokenizer(0)
        model = tiny_model(0, tokenizer=tokenizer, dtype=dtype)
        ref = tiny_model(1, tokenizer=tokenizer, dtype=dtype)
        start = [p.detach().clone() for p in ref.parameters()]
        timer = _step_timer(ctx.device)
        callbacks: list[Any] = [timer]
        trainer_cls: Any = trl.DPOTrainer
        bema = None
        if label == "bema":
            bema = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
            callbacks = [bema, timer]
            trainer_cls = DPOTrainer
        with tempfile.TemporaryDirectory(prefix="gpu-check-dpo-") as out, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # transformers' renamed settings
            config = DPOConfig(per_device_train_batch_size=4, learning_rate=5e-3,
                               **_train_kwargs(ctx, out))
            trainer = _quiet(trainer_cls(model=model, ref_model=ref, args=config,
                                         train_dataset=make_dataset("standard_preference"),
                                         processing_class=tokenizer, callbacks=callbacks))
            output = trainer.train()
        moved = max(float((p.detach().float().cpu() - s.float().cpu()).abs().max())
                    for p, s in zip(ref.parameters(), start, strict=True))
        results[label] = dict(times=timer.times, loss=output.training_loss,
                              where=_where(trainer.model), ref_moved=moved,
                              written=bema is not None and bema.ref_written)
        del trainer, model, ref
        _free(ctx.device)
    b, p = results["bema"], results["plain"]
    expect = f"{ctx.device.type}/{str(dtype).removeprefix('torch.')}"
    ok = (b["where"] == expect and math.isfinite(b["loss"]) and b["written"]
          and b["ref_moved"] > 0 and len(b["times"]) == ctx.train_steps)
    report.check("train.dpo_bema", ok,
                 f"{ctx.train_steps} DPO steps with BEMA on the tiny model, policy on "
                 f"{b['where']} (expected {expect}), loss {b['loss']:.4f}, reference written "
                 f"{b['written']}, moved up to {b['ref_moved']:.3g}")
    report.ratio("train.dpo.bema_over_plain", _step_ms(b["times"]) / _step_ms(p["times"]),
                 f"median step (first left out): DPO + BEMA (buffers on the host, the default; "
                 f"reference written every step) {_step_ms(b['times']):.2f} ms, TRL's plain "
                 f"DPOTrainer {_step_ms(p['times']):.2f} ms")


def train_grpo(ctx: SimpleNamespace, report: Report) -> None:
    """Part 4b: GRPO with the replay buffer, against TRL's plain GRPO."""
    import trl

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
    from fledge_plugins.grpo_with_replay_buffer.api import (
        GRPOWithReplayBufferConfig,
        GRPOWithReplayBufferTrainer,
    )
    from fledge_plugins.grpo_with_replay_buffer.demo import tie_half_reward

    results: dict[str, Any] = {}
    for label in ("replay", "plain"):
        tokenizer = tiny_tokenizer(0)
        model = tiny_model(0, tokenizer=tokenizer, dtype=ctx.train_dtype)
        timer = _step_timer(ctx.device)
        config_cls: Any = GRPOWithReplayBufferConfig if label == "replay" else trl.GRPOConfig
        trainer_cls: Any = GRPOWithReplayBufferTrainer if label == "replay" else trl.GRPOTrainer
        extra = {"replay_buffer_size": 8} if label == "replay" else {}
        with tempfile.TemporaryDirectory(prefix="gpu-check-grpo-") as out:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                config = config_cls(learning_rate=1e-3, per_device_train_batch_size=8,
                                    num_generations=4, max_completion_length=8,
                                    **extra, **_train_kwargs(ctx, out))
                trainer = _quiet(trainer_cls(
                    model=model, reward_funcs=[tie_half_reward], args=config,
                    train_dataset=make_dataset("standard_prompt_only"),
                    processing_class=tokenizer, callbacks=[timer]))
                output = trainer.train()
        results[label] = dict(times=timer.times, loss=output.training_loss,
                              where=_where(trainer.model),
                              stats=dict(getattr(trainer, "replay_stats", {})))
        del trainer, model
        _free(ctx.device)
    r, p = results["replay"], results["plain"]
    expect = f"{ctx.device.type}/{str(ctx.train_dtype).removeprefix('torch.')}"
    stats = r["stats"]
    ok = (r["where"] == expect and math.isfinite(r["loss"]) and stats.get("groups", 0) > 0
          and stats.get("replayed", 0) > 0 and len(r["times"]) == ctx.train_steps)
    report.check("train.grpo_replay", ok,
                 f"{ctx.train_steps} GRPO steps with the replay buffer on the tiny model, "
                 f"policy on {r['where']} (expected {expect}), loss {r['loss']:.4f}, groups "
                 f"{stats.get('groups')}, tied {stats.get('tied')}, replayed "
                 f"{stats.get('replayed')} (must be > 0)")
    report.ratio("train.grpo.replay_over_plain", _step_ms(r["times"]) / _step_ms(p["times"]),
                 f"median step (first left out; generation included): GRPO + replay "
                 f"{_step_ms(r['times']):.2f} ms, TRL's plain GRPOTrainer "
                 f"{_step_ms(p['times']):.2f} ms")


# ---------------------------------------------------------------------- the run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, seconds (the CPU check; on a GPU a quick sanity run)")
    parser.add_argument("--device", default=None,
                        help="cuda or cpu (default: cuda when there is one)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write every figure to PATH as JSON")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="stop cleanly after this long (default 450 on a GPU: under 8 "
                             "minutes; 600 with --smoke)")
    return parser


def _context(args: argparse.Namespace) -> SimpleNamespace:
    import torch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    correct, sizes = SMOKE_SIZES if args.smoke else GPU_SIZES
    cuda = device.type == "cuda"
    return SimpleNamespace(
        device=device, smoke=args.smoke, correct_size=correct, sizes=sizes,
        # Best of: 10 where one update takes milliseconds on a GPU, 3 where it takes seconds
        # (host buffers); 5 for the CPU's tiny models.
        reps_dev=10 if cuda else 5, reps_host=3 if cuda else 5,
        replay_steps=30 if args.smoke else 300,
        train_steps=3 if args.smoke else 10,
        # bf16 on the GPU; float32 training on the CPU (TRL's bf16 needs a GPU or autocast).
        train_dtype=torch.bfloat16 if cuda else torch.float32,
        needs={} if args.smoke else NEEDS_GPU,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the check; return the exit status (see the module docstring).

    Args:
        argv: the command-line arguments (``--help`` lists them).
    """
    args = _parser().parse_args(argv)
    _ensure_importable()
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # the BEMA model saved at the end of training
    try:
        import datasets

        datasets.disable_progress_bars()  # the trainers' dataset preparation
    except ImportError:  # the training part will say so
        pass
    if args.device is not None and args.device not in ("cpu", "cuda"):
        print(f"gpu_check: --device must be cpu or cuda, got {args.device!r}")
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: --device cuda, but torch sees no CUDA device")
        return 2
    ctx = _context(args)
    if ctx.device.type != "cuda" and not args.smoke:
        print("gpu_check: no CUDA device here; run with --smoke for the CPU check (tiny "
              "sizes), or on a GPU machine for the figures")
        return 2
    budget = args.budget if args.budget is not None else (600.0 if args.smoke else 450.0)
    deadline = Deadline(budget)
    report = Report()
    env = _environment(ctx.device)
    mode = "SMOKE (tiny sizes: shows that it runs, not GPU figures)" if args.smoke else "full"
    report.info(f"gpu_check: {mode} on {ctx.device.type}; budget {budget:.0f} s")
    report.info("  " + ", ".join(f"{k} {v}" for k, v in env.items()))
    parts: list[tuple[str, Any]] = [
        ("correctness", lambda: bema_correctness(ctx, report)),
        ("replay", lambda: replay_on_device(ctx, report)),
        ("training:dpo", lambda: (
            report.info(f"\n== 4. training steps on the offline kit's tiny model, "
                        f"{ctx.train_steps} steps each, on {ctx.device.type} in "
                        f"{str(ctx.train_dtype).removeprefix('torch.')}"),
            train_dpo(ctx, report))),
        ("training:grpo", lambda: train_grpo(ctx, report)),
    ]
    floors: dict[str, float] = {}
    parts.append(("floors", lambda: floors.update(measure_floors(ctx, report))))
    for size in ctx.sizes:
        parts.append((f"speed:{size}",
                      lambda size=size: bema_speed(ctx, report, size, floors, deadline)))
    skipped: list[str] = []
    cut = None
    deadline.arm()
    try:
        for name, run in parts:
            need = ctx.needs.get(name, 0)
            if deadline.left() < need:
                skipped.append(name)
                report.na(f"part.{name}", f"skipped: {deadline.left():.0f} s left, it needs "
                          f"about {need} s")
                continue
            started = deadline.elapsed()
            try:
                run()
            except Exception as error:  # one broken part must not cost the others' figures
                lines = traceback.format_exception(error)
                report.info("".join(lines[-12:]).rstrip())
                report.check(f"part.{name}", False, f"raised {type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''}")
                del error, lines  # the traceback holds the part's tensors
            _free(ctx.device)  # what the part allocated went with its frame
            report.info(f"  ({name}: {deadline.elapsed() - started:.1f} s)")
    except DeadlineReached as stop:
        cut = str(stop)
        report.na("part.remaining", f"stopped: {cut}; the figures above were measured")
    finally:
        deadline.disarm()
    checks, ratios = report.of("check"), report.of("ratio")
    failed = [c["name"] for c in checks if not c["ok"]]
    complete = cut is None and not skipped
    report.info(f"\n== summary ({mode}; {deadline.elapsed():.0f} s)")
    for c in checks:
        report.info(f"  {'PASS' if c['ok'] else 'FAIL'}  {c['name']}")
    for r in ratios:
        report.info(f"  {r['value']:>10.4g}x  {r['name']}")
    status = 1 if failed else (0 if complete else 3)
    verdict = "complete" if complete else ("cut by the deadline" if cut else "parts skipped")
    report.info(f"RESULT {verdict}: {len(checks) - len(failed)}/{len(checks)} checks passed, "
                f"{len(ratios)} ratios, {deadline.elapsed():.0f} s, exit {status}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "smoke": args.smoke, "device": str(ctx.device), "environment": env,
            "budget_s": budget, "elapsed_s": round(deadline.elapsed(), 2),
            "complete": complete, "cut": cut, "skipped": skipped, "failed": failed,
            "exit_status": status, "entries": report.entries,
        }, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
