"""One rank of a real DeepSpeed DPO training with BEMA; started by test_bema_zero3.py.

Run by ``fledge.testing.distributed.launch``, under ``accelerate launch --config_file`` with
an accelerate config of ``distributed_type: DEEPSPEED`` (accelerate then tells the workers,
through ``ACCELERATE_USE_DEEPSPEED`` and ``ACCELERATE_DEEPSPEED_*``, to train with DeepSpeed)
or under ``torchrun`` with those variables set by the test; or imported by the test for the
one-process run without DeepSpeed. Each rank trains the kit's tiny model through TRL's
``DPOTrainer`` (this feature's subclass), which prepares the reference model for DeepSpeed
itself (``prepare_deepspeed``: under ZeRO-3 the reference is partitioned like the policy).

On a CPU-only machine DeepSpeed runs with its CPU accelerator (``DS_ACCELERATOR=cpu``) over
gloo. The config asks for ``ddp_backend="gloo"``: without it accelerate finds no backend for
the CPU and counts one process where DeepSpeed counts two (the reference's
``deepspeed.initialize`` then stops on ``train_batch_size ... 2 != 2 * 1 * 2``); transformers
ignores ``ddp_backend`` when the DeepSpeed config comes in ``DPOConfig(deepspeed=...)``, so
on a CPU the config must come from the launcher. ``use_cpu=True`` is for the one-process run
only: it turns DeepSpeed off.

The training is that of _bema_ddp_worker.py (SGD with momentum, 4 preference pairs a step,
its docstring says why a two-process run follows a one-process one up to rounding), with the
optimizer named in the config (``optim="sgd"``): under DeepSpeed the Trainer builds its own
and ignores one passed in ``optimizers=``, and a one-process run would then train with
another. One weight is frozen (``FROZEN``) so that frozen parameters take part. After every step a
recording callback, placed after ``BEMACallback``, gathers the policy's and the reference's
parameters with DeepSpeed's own ``GatheredParameters`` and rank 0 writes them to
``<output_dir>/step<k>-policy.safetensors`` and ``step<k>-ref.safetensors``: what the next
forward of each model uses. Each rank reports its BEMA state's bytes, the parameters' bytes,
the partitions it holds and what it wrote and read.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
from pathlib import Path
from typing import Any

GLOBAL_BATCH = 4
LEARNING_RATE, MOMENTUM = 0.1, 0.9
#: A weight that is not trained (nor averaged): the reference keeps the policy's copy.
FROZEN = "model.layers.0.mlp.down_proj.weight"


def ds_config(stage: int, persistence_threshold: int = 100) -> dict[str, Any]:
    """A DeepSpeed config as users write one ("auto" values filled in by the Trainer).

    ``persistence_threshold``: ZeRO-3 keeps parameters of at most this many elements
    gathered all the time; 100 makes the tiny model's biases and norms persistent and its
    matrices partitioned, so both kinds are exercised.
    """
    zero: dict[str, Any] = {"stage": stage}
    if stage == 3:
        zero["stage3_param_persistence_threshold"] = persistence_threshold
    return {
        "zero_optimization": zero,
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
    }


def build_trainer(output_dir: str, *, world_size: int, max_steps: int, save_steps: int,
                  deepspeed: bool, callbacks: list[Any] = ()) -> tuple[Any, Any]:
    """The DPO trainer and its BEMACallback for one rank; ``deepspeed``: the launcher set
    DeepSpeed up (else one process, no DeepSpeed)."""
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
    from fledge_plugins.bema_for_ref_model.api import BEMACallback, DPOTrainer

    tokenizer = tiny_tokenizer()
    extra = {"use_cpu": False, "ddp_backend": "gloo"} if deepspeed else {"use_cpu": True}
    config = DPOConfig(
        output_dir=output_dir, max_steps=max_steps,
        per_device_train_batch_size=GLOBAL_BATCH // world_size, learning_rate=LEARNING_RATE,
        bf16=False, report_to="none", seed=0, logging_steps=1,
        save_strategy="steps", save_steps=save_steps, disable_tqdm=True,
        optim="sgd", optim_args=f"momentum={MOMENTUM}", **extra,
    )
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    model = tiny_model(0, tokenizer=tokenizer)
    model.get_parameter(FROZEN).requires_grad_(False)
    trainer = DPOTrainer(
        model=model, ref_model=tiny_model(0, tokenizer=tokenizer),
        args=config, train_dataset=make_dataset("standard_preference"),
        processing_class=tokenizer, callbacks=[callback, *callbacks],
    )
    return trainer, callback


def gathered(model: Any) -> dict[str, Any]:
    """Every parameter of ``model`` (under its DeepSpeed/DDP wrapper) whole, by name, as the
    next forward sees it: ZeRO-3 parameters through DeepSpeed's ``GatheredParameters`` (a
    collective call; every rank must make it)."""
    from fledge_plugins.bema_for_ref_model._targets import unwrap

    module = unwrap(model)
    params = dict(module.named_parameters())
    partitioned = [p for p in params.values() if hasattr(p, "ds_id")]
    if not partitioned:
        return {n: p.detach().clone().contiguous() for n, p in params.items()}
    import deepspeed

    with deepspeed.zero.GatheredParameters(partitioned):
        return {n: p.detach().clone().contiguous() for n, p in params.items()}


def recorder(output_dir: str, rank: int) -> Any:
    """A callback that writes the gathered policy and reference after each step (rank 0)."""
    from safetensors.torch import save_file
    from transformers import TrainerCallback

    class Recorder(TrainerCallback):
        trainer: Any = None

        def on_step_end(self, args, state, control, model=None, **kwargs):
            policy, ref = gathered(model), gathered(self.trainer.ref_model)
            if rank == 0:
                out = Path(output_dir)
                save_file(policy, str(out / f"step{state.global_step}-policy.safetensors"))
                save_file(ref, str(out / f"step{state.global_step}-ref.safetensors"))

    return Recorder()


def spy(record: dict[str, list[str]]) -> None:
    """Record every BEMA state file written and read by this process."""
    from fledge_plugins.bema_for_ref_model import _checkpoint

    write, read = _checkpoint.write, _checkpoint.read

    def spied_write(path, *args, **kwargs):
        record["state_writes"].append(Path(path).name)
        return write(path, *args, **kwargs)

    def spied_read(path, *args, **kwargs):
        record["state_reads"].append(Path(path).name)
        return read(path, *args, **kwargs)

    _checkpoint.write, _checkpoint.read = spied_write, spied_read


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")  # TRL's, DeepSpeed's and fledge's notices, every rank

    import torch

    from fledge.testing.distributed import finish
    from fledge_plugins.bema_for_ref_model import _sharding
    from fledge_plugins.bema_for_ref_model._targets import unwrap

    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--save-steps", type=int, default=2)
    parser.add_argument("--resume-from", default=None)
    args = parser.parse_args()
    world, rank = int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"])
    record: dict[str, list[str]] = {"state_writes": [], "state_reads": []}
    spy(record)
    rec = recorder(args.output_dir, rank)
    trainer, callback = build_trainer(args.output_dir, world_size=world, max_steps=args.steps,
                                      save_steps=args.save_steps, deepspeed=True,
                                      callbacks=[rec])
    rec.trainer = trainer
    trainer.train(resume_from_checkpoint=args.resume_from)
    state = callback.state
    tracked = [t.param for t in state.tracked]
    policy = dict(unwrap(trainer.model).named_parameters())
    ref_digest = digest(gathered(trainer.ref_model))
    finish({
        "rank": rank,
        "num_processes": trainer.accelerator.num_processes,
        "distributed_type": str(trainer.accelerator.distributed_type),
        "zero_stage": (trainer.accelerator.state.deepspeed_plugin.zero_stage
                       if trainer.accelerator.state.deepspeed_plugin else None),
        "global_step": trainer.state.global_step,
        "sharded": callback.sharded,
        "partitioned": sum(_sharding.is_partitioned(p) for p in policy.values()),
        "persistent": sum(bool(getattr(p, "ds_persist", False)) for p in policy.values()),
        "parameters": len(policy),
        "tracked": [t.names[0] for t in state.tracked],
        "state_nbytes": state.nbytes(),
        "tracked_numel": sum(math.prod(_sharding.shape(p)) for p in tracked),
        "local_numel": sum(_sharding.local(p).numel() for p in tracked),
        "buffers_plain": all(type(b) is torch.Tensor for t in state.tracked
                             for b in (t.theta0, t.ema)),
        "ref_digest": ref_digest,
        **record,
    })


def digest(tensors: dict[str, Any]) -> str:
    """sha256 of the tensors' bytes, by name."""
    h = hashlib.sha256()
    for name, value in sorted(tensors.items()):
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    main()
