"""Benchmark: fledge's BEMACallback against TRL's, on random fp32 Qwen2 models.

For models of about 50M and 150M parameters it prints, measured in the same run:

* the time of one BEMA (EMA) update, one reference update, and one step doing both, for
  fledge's ``BEMACallback`` and TRL's (``trl.BEMACallback`` for the update; the reference
  update of ``trl.experimental.bema_for_ref_model``, a state-dict load into the reference);
* a memory-bandwidth floor for each update: the time of plain streaming torch operations
  that move exactly the bytes the update must move, the same way, over tensors of the model's
  sizes, measured in the same process as the update and interleaved with it (so a busy
  machine slows both alike). The EMA update reads θ and the EMA and writes the EMA in place:
  its floor is an in-place ``x.add_(y)``. The reference update reads θ, θ₀ and the EMA and
  writes the reference (a destination that is not read): a ``torch.addcmul(a, b, c, out=d)``.
  Both in one step read θ and θ₀, update the EMA in place and write the reference: an in-place
  add plus a copy (``d.copy_(a)``). Matching the pattern matters: a CPU reads a line before
  writing a destination it has not read (write-allocate), so an in-place write costs less
  than a fresh one, and a floor taken from one bandwidth for both kinds (e.g. a triad
  ``torch.add(a, b, out=c)``, counting bytes read + written) is one an in-place update can
  beat. TRL's reference update is a plain copy of weights its EMA update already computed
  into a whole second model (tied weights copied twice): the output says how fast that copy
  runs against a copy of the same bytes, and ``both`` is the like-for-like comparison (a
  fresh reference from the current weights);
* the extra resident memory each callback adds (steady state, and peak during updates), in
  multiples of the model's parameter bytes. Each contender runs in its own process so the
  figures do not mix.

A second part runs fledge's callback in several processes (``torchrun``, gloo, CPU) on one
model (150M; ``--quick``: 30M): one process, two processes with replicated parameters (DDP's
layout: every rank holds the whole model and averages all of it) and two processes with the
parameters sharded by FSDP2 (``fully_shard``: every rank averages its own shards). It prints
the time of one BEMA update per rank (the slowest rank; the ranks start each repetition
together) and the extra memory per rank: the bytes of θ₀ and EMA the callback holds, and the
growth of the resident memory (steady and peak). Sharded, both must fall with the number of
ranks. All processes there run one torch thread, and ``MALLOC_MMAP_THRESHOLD_`` makes large
buffers come from (and go back to) the OS, so a freed full model cannot hide the callback's
memory. ``--ranks 2 4`` adds more process counts (on a 2-core machine 4 ranks share the
cores, so their times are not meaningful; their memory is).

``--compiled`` adds a third contender to the single-process part: fledge's callback with
``torch_compile=True``, whose reference write is one compiled kernel that fuses the EMA update
and the BEMA write of every tensor (its first write compiles it, untimed: tens of seconds on
a CPU).

Run: ``python benchmarks/bench_bema.py`` (``--quick``: ~10M and ~30M parameters, fewer
repetitions; ``--part single`` or ``--part distributed`` runs one part). Timings depend on
the machine and its load; compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import warnings
from types import SimpleNamespace

SIZES = {
    "50M": dict(hidden_size=512, num_hidden_layers=12, intermediate_size=1536,
                num_attention_heads=8, num_key_value_heads=4, vocab_size=32768),
    "150M": dict(hidden_size=768, num_hidden_layers=18, intermediate_size=2304,
                 num_attention_heads=12, num_key_value_heads=4, vocab_size=32768),
    "10M": dict(hidden_size=256, num_hidden_layers=8, intermediate_size=768,
                num_attention_heads=4, num_key_value_heads=2, vocab_size=16384),
    "30M": dict(hidden_size=384, num_hidden_layers=12, intermediate_size=1152,
                num_attention_heads=6, num_key_value_heads=2, vocab_size=32768),
    # gpu_check.py: Qwen2-0.5B's shape (494M) for the GPU, two tiny ones for its --smoke run.
    "0.5B": dict(hidden_size=896, num_hidden_layers=24, intermediate_size=4864,
                 num_attention_heads=14, num_key_value_heads=2, vocab_size=151936),
    "0.4M": dict(hidden_size=64, num_hidden_layers=2, intermediate_size=192,
                 num_attention_heads=4, num_key_value_heads=2, vocab_size=4096),
    "2M": dict(hidden_size=128, num_hidden_layers=4, intermediate_size=384,
               num_attention_heads=4, num_key_value_heads=2, vocab_size=8192),
}


def _rss() -> tuple[int, int]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _model(size: str, seed: int, dtype=None, device=None):
    """A random Qwen2 model of ``SIZES[size]``: fp32 on the CPU unless ``dtype``/``device`` say."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(tie_word_embeddings=True, max_position_embeddings=512, **SIZES[size])
    with torch.device(device or "cpu"):  # built where it lives: no large host-device copy
        model = Qwen2ForCausalLM(config)
    return model.to(dtype or torch.float32)


def _state(step: int):
    from transformers import TrainerState

    state = TrainerState()
    state.global_step = step
    return state


def _time(fn, reps: int, setup=None) -> float:
    """Best-of-``reps`` seconds of ``fn()``; ``setup()`` (not timed) runs before each call.

    The best, not the median: on a shared machine other processes only ever add time, and
    the best of several runs is the closest to what the code itself costs (for both
    contenders alike). Two untimed calls warm up first (page faults, plan building).
    """
    samples = []
    for i in range(reps + 2):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        if i >= 2:
            samples.append(time.perf_counter() - start)
    return min(samples)


def _time_together(fns: dict, reps: int, setups: dict | None = None) -> dict[str, float]:
    """Best-of-``reps`` seconds of each of ``fns``, taken in turn (one of each per round),
    so that load from other processes falls on all of them alike; ``setups[key]()`` (not
    timed) runs before each call of ``fns[key]``. Two untimed rounds warm up first."""
    setups = setups or {}
    samples: dict[str, list[float]] = {key: [] for key in fns}
    for i in range(reps + 2):
        for key, fn in fns.items():
            if key in setups:
                setups[key]()
            start = time.perf_counter()
            fn()
            if i >= 2:
                samples[key].append(time.perf_counter() - start)
    return {key: min(values) for key, values in samples.items()}


def _floor_ops(params) -> dict:
    """Streaming operations over tensors shaped like ``params``, one per access pattern
    (see the module docstring): ``inplace`` (read 2, write 1 of them in place), ``copy``
    (read 1, write 1 not read) and ``addcmul`` (read 3, write 1 not read)."""
    import torch

    # Initialised (normal values): uninitialised memory may hold denormals, which are slow.
    xs, ys, zs = ([p.detach().clone() for p in params] for _ in range(3))

    def inplace():
        for p, x in zip(params, xs, strict=True):
            x.add_(p, alpha=1e-3)

    def copy():
        for p, z in zip(params, zs, strict=True):
            z.copy_(p)

    def addcmul():
        for p, x, y, z in zip(params, xs, ys, zs, strict=True):
            torch.addcmul(p, x, y, value=1e-3, out=z)

    return {"floor_inplace": inplace, "floor_copy": copy, "floor_addcmul": addcmul}


def _floors(times: dict) -> dict[str, float]:
    """The floor of each update from the timed streaming operations of ``_floor_ops``."""
    return {"ema": times["floor_inplace"], "ref": times["floor_addcmul"],
            "both": times["floor_inplace"] + times["floor_copy"]}


def _fledge_steps(cb, args, control, model, ref):
    """``run(update, write)``: a function doing one of our callback's steps, of that kind."""
    sched, step = cb.schedule, [0]

    def run(update: bool, write: bool):
        def go():
            step[0] += 1
            # Select what the step does through the (public) schedule settings.
            object.__setattr__(sched, "update_freq", 1 if update else 10**9)
            object.__setattr__(sched, "ref_model_update_freq", 1 if write else 10**9)
            cb.on_step_end(args, _state(step[0]), control, model=model, ref_model=ref)
        return go

    return run


def _trl_steps(cb, args, control, model, ref):
    """``run(update, write)`` for TRL: ``trl.BEMACallback``'s update (it also refreshes its
    BEMA model) and the reference update of ``trl.experimental.bema_for_ref_model`` (a
    state-dict load of that BEMA model into the reference)."""
    from trl.experimental.bema_for_ref_model import BEMACallback as TRLRefCallback

    writer = TRLRefCallback.__new__(TRLRefCallback)
    step = [0]

    def run(update: bool, write: bool):
        def go():
            step[0] += 1
            if update:
                cb.on_step_end(args, _state(step[0]), control, model=model)
            if write:
                writer._update_model_with_bema_weights(ref, cb.running_model.state_dict())
        return go

    return run


def _perturb(model) -> None:
    import torch

    with torch.no_grad():
        for p in model.parameters():
            p.add_(1e-4)


def child(size: str, who: str, reps: int, threads: int) -> dict:
    """Measure one contender on one model size; runs in its own process."""
    import torch
    from transformers import TrainerControl

    if threads:
        torch.set_num_threads(threads)
    warnings.simplefilter("ignore")
    torch.set_grad_enabled(False)
    model, ref = _model(size, 0), _model(size, 1)
    params = list(model.parameters())
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    args, control = SimpleNamespace(output_dir="unused"), TrainerControl()
    result: dict = {"params": sum(p.numel() for p in params), "param_bytes": param_bytes}

    # The floors' tensors exist before the baseline: they are not a callback's memory.
    floor_ops = _floor_ops(params)
    # Import before the baseline: only the callbacks' own memory counts.
    import trl.experimental.bema_for_ref_model  # noqa: F401  (used by _trl_steps)
    from trl import BEMACallback as TRLBEMACallback

    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    base_rss, _ = _rss()
    _reset_peak()
    if who in ("fledge", "compiled"):
        cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1,
                          device="cpu", torch_compile=who == "compiled")
        cb.on_train_begin(args, _state(0), control, model=model, ref_model=ref)
        run = _fledge_steps(cb, args, control, model, ref)
    else:
        cb = TRLBEMACallback(update_freq=1, device="cpu")
        cb.on_train_begin(args, _state(0), control, model=model)
        run = _trl_steps(cb, args, control, model, ref)

    def perturb():  # a stand-in optimizer step, not timed
        _perturb(model)

    updates = {"ema": run(True, False), "ref": run(False, True), "both": run(True, True)}
    if who == "compiled":  # the first writes compile the two fused kernels, once a process
        start = time.perf_counter()
        updates["both"]()
        updates["ref"]()
        result["compile_s"] = time.perf_counter() - start
    times = _time_together({**updates, **floor_ops}, reps, dict.fromkeys(updates, perturb))
    result.update(times)
    result["floor"] = _floors(times)
    if who == "trl":  # what its reference update copies: the BEMA model's state dict
        result["copied_bytes"] = sum(
            v.numel() * v.element_size() for v in cb.running_model.state_dict().values()
        )
    rss, peak = _rss()
    result["extra_rss"] = (rss - base_rss) / param_bytes
    result["extra_peak"] = (peak - base_rss) / param_bytes
    return result


def _run_child(size: str, who: str, reps: int, threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", size, who, str(reps), str(threads)],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench child {size}/{who} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def dist_child(size: str, mode: str, reps: int) -> dict | None:
    """One rank of the distributed part: fledge's callback on this rank's part of the model.

    ``mode`` is ``replicated`` (every rank holds the whole model, as under DDP) or ``fsdp2``
    (policy and reference ``fully_shard``-ed, each decoder layer and the root). Rank 0
    returns every rank's figures; the others return ``None``.
    """
    import torch
    import torch.distributed as dist
    from transformers import TrainerControl

    from fledge_plugins.bema_for_ref_model import _sharding
    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model, ref = _model(size, 0), _model(size, 1)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    if mode == "fsdp2":
        from torch.distributed.fsdp import fully_shard

        for layer in model.model.layers:
            fully_shard(layer)
        fully_shard(model)
        fully_shard(ref)
    locals_ = [_sharding.local(p) for p in model.parameters()]
    local_bytes = sum(t.numel() * t.element_size() for t in locals_)
    args, control = SimpleNamespace(output_dir="unused", save_on_each_node=False), TrainerControl()
    dist.barrier()
    base_rss, _ = _rss()
    _reset_peak()
    cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1, device="cpu")
    cb.on_train_begin(args, _state(0), control, model=model, ref_model=ref)
    run = _fledge_steps(cb, args, control, model, ref)

    def setup():  # a stand-in optimizer step, then all ranks start together
        for t in locals_:
            t.add_(1e-4)
        dist.barrier()

    result = {"rank": rank, "world": world, "mode": mode, "param_bytes": param_bytes,
              "local_bytes": local_bytes, "sharded": cb.sharded}
    for kind, update, write in (("ema", True, False), ("ref", False, True), ("both", True, True)):
        result[kind] = _time(run(update, write), reps, setup)
    rss, peak = _rss()
    result.update(buffers=cb.state.nbytes(), extra_rss=rss - base_rss, extra_peak=peak - base_rss)
    gathered = [None] * world
    dist.gather_object(result, gathered if rank == 0 else None, dst=0)
    dist.destroy_process_group()
    return {"ranks": gathered} if rank == 0 else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_dist(size: str, mode: str, nproc: int, reps: int) -> list[dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": "65536",
           "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
         "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
         __file__, "--dist-child", size, mode, str(reps)],
        capture_output=True, text=True, check=False, env=env,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-DIST ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"bench {mode} on {nproc} processes failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("BENCH-DIST "))["ranks"]


def distributed_part(size: str, reps: int, extra_ranks: list[int]) -> None:
    """Print the distributed part's table (see the module docstring)."""
    runs = [("1 process", _run_dist(size, "replicated", 1, reps)),
            ("2 replicated (DDP)", _run_dist(size, "replicated", 2, reps))]
    for n in sorted({2, *extra_ranks}):
        runs.append((f"{n} sharded (FSDP2)", _run_dist(size, "fsdp2", n, reps)))
    first = runs[0][1][0]
    mib = first["param_bytes"] / 2**20
    print(f"\n== several processes (torchrun, gloo, 1 thread each): Qwen2 {size}, "
          f"{mib:.0f} MiB fp32 parameters; per rank, the slowest rank's time")
    print(f"{'run':<20}{'EMA ms':>8}{'ref ms':>8}{'both ms':>9}{'vs 1 proc':>11}"
          f"{'params MiB':>12}{'buffers MiB':>13}{'RSS+ MiB':>10}{'peak+ MiB':>11}")
    base = max(r["both"] for r in runs[0][1])
    for label, ranks in runs:
        slow = {k: max(r[k] for r in ranks) for k in ("ema", "ref", "both")}
        mem = {k: max(r[k] for r in ranks) / 2**20
               for k in ("local_bytes", "buffers", "extra_rss", "extra_peak")}
        print(f"{label:<20}{slow['ema'] * 1e3:>8.1f}{slow['ref'] * 1e3:>8.1f}"
              f"{slow['both'] * 1e3:>9.1f}{slow['both'] / base:>10.2f}x"
              f"{mem['local_bytes']:>12.0f}{mem['buffers']:>13.0f}{mem['extra_rss']:>10.0f}"
              f"{mem['extra_peak']:>11.0f}")


def _print_rows(ours: dict, trl: dict) -> None:
    """One table row per update: our time, TRL's, our floor and the two ratios."""
    for kind, label in (("ema", "BEMA (EMA)"), ("ref", "reference"), ("both", "both")):
        a, b, f = ours[kind], trl[kind], ours["floor"][kind]
        print(f"{label:<14}{a * 1e3:>10.1f}{b * 1e3:>10.1f}{f * 1e3:>10.1f}"
              f"{b / a:>11.2f}x{a / f:>13.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~10M/30M models, 5 repetitions")
    parser.add_argument("--reps", type=int, default=None, help="timed repetitions (best of)")
    parser.add_argument(
        "--threads", type=int, default=0,
        help="torch threads (default: torch's choice); 1 gives steadier figures on a busy machine",
    )
    parser.add_argument("--part", choices=("all", "single", "distributed"), default="all",
                        help="run one part only (default: both)")
    parser.add_argument("--ranks", type=int, nargs="*", default=[],
                        help="more process counts for the sharded run (2 always runs)")
    parser.add_argument("--compiled", action="store_true",
                        help="also time fledge's callback with torch_compile=True")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--dist-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dist_child:
        size, mode, reps = args.dist_child
        result = dist_child(size, mode, int(reps))
        if result is not None:
            print("BENCH-DIST " + json.dumps(result), flush=True)
        return 0
    if args.child:
        size, who, reps, threads = args.child
        print(json.dumps(child(size, who, int(reps), int(threads))))
        return 0
    sizes = ("10M", "30M") if args.quick else ("50M", "150M")
    reps = args.reps or (5 if args.quick else 8)
    import torch

    threads = args.threads or torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, fp32, CPU buffers, best of {reps}")
    if args.part == "distributed":
        sizes = ()
    for size in sizes:
        ours = _run_child(size, "fledge", reps, args.threads)
        trl = _run_child(size, "trl", reps, args.threads)
        compiled = _run_child(size, "compiled", reps, args.threads) if args.compiled else None
        pbytes = ours["param_bytes"]
        mib = pbytes / 2**20
        print(f"\n== Qwen2 {ours['params'] / 1e6:.1f}M parameters ({mib:.0f} MiB fp32); "
              f"floors from streaming ops in fledge's process (bytes read + written): "
              f"in-place add {3 * pbytes / ours['floor_inplace'] / 1e9:.1f} GB/s, "
              f"copy {2 * pbytes / ours['floor_copy'] / 1e9:.1f} GB/s, "
              f"addcmul {4 * pbytes / ours['floor_addcmul'] / 1e9:.1f} GB/s")
        print(f"{'update':<14}{'fledge ms':>10}{'TRL ms':>10}{'floor ms':>10}"
              f"{'TRL/fledge':>12}{'fledge/floor':>14}")
        _print_rows(ours, trl)
        if compiled is not None:
            print(f"fledge with torch_compile=True (its own process, its own floors; the "
                  f"first writes compiled its kernels in {compiled['compile_s']:.1f} s):")
            _print_rows(compiled, trl)
        copied = trl["copied_bytes"]
        trl_copy_floor = trl["floor_copy"] * copied / trl["param_bytes"]
        print(f"TRL's reference update copies weights its EMA update already computed into "
              f"a second model ({copied / 2**20:.0f} MiB, tied weights twice: it reads and "
              f"writes {2 * copied / pbytes:.1f}x the parameter bytes; "
              f"{trl['ref'] / trl_copy_floor:.2f}x a copy of as many bytes).\n"
              f"fledge's computes EMA + alpha*(theta - theta0) when it writes (reads 3x, "
              f"writes 1x) and holds no such copy; like with like: 'both'.")
        print(f"extra memory (x parameter bytes): fledge {ours['extra_rss']:.2f} steady, "
              f"{ours['extra_peak']:.2f} peak; TRL {trl['extra_rss']:.2f} steady, "
              f"{trl['extra_peak']:.2f} peak")
    if args.part != "single":
        distributed_part("30M" if args.quick else "150M", reps, args.ranks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
