"""One rank of a real multi-process DPO training with BEMA; started by test_bema_distributed.py.

Run by ``fledge.testing.distributed.launch`` (torchrun or ``accelerate launch``), or imported
by the test for the one-process run. Each rank trains the kit's tiny model with
``BEMACallback(update_ref_model=True)`` (``use_cpu=True``: gloo, ``MULTI_CPU``) and reports
what it saw and did: the distributed type and ranks, the BEMA state files it wrote and read,
the folders it saved a model to, and a digest of its reference model. It also writes its
reference model's weights to ``<output_dir>/ref-rank<r>.safetensors`` and its policy's to
``<output_dir>/policy-rank<r>.safetensors`` for the test to compare with a one-process run
(the policies first: when they differ, the training setup does, not BEMA).

The global batch is 4 preference pairs: 4 // world_size per rank. The Trainer's distributed
sampler deals the seeded permutation out in per-rank batches (rank r takes batch
``world·s + r`` of the permutation at step s), so the union of the ranks' batches at a step is
exactly the one-process batch of that step; DDP averages the ranks' mean losses' gradients,
which is the gradient of the mean over the global batch. Both runs follow the same policy
trajectory, up to float rounding.

The optimizer is SGD with momentum, not the Trainer's default AdamW, so that "up to float
rounding" stays small: an SGD step is linear in the gradient, so the runs' weights differ by
about lr·|Δg| (~1e-8 here). AdamW's first step is lr·g/(|g| + ε) per element, and for an
element whose gradient nearly cancels (|g| ≲ ε = 1e-8; the tied embedding has some) the
rounding of g alone (a different summation order, or a different number of CPU threads)
moves the weight by up to lr·|Δg|/ε. With AdamW at lr 5e-3 one embedding element whose
first gradient was 5.9e-10 in one run and 5.7e-10 in the other left the policies 8e-6 and
their BEMA weights 1.1e-5 apart, and the one-process result moved by half that with the
number of CPU threads alone. The optimizer plays no part in what is tested (BEMA of whatever
trajectory the policy follows).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

GLOBAL_BATCH = 4
# SGD with momentum (see the module doc): moves the weights by about 2e-2 in 4 steps.
LEARNING_RATE, MOMENTUM = 0.1, 0.9


def build_trainer(output_dir: str, *, world_size: int, max_steps: int, save_steps: int) -> Any:
    """The DPO trainer and its BEMACallback, for one rank of a ``world_size`` run."""
    import torch
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
    from fledge_plugins.bema_for_ref_model.api import BEMACallback, DPOTrainer

    tokenizer = tiny_tokenizer()
    config = DPOConfig(
        output_dir=output_dir, max_steps=max_steps,
        per_device_train_batch_size=GLOBAL_BATCH // world_size, learning_rate=LEARNING_RATE,
        bf16=False, use_cpu=True, report_to="none", seed=0, logging_steps=1,
        save_strategy="steps", save_steps=save_steps, disable_tqdm=True,
    )
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    model = tiny_model(0, tokenizer=tokenizer)
    # Passed in, not ``optim="sgd", optim_args="momentum=0.9"``: transformers 4.x ignores
    # optim_args for SGD. The Trainer still adds its linear schedule, and saves and restores
    # the optimizer's state.
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    trainer = DPOTrainer(
        model=model, ref_model=tiny_model(0, tokenizer=tokenizer),
        args=config, train_dataset=make_dataset("standard_preference"),
        processing_class=tokenizer, callbacks=[callback], optimizers=(optimizer, None),
    )
    return trainer, callback


def weights(model: Any) -> dict[str, Any]:
    """A model's parameters by name (the module under a DDP wrapper), detached."""
    from fledge_plugins.bema_for_ref_model._targets import unwrap

    return {n: p.detach().clone().contiguous() for n, p in unwrap(model).named_parameters()}


def digest(model: Any) -> str:
    """sha256 of every parameter's bytes, by name."""
    h = hashlib.sha256()
    for name, param in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(param.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def spy(record: dict[str, list[str]]) -> None:
    """Record every BEMA state file written and read by this process."""
    from fledge_plugins.bema_for_ref_model import _checkpoint

    write, read = _checkpoint.write, _checkpoint.read

    def spied_write(path, *args, **kwargs):
        record["state_writes"].append(str(path))
        return write(path, *args, **kwargs)

    def spied_read(path, *args, **kwargs):
        record["state_reads"].append(str(path))
        return read(path, *args, **kwargs)

    _checkpoint.write, _checkpoint.read = spied_write, spied_read


def main() -> None:
    import os
    import warnings

    warnings.simplefilter("ignore")  # TRL's and fledge's notices would flood every stderr

    from safetensors.torch import save_file

    from fledge.testing.distributed import finish

    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--save-steps", type=int, default=2)
    parser.add_argument("--resume-from", default=None)
    args = parser.parse_args()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    record: dict[str, list[str]] = {"state_writes": [], "state_reads": [], "model_saves": []}
    spy(record)
    trainer, callback = build_trainer(args.output_dir, world_size=world,
                                      max_steps=args.steps, save_steps=args.save_steps)
    policy_save = trainer.model.save_pretrained

    def spied_save(path, *a, **kw):
        record["model_saves"].append(str(path))
        return policy_save(path, *a, **kw)

    trainer.model.save_pretrained = spied_save
    trainer.train(resume_from_checkpoint=args.resume_from)
    rank = trainer.accelerator.process_index
    out = Path(args.output_dir)
    save_file(weights(trainer.ref_model), str(out / f"ref-rank{rank}.safetensors"))
    save_file(weights(trainer.model), str(out / f"policy-rank{rank}.safetensors"))
    finish({
        "rank": rank,
        "num_processes": trainer.accelerator.num_processes,
        "distributed_type": str(trainer.accelerator.distributed_type),
        "global_step": trainer.state.global_step,
        "sharded": callback.sharded,
        "ref_digest": digest(trainer.ref_model),
        **record,
    })


if __name__ == "__main__":
    main()
