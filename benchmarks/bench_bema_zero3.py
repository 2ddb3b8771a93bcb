"""Benchmark: BEMACallback under DeepSpeed ZeRO-3, one process against two.

Policy and reference, random fp32 Qwen2 models of ``bench_bema.py``'s sizes (150M;
``--quick``: 30M), are each partitioned by ``deepspeed.initialize`` with a ZeRO-3 config
(no optimizer, as TRL's ``prepare_deepspeed`` does for the reference; DeepSpeed's default
``stage3_param_persistence_threshold``, so the small parameters stay gathered as in a real
run), on 1 and on 2 processes (``torchrun``, gloo, DeepSpeed's CPU accelerator, one torch
thread each). Each rank runs fledge's callback on its partitions and the run prints, per
rank (the slowest rank's time; the ranks start each repetition together):

* the time of one EMA update, one reference update (the write into the reference's
  partitions, plus gathering its persistent parameters again) and one step doing both, and
  of the gathering again alone (a collective over the persistent parameters);
* the bytes of θ₀ and EMA the callback holds, against the policy's parameter bytes and the
  bytes of this rank's partitions;
* both as a ratio of the one-process run: with partitions, time and state bytes per rank
  must fall with the number of ranks (about 0.5 on 2).

Run: ``python benchmarks/bench_bema_zero3.py`` (``--quick``: 30M, fewer repetitions;
``--reps N``). Needs DeepSpeed (``pip install "fledge[deepspeed]"``). Timings depend on the
machine and its load; compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from types import SimpleNamespace

from bench_bema import _fledge_steps, _free_port, _model, _state, _time


def _partitioned(model):
    """``model`` partitioned by a ZeRO-3 engine (no optimizer): its module."""
    import deepspeed

    config = {"zero_optimization": {"stage": 3}, "train_micro_batch_size_per_gpu": 1}
    engine, *_ = deepspeed.initialize(model=model, config=config)
    return engine.module


def dist_child(size: str, reps: int) -> dict | None:
    """One rank: fledge's callback on this rank's ZeRO-3 partitions. Rank 0 returns every
    rank's figures; the others return ``None``."""
    import deepspeed
    import torch
    import torch.distributed as dist
    from transformers import TrainerControl

    from fledge_plugins.bema_for_ref_model import _sharding
    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    deepspeed.init_distributed(dist_backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model, ref = _model(size, 0), _model(size, 1)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    model, ref = _partitioned(model), _partitioned(ref)
    locals_ = [_sharding.local(p) for p in model.parameters()]
    local_bytes = sum(t.numel() * t.element_size() for t in locals_)
    persistent = sum(bool(getattr(p, "ds_persist", False)) for p in model.parameters())
    args, control = SimpleNamespace(output_dir="unused", save_on_each_node=False), TrainerControl()
    cb = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1, device="cpu")
    cb.on_train_begin(args, _state(0), control, model=model, ref_model=ref)
    run = _fledge_steps(cb, args, control, model, ref)

    def setup():  # a stand-in optimizer step on the partitions, then all ranks start together
        for t in locals_:
            t.add_(1e-4)
        dist.barrier()

    result = {"rank": rank, "world": world, "param_bytes": param_bytes,
              "local_bytes": local_bytes, "sharded": cb.sharded, "persistent": persistent,
              "params": sum(1 for _ in model.parameters())}
    for kind, update, write in (("ema", True, False), ("ref", False, True), ("both", True, True)):
        result[kind] = _time(run(update, write), reps, setup)
    result["regather"] = _time(cb._refresh_reference, reps, dist.barrier)
    result["buffers"] = cb.state.nbytes()
    gathered = [None] * world
    dist.gather_object(result, gathered if rank == 0 else None, dst=0)
    dist.destroy_process_group()
    return {"ranks": gathered} if rank == 0 else None


def _run(size: str, nproc: int, reps: int) -> list[dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "",
           "DS_ACCELERATOR": "cpu"}
    out = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
         "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
         __file__, "--dist-child", size, str(reps)],
        capture_output=True, text=True, check=False, env=env,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-ZERO3 ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"bench ZeRO-3 on {nproc} processes failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("BENCH-ZERO3 "))["ranks"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 30M model, 5 repetitions")
    parser.add_argument("--reps", type=int, default=None, help="timed repetitions (best of)")
    parser.add_argument("--dist-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dist_child:
        size, reps = args.dist_child
        result = dist_child(size, int(reps))
        if result is not None:
            print("BENCH-ZERO3 " + json.dumps(result), flush=True)
        return 0
    import deepspeed
    import torch

    size = "30M" if args.quick else "150M"
    reps = args.reps or (5 if args.quick else 8)
    runs = [(f"{n} process{'es' if n > 1 else ''}", _run(size, n, reps)) for n in (1, 2)]
    first = runs[0][1][0]
    print(f"torch {torch.__version__}, DeepSpeed {deepspeed.__version__} (CPU accelerator, "
          f"gloo), 1 thread a rank, best of {reps}")
    print(f"\n== ZeRO-3, Qwen2 {size}: {first['param_bytes'] / 2**20:.0f} MiB fp32 parameters, "
          f"{first['persistent']} of {first['params']} tensors persistent; per rank, the "
          f"slowest rank's time")
    print(f"{'run':<13}{'EMA ms':>8}{'ref ms':>8}{'both ms':>9}{'vs 1 proc':>11}{'regather':>10}"
          f"{'partition MiB':>15}{'state MiB':>11}{'vs 1 proc':>11}{'state/params':>14}")
    base_time = max(r["both"] for r in runs[0][1])
    base_bytes = max(r["buffers"] for r in runs[0][1])
    for label, ranks in runs:
        slow = {k: max(r[k] for r in ranks) for k in ("ema", "ref", "both", "regather")}
        state = max(r["buffers"] for r in ranks)
        part = max(r["local_bytes"] for r in ranks)
        print(f"{label:<13}{slow['ema'] * 1e3:>8.1f}{slow['ref'] * 1e3:>8.1f}"
              f"{slow['both'] * 1e3:>9.1f}{slow['both'] / base_time:>10.2f}x"
              f"{slow['regather'] * 1e3:>10.1f}"
              f"{part / 2**20:>15.0f}{state / 2**20:>11.0f}{state / base_bytes:>10.2f}x"
              f"{state / first['param_bytes']:>13.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
