"""One rank of a real multi-process DPO training with BEMA; started by test_bema_distributed.py.

Run by ``fledge.testing.distributed.launch`` (torchrun or ``accelerate launch``), or imported
by the test for the one-process run. Each rank trains the kit's tiny model with
``BEMACallback(update_ref_model=True)`` (``use_cpu=True``: gloo, ``MULTI_CPU``) and reports
what it saw and did: the distributed type and ranks, the BEMA state files it wrote and read,
the folders it saved a model to, and a digest of its reference model. It also writes its
reference model's weights to ``<output_dir>/ref-rank<r>.safetensors`` for the test to compare
with a one-process run.

The global batch is 4 preference pairs: 4 // world_size per rank. The Trainer's distributed
sampler deals the seeded permutation out in per-rank batches (rank r takes batch
``world·s + r`` of the permutation at step s), so the union of the ranks' batches at a step is
exactly the one-process batch of that step; DDP averages the ranks' mean losses' gradients,
which is the gradient of the mean over the global batch. Both runs follow the same policy
trajectory, up to float rounding.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

GLOBAL_BATCH = 4


def build_trainer(output_dir: str, *, world_size: int, max_steps: int, save_steps: int) -> Any:
    """The DPO trainer and its BEMACallback, for one rank of a ``world_size`` run."""
    from trl import DPOConfig

    from fledge.testing import make_dataset, tiny_model, tiny_tokenizer
    from fledge_plugins.bema_for_ref_model.api import BEMACallback, DPOTrainer

    tokenizer = tiny_tokenizer()
    config = DPOConfig(
        output_dir=output_dir, max_steps=max_steps,
        per_device_train_batch_size=GLOBAL_BATCH // world_size, learning_rate=5e-3,
        bf16=False, use_cpu=True, report_to="none", seed=0, logging_steps=1,
        save_strategy="steps", save_steps=save_steps, disable_tqdm=True,
    )
    callback = BEMACallback(update_freq=1, update_ref_model=True, ref_model_update_freq=1)
    trainer = DPOTrainer(
        model=tiny_model(0, tokenizer=tokenizer), ref_model=tiny_model(0, tokenizer=tokenizer),
        args=config, train_dataset=make_dataset("standard_preference"),
        processing_class=tokenizer, callbacks=[callback],
    )
    return trainer, callback


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
    weights = {n: p.detach().contiguous() for n, p in trainer.ref_model.named_parameters()}
    save_file(weights, str(Path(args.output_dir) / f"ref-rank{rank}.safetensors"))
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
