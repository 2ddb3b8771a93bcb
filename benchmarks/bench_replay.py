"""What the replay buffer costs per step, and how much memory it holds.

Prints, measured in one run on the CPU:

* the per-step cost of replay on a generation batch of 64 groups x 8 completions (prompts
  up to 128 tokens, completions up to 256, with old and reference log-probs): the replay
  decision, storing the admitted groups and rewriting the batch, with the buffer full
  (64 groups) and a quarter of the groups tied. The reference is the same step without
  replay: what the trainer does with every generation batch anyway (TRL's
  ``shuffle_sequence_dict`` and ``split_tensor_dict``). Aim: under 2 ms per step.
* the same step early in training, when the buffer holds fewer groups (4) than the batch
  has tied ones (16): how many tied groups are replaced per step (by default all of them,
  drawn with replacement) and what that costs.
* the buffer's memory at capacity: the bytes its tensors hold, and the growth of the
  process's resident memory while filling it, against the theoretical size (the groups'
  real tokens times each field's element size). Aim: within 10%.

The forward pass that computes ``old_per_token_logps`` when TRL skipped them is a model
cost, not the buffer's, and is not measured (it is the pass TRL makes itself when
generation and optimisation steps do not align).

Usage: ``python benchmarks/bench_replay.py [--quick] [--steps N] [--threads N]``

Both sides run on one CPU thread by default: on a machine shared with other work, torch's
intra-op threads mostly wait for each other on tensors this small.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import statistics
import time

import torch
from trl.trainer.utils import shuffle_sequence_dict, split_tensor_dict

from fledge_plugins.grpo_with_replay_buffer._batch import (
    apply_replay,
    extract_group,
    loss_token_count,
    plan_replay,
)
from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer

GROUPS, SIZE, PROMPT, COMPLETION, CAPACITY, PAD = 64, 8, 128, 256, 64, 0
PER_TOKEN = {  # field -> (dtype, side); the fields a GRPO batch with beta > 0 holds
    "prompt_ids": (torch.long, "prompt"),
    "prompt_mask": (torch.long, "prompt"),
    "completion_ids": (torch.long, "completion"),
    "completion_mask": (torch.long, "completion"),
    "old_per_token_logps": (torch.float32, "completion"),
    "ref_per_token_logps": (torch.float32, "completion"),
}


def make_batch(gen: torch.Generator) -> tuple[dict, torch.Tensor, list[tuple[int, int]]]:
    """A batch with per-group real lengths, its rewards (a quarter of groups tie), and the
    real (prompt, completion) length of each group."""
    rows = GROUPS * SIZE
    batch = {name: torch.zeros(rows, PROMPT if side == "prompt" else COMPLETION, dtype=dtype)
             for name, (dtype, side) in PER_TOKEN.items()}
    lengths = []
    for g in range(GROUPS):
        p = int(torch.randint(16, PROMPT + 1, (1,), generator=gen))
        c = int(torch.randint(32, COMPLETION + 1, (1,), generator=gen))
        lengths.append((p, c))
        rows_g = slice(g * SIZE, (g + 1) * SIZE)
        batch["prompt_ids"][rows_g, PROMPT - p:] = torch.randint(1, 1000, (SIZE, p), generator=gen)
        batch["prompt_mask"][rows_g, PROMPT - p:] = 1
        batch["completion_ids"][rows_g, :c] = torch.randint(1, 1000, (SIZE, c), generator=gen)
        batch["completion_mask"][rows_g, :c] = 1  # the longest completion of the group is c
        for name in ("old_per_token_logps", "ref_per_token_logps"):
            batch[name][rows_g, :c] = -torch.rand(SIZE, c, generator=gen)
    batch["advantages"] = torch.randn(rows, generator=gen)
    batch["num_items_in_batch"] = loss_token_count(batch)
    rewards = torch.rand(rows, 1, generator=gen)
    tied = torch.randperm(GROUPS, generator=gen)[: GROUPS // 4]
    for g in tied.tolist():
        rewards[g * SIZE:(g + 1) * SIZE] = 1.0
    return batch, rewards, lengths


SHORT = 4  # groups stored in the early-training scenario, fewer than the 16 tied


def replay_step(batch, rewards, buffer, generator, inplace=True, counts=None) -> dict:
    """The replay work the trainer does on one generation batch (old logps present).

    The trainer rewrites its own fresh batch in place; ``inplace=False`` copies it first.
    ``counts``, when given, collects ``(tied, replaced)`` for each step."""
    plan = plan_replay(rewards, [1.0], SIZE, buffer, generator)
    if counts is not None:
        counts.append((len(plan.tied), len(plan.replaced)))
    new = [(plan.scores[g], extract_group(batch, g * SIZE, SIZE)) for g in plan.admitted]
    out = batch
    if plan.replaced:
        out = apply_replay(batch, [(g * SIZE, buffer.group(i))
                                   for g, i in zip(plan.replaced, plan.drawn, strict=True)],
                           group_size=SIZE, pad_token_id=PAD, inplace=inplace)
    for score, group in new:
        buffer.add(score, group)
    return out


def trl_step(batch) -> list:
    """What the trainer does with every generation batch, replay or not."""
    return split_tensor_dict(shuffle_sequence_dict(batch), 4)


def time_steps(batches, steps, fn) -> list[float]:
    times = []
    for i in range(steps):
        batch, rewards, _ = batches[i % len(batches)]
        start = time.perf_counter()
        fn(batch, rewards)
        times.append(time.perf_counter() - start)
    return times


def release_free_memory() -> None:
    """Hand the allocator's free pages back to the system, so that what the buffer allocates
    next shows up as resident-memory growth instead of reusing freed batch memory."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the growth figure is then a lower bound
        pass


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def allocated_bytes() -> int | None:
    """Bytes the C allocator has handed out and not taken back (glibc's ``mallinfo2``):
    tensor data plus every object and chunk header, at byte precision; ``None`` elsewhere."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def theoretical_bytes(lengths: list[tuple[int, int]]) -> int:
    total = 0
    for p, c in lengths:
        for dtype, side in PER_TOKEN.values():
            itemsize = torch.empty(0, dtype=dtype).element_size()
            total += SIZE * (p if side == "prompt" else c) * itemsize
        total += SIZE * 4  # advantages, float32
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (50)")
    parser.add_argument("--steps", type=int, default=300, help="timed steps per side")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: the step is made of small operations "
                             "that threading only synchronises; 0 keeps torch's default)")
    args = parser.parse_args()
    steps = 50 if args.quick else args.steps
    if args.threads:
        torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    batches = [make_batch(gen) for _ in range(8)]

    # -- memory ----------------------------------------------------------------------------
    batch, _, lengths = make_batch(torch.Generator().manual_seed(7))
    groups = [extract_group(batch, g * SIZE, SIZE) for g in range(GROUPS)]
    buffer = ReplayBuffer(CAPACITY)
    release_free_memory()
    rss_before, allocated_before = rss_bytes(), allocated_bytes()
    for g, group in enumerate(groups):
        buffer.add(1.0 + g, group)
    rss_grown = rss_bytes() - rss_before
    theory = theoretical_bytes(lengths)
    held = buffer.nbytes()
    print(f"buffer at capacity ({len(buffer)} groups): theoretical size {theory / 2**20:.3f} MiB "
          f"(the groups' real tokens x element sizes)")
    print(f"  tensors hold {held / 2**20:.3f} MiB ({held / theory:.3f}x)")
    if allocated_before is not None:
        grown = allocated_bytes() - allocated_before
        print(f"  allocator in use grew {grown / 2**20:.3f} MiB ({grown / theory:.3f}x; data, "
              f"objects and chunk headers)   (aim within 10%)")
    print(f"  resident set grew {rss_grown / 2**20:.3f} MiB ({rss_grown / theory:.3f}x; "
          f"page- and arena-granular, indicative only)")
    whole = sum(v.untyped_storage().nbytes() for v in batch.values() if torch.is_tensor(v))
    print(f"for scale: one padded batch holds {whole / 2**20:.3f} MiB")
    del buffer, groups, batch

    # -- time ------------------------------------------------------------------------------
    buffer, draw = ReplayBuffer(CAPACITY), torch.Generator().manual_seed(1)
    for batch, rewards, _ in batches:  # fill the buffer: steady state, evictions included
        replay_step(batch, rewards, buffer, draw)
    assert len(buffer) == CAPACITY
    replay_fn = lambda b, r: replay_step(b, r, buffer, draw)  # noqa: E731
    copy_fn = lambda b, r: replay_step(b, r, buffer, draw, inplace=False)  # noqa: E731
    trl_fn = lambda b, r: trl_step(b)  # noqa: E731
    for fn in (replay_fn, copy_fn, trl_fn):  # warm up
        time_steps(batches, 10, fn)
    ours, copying, ref = [], [], []
    for _ in range(steps // 10):  # alternate, so machine noise hits every side
        ours += time_steps(batches, 10, replay_fn)
        copying += time_steps(batches, 10, copy_fn)
        ref += time_steps(batches, 10, trl_fn)
    ours_ms, ref_ms = statistics.median(ours) * 1e3, statistics.median(ref) * 1e3
    print(f"batch: {GROUPS} groups x {SIZE} completions, prompts <= {PROMPT} and completions "
          f"<= {COMPLETION} tokens, {len(PER_TOKEN)} per-token fields; buffer {CAPACITY} "
          f"groups (full); {GROUPS // 4} groups tied per batch; torch threads "
          f"{torch.get_num_threads()}; {len(ours)} steps per side")
    print(f"replay step (decide + store + rewrite batch): median {ours_ms:.3f} ms, "
          f"p90 {statistics.quantiles(ours, n=10)[-1] * 1e3:.3f} ms   (aim < 2 ms)")
    print(f"same, copying the batch instead of rewriting it in place: median "
          f"{statistics.median(copying) * 1e3:.3f} ms")
    print(f"reference, TRL's own per-batch shuffle + split: median {ref_ms:.3f} ms")
    print(f"ratio replay / reference: {ours_ms / ref_ms:.2f}x")

    # -- early training: fewer stored groups than tied ones --------------------------------
    short, counts = ReplayBuffer(SHORT), []
    for batch, rewards, _ in batches[:1]:
        replay_step(batch, rewards, short, draw)
    assert len(short) == SHORT
    short_fn = lambda b, r: replay_step(b, r, short, draw, counts=counts)  # noqa: E731
    time_steps(batches, 10, short_fn)
    counts.clear()
    early = time_steps(batches, steps, short_fn)
    tied = sum(t for t, _ in counts)
    replaced = sum(n for _, n in counts)
    print(f"early training, buffer of {SHORT} groups (full) and {GROUPS // 4} tied per batch: "
          f"{replaced / len(counts):.1f} of {tied / len(counts):.1f} tied groups replaced per "
          f"step ({replaced / tied:.0%}); median {statistics.median(early) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
