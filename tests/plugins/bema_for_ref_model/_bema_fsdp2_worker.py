"""One rank of a real FSDP2 (``fully_shard``) training with BEMA; started by
test_bema_distributed.py.

TRL's and transformers' Trainer cannot shard on a CPU-only machine (accelerate turns an FSDP
plugin into plain ``MULTI_CPU`` data parallelism when ``use_cpu=True``), so this is a plain
PyTorch loop that drives ``BEMACallback`` through the Trainer's events, as the Trainer does:
``fully_shard`` on each decoder layer and on the root of the policy, and on the root of the
reference (TRL's ``prepare_fsdp``); SGD with momentum; a forward of the reference under
``no_grad`` each step (which leaves FSDP2's root unsharded, as in DPO); BEMA after every
optimizer step.

Each step's global batch is 4 random token sequences of one length; rank r of n takes rows
``[r·4/n, (r+1)·4/n)``. The loss is the mean token cross-entropy, and FSDP2 averages the
ranks' gradients, so with equal token counts per rank the gradient is that of the whole
batch: ``run(world_size=1)`` (no process group, no sharding; the test calls it in-process)
follows the same trajectory up to float rounding. SGD, not AdamW, keeps that rounding small
(about 1e-8 on the weights): AdamW divides each gradient element by its own magnitude, which
turns the rounding of near-zero gradients into weight differences of up to lr·|Δg|/ε (see
_bema_ddp_worker.py).

Every rank reports the numbers of elements of its BEMA buffers and of the model, and whether
the buffers are plain (local) tensors; rank 0 writes the gathered BEMA weights, the gathered
reference model and the reference's logits on a probe batch to ``<output_dir>``, where the
callback also saves the BEMA model (``bema/``). At step 2 each rank writes its BEMA state
shard into ``checkpoint-2``; at the end a fresh callback on fresh sharded models restores it,
and each rank reports whether it got back exactly what it saved.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace
from typing import Any

GLOBAL_BATCH, LENGTH, STEPS = 4, 12, 4
LEARNING_RATE, MOMENTUM = 0.1, 0.9


def _shard(model: Any, *, layers: bool) -> None:
    from torch.distributed.fsdp import fully_shard

    if layers:
        for layer in model.model.layers:
            fully_shard(layer)
    fully_shard(model)


def _models(world_size: int) -> tuple[Any, Any]:
    from fledge.testing import tiny_model, tiny_tokenizer

    tokenizer = tiny_tokenizer()
    policy, ref = tiny_model(0, tokenizer=tokenizer), tiny_model(0, tokenizer=tokenizer)
    if world_size > 1:
        _shard(policy, layers=True)
        _shard(ref, layers=False)
    return policy, ref


def _trainer_state(step: int, rank: int) -> Any:
    from transformers import TrainerState

    state = TrainerState()
    state.global_step = step
    state.is_world_process_zero = state.is_local_process_zero = rank == 0
    return state


def _full(tensors: dict[str, Any]) -> dict[str, Any]:
    from fledge_plugins.bema_for_ref_model import _sharding

    return {n: _sharding.full(t).detach().clone().contiguous() for n, t in tensors.items()}


def run(output_dir: str, *, world_size: int, rank: int) -> dict[str, Any]:
    """Train for ``STEPS`` steps with BEMA; return this rank's report (see the module doc)."""
    import torch
    from safetensors.torch import save_file
    from transformers import TrainerControl

    from fledge_plugins.bema_for_ref_model import _sharding
    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    out = Path(output_dir)
    policy, ref = _models(world_size)
    args = SimpleNamespace(output_dir=str(out), save_on_each_node=False)
    control = TrainerControl()
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    callback.on_train_begin(args, _trainer_state(0, rank), control, model=policy, ref_model=ref)
    optimizer = torch.optim.SGD(policy.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    data = torch.randint(0, 600, (STEPS, GLOBAL_BATCH, LENGTH),
                         generator=torch.Generator().manual_seed(0))
    per_rank = GLOBAL_BATCH // world_size
    saved_at_2: dict[str, Any] = {}
    for step in range(1, STEPS + 1):
        batch = data[step - 1, rank * per_rank:(rank + 1) * per_rank]
        with torch.no_grad():
            ref(input_ids=batch)
        policy(input_ids=batch, labels=batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        callback.on_step_end(args, _trainer_state(step, rank), control, model=policy,
                             ref_model=ref)
        if step == 2 and world_size > 1:
            (out / "checkpoint-2").mkdir(parents=True, exist_ok=True)
            callback.on_save(args, _trainer_state(step, rank), control)
            saved_at_2 = {k: v.clone() for k, v in
                          callback.state.state_dict(with_targets=True).items()}
    bema = callback.bema_state_dict()
    layouts = {n: t.param for t in callback.state.tracked for n in t.names}
    bema_full = _full({n: _sharding.rebuild(layouts[n], v) for n, v in bema.items()})
    ref_full = _full(dict(ref.named_parameters()))
    with torch.no_grad():
        probe = ref(input_ids=data[0, :2]).logits
    callback.on_train_end(args, _trainer_state(STEPS, rank), control, model=policy)
    buffers = [t for tracked in callback.state.tracked for t in (tracked.theta0, tracked.ema)]
    report = {
        "rank": rank,
        "world_size": world_size,
        "sharded": callback.sharded,
        "buffers_plain": all(type(t) is torch.Tensor for t in buffers),
        "state_numel": sum(t.numel() for t in buffers),
        "model_numel": sum(p.numel() for p in policy.parameters()),
        "local_numel": sum(_sharding.local(p).numel() for p in policy.parameters()),
        "param_types": sorted({type(p).__name__ for p in policy.parameters()}),
        "files": sorted(p.name for p in (out / "checkpoint-2").glob("*"))
        if (out / "checkpoint-2").is_dir() else [],
    }
    if rank == 0:
        save_file(bema_full, str(out / "bema-weights.safetensors"))
        save_file(ref_full, str(out / "ref-weights.safetensors"))
        save_file({"logits": probe.contiguous()}, str(out / "ref-probe.safetensors"))
    if world_size > 1:
        report.update(_check_restore(out, args, control, rank, saved_at_2))
        report["mismatch_error"] = _mismatch_error(args, control, rank)
    return report


def _check_restore(out: Path, args: Any, control: Any, rank: int,
                   saved: dict[str, Any]) -> dict[str, Any]:
    """A fresh callback on fresh sharded models, resumed at step 2: does it get back the state
    (θ₀, EMA and what was written into the reference) this rank saved?"""
    import torch

    from fledge_plugins.bema_for_ref_model import _sharding
    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    policy, ref = _models(world_size=2)
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    callback._resume_dir = str(out / "checkpoint-2")
    callback.on_train_begin(args, _trainer_state(2, rank), control, model=policy, ref_model=ref)
    restored = callback.state.state_dict(with_targets=True)
    ref_shards = {n: _sharding.local(p) for n, p in ref.named_parameters()}
    same_ref = all(torch.equal(ref_shards[k[len("target."):]], v)
                   for k, v in saved.items() if k.startswith("target."))
    return {
        "restored_keys_match": sorted(restored) == sorted(saved),
        "restored_equal": all(torch.equal(restored[k], v) for k, v in saved.items()),
        "restored_ref_equal": same_ref,
        "last_update_step": callback.last_update_step,
    }


def _mismatch_error(args: Any, control: Any, rank: int) -> str:
    """The error for a sharded policy with an unsharded reference."""
    from fledge.testing import tiny_model, tiny_tokenizer
    from fledge_plugins.bema_for_ref_model.api import BEMACallback

    policy, _ = _models(world_size=2)
    plain = tiny_model(0, tokenizer=tiny_tokenizer())
    try:
        BEMACallback(update_freq=1, update_ref_model=True).on_train_begin(
            args, _trainer_state(0, rank), control, model=policy, ref_model=plain)
    except ValueError as error:
        return str(error)
    return ""


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")  # fledge's experimental notice on every rank

    import torch.distributed as dist

    from fledge.testing.distributed import finish

    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    args = parser.parse_args()
    dist.init_process_group("gloo")
    finish(run(args.output_dir, world_size=dist.get_world_size(), rank=dist.get_rank()))


if __name__ == "__main__":
    main()
