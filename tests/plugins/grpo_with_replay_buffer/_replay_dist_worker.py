"""One rank of a real multi-process GRPO-with-replay run; started by test_replay_distributed.py.

Started by ``fledge.testing.distributed.launch`` under torchrun or ``accelerate launch``. Each
rank trains the kit's tiny model and reports, per generation batch, what it saw and did:
the gathered rewards, the replay plan (global group indices, drawn buffer ids), digests of
its rows before and after replay and of the stored groups drawn, the buffer afterwards, and
the logged metrics. The test compares the ranks' reports with each other and with the
one-process decision.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import warnings

warnings.simplefilter("ignore")  # TRL's and fledge's notices would flood every rank's stderr

import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from fledge.testing.distributed import finish  # noqa: E402
from fledge.testing.training import make_dataset  # noqa: E402
from fledge_plugins.grpo_with_replay_buffer.api import (  # noqa: E402
    GRPOWithReplayBufferConfig,
    GRPOWithReplayBufferTrainer,
)

G = 4


def tie_some(prompts, completions, **kwargs):
    """Even-length prompts tie at 0; the others score the parity of the completion's length."""
    return [0.0 if len(p) % 2 == 0 else float(len(c) % 2)
            for p, c in zip(prompts, completions, strict=True)]


def _bytes(tensor: torch.Tensor) -> bytes:
    return tensor.detach().cpu().contiguous().numpy().tobytes()


def row_digests(batch, *, logps: bool) -> list[str]:
    """One digest per row of what the loss sees: real prompt and completion tokens, the
    advantage and, with ``logps``, the old log-probs of the real completion tokens. Padding
    and widths do not enter, so a row reads the same in a batch and in the buffer."""
    digests = []
    for row in range(batch["prompt_ids"].shape[0]):
        h = hashlib.sha1()
        h.update(_bytes(batch["prompt_ids"][row][batch["prompt_mask"][row].bool()]))
        mask = batch["completion_mask"][row].bool()
        h.update(b"|" + _bytes(batch["completion_ids"][row][mask]))
        h.update(b"|" + _bytes(batch["advantages"][row].float()))
        if logps:
            h.update(b"|" + _bytes(batch["old_per_token_logps"][row][mask].float()))
        digests.append(h.hexdigest()[:16])
    return digests


def buffer_state(buffer) -> dict:
    content = hashlib.sha1()
    for group in buffer.groups:
        for name in sorted(group):
            content.update(name.encode() + _bytes(group[name]))
    return {"ids": buffer.ids, "scores": buffer.scores, "content": content.hexdigest()}


class Recorder(GRPOWithReplayBufferTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []
        self.loaded = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._seen_rewards = rewards.flatten().tolist()
        return rewards

    def _apply_replay_plan(self, output, plan):
        buffer = self.replay_buffer
        rows = output["prompt_ids"].shape[0]
        drawn = {str(buffer.ids[i]): row_digests(buffer.group(i), logps=True)
                 for i in plan.drawn}  # a short buffer may draw one group several times
        drawn_ids = [buffer.ids[i] for i in plan.drawn]
        stored_before = len(buffer)
        ids_before = set(buffer.ids)
        before = row_digests(output, logps=False)
        # The current policy's log-probs of every row, before the batch is rewritten in place.
        current = GRPOWithReplayBufferTrainer._replay_current_logps(self, output, list(range(rows)))
        width = output["completion_ids"].shape[1]
        fresh_mask = output["completion_mask"].bool().clone()
        result = super()._apply_replay_plan(output, plan)

        offset = self.accelerator.process_index * rows
        fresh_rows = [r for r in range(rows) if (offset + r) // G not in plan.replaced]
        error = None
        if "old_per_token_logps" in result and fresh_rows:
            index = torch.tensor(fresh_rows)
            got = result["old_per_token_logps"][index, :width]
            error = (got - current[index]).abs()[fresh_mask[index]].max().item()
        new_ids = sorted(set(buffer.ids) - ids_before)
        stored = {str(i): row_digests(buffer.group(buffer.ids.index(i)), logps=False)
                  for i in new_ids}
        self.records.append({
            "step": self.state.global_step,
            "rewards": self._seen_rewards,
            "plan": {"num_groups": plan.num_groups, "tied": list(plan.tied),
                     "replaced": list(plan.replaced), "drawn": list(plan.drawn),
                     "drawn_ids": drawn_ids, "admitted": list(plan.admitted),
                     "scores": list(plan.scores)},
            "drawn_rows": drawn,
            "admitted_ids": new_ids,
            "admitted_rows": stored,
            "before": before,
            "after_tok": row_digests(result, logps=False),
            "after_full": (row_digests(result, logps=True)
                           if "old_per_token_logps" in result else None),
            "fresh_logps_error": error,
            "stored_before": stored_before,
            "zero_advantage_rows": int((result["advantages"] == 0).sum()),
            "buffer_after": buffer_state(buffer),
        })
        return result

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        if checkpoint is not None:
            self.loaded = {**buffer_state(self.replay_buffer), "stats": dict(self.replay_stats)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--save-steps", type=int, default=0)
    parser.add_argument("--per-device", type=int, default=10)
    parser.add_argument("--buffer-size", type=int, default=4)
    parser.add_argument("--resume", default=None)
    parser.add_argument("--diverge", action="store_true",
                        help="reseed the last rank's replay generator: the ranks must notice")
    options = parser.parse_args()

    args = GRPOWithReplayBufferConfig(
        output_dir=options.out,
        use_cpu=True,  # without it each torchrun worker trains alone (DistributedType.NO)
        learning_rate=1e-2,
        per_device_train_batch_size=options.per_device,
        num_generations=G,
        max_completion_length=6,
        replay_buffer_size=options.buffer_size,
        max_steps=options.steps,
        logging_steps=1,
        save_strategy="steps" if options.save_steps else "no",
        save_steps=options.save_steps or 500,
        report_to="none",
        bf16=False,
        seed=0,
        dataloader_pin_memory=False,
        disable_tqdm=True,
    )
    trainer = Recorder(
        model=AutoModelForCausalLM.from_pretrained(options.model),
        reward_funcs=[tie_some],
        args=args,
        train_dataset=make_dataset("standard_prompt_only"),
        processing_class=AutoTokenizer.from_pretrained(options.model),
    )
    if options.diverge and trainer.accelerator.is_last_process:
        trainer._replay_generator.manual_seed(12345)
    trainer.train(resume_from_checkpoint=options.resume)
    accelerator = trainer.accelerator
    finish({
        "rank": accelerator.process_index,
        "env_rank": int(os.environ["RANK"]),
        "distributed_type": str(accelerator.distributed_type.value),
        "num_processes": accelerator.num_processes,
        "backend": str(torch.distributed.get_backend()) if torch.distributed.is_initialized()
        else None,
        "rows_per_rank": options.per_device,
        "records": trainer.records,
        "loaded": trainer.loaded,
        "metrics": [{k: v for k, v in entry.items()
                     if k.startswith("replay_buffer/") or k == "step"}
                    for entry in trainer.state.log_history
                    if "replay_buffer/frac_replayed" in entry],
        "stats": trainer.replay_stats,
        "final_buffer": buffer_state(trainer.replay_buffer),
    })


if __name__ == "__main__":
    main()
