"""The trainer: TRL's stable ``GRPOTrainer``, with the replay buffer applied to its batches.

It overrides no generation or scoring code. ``_calculate_rewards`` is wrapped to keep the
raw rewards TRL computes, and ``_generate_and_score_completions`` transforms the batch TRL
returns, before TRL shuffles and splits it into ``steps_per_generation`` slices. The
buffer is saved beside every checkpoint and restored on resume.

Under several processes every rank takes the same decision from the gathered rewards, keeps
the same buffer (groups entering it are gathered whole from the ranks that hold their rows)
and rewrites only its own rows; see :mod:`._ranks`.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any

import torch
from accelerate.utils import gather_object
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from trl import GRPOTrainer

from ._batch import ReplayPlan, apply_replay, extract_group, loss_token_count, plan_replay
from ._buffer import ReplayBuffer
from ._config import (
    DEFAULT_REPLAY_BUFFER_SIZE,
    check_replay_allow_repeats,
    check_replay_buffer_size,
)
from ._ranks import HeldRows, check_supported, held_rows, join_parts, plan_fingerprint

__all__ = ["REPLAY_STATE_NAME", "GRPOWithReplayBufferTrainer"]

#: The file, inside each ``checkpoint-N`` folder, that holds the buffer and its generator.
REPLAY_STATE_NAME = "replay_buffer.pt"

try:  # present in every TRL this feature supports; a fallback keeps a refactor from breaking us
    from trl.models.utils import disable_gradient_checkpointing
except ImportError:  # pragma: no cover
    def disable_gradient_checkpointing(model: Any, kwargs: Any = None) -> Any:
        return contextlib.nullcontext()


class GRPOWithReplayBufferTrainer(GRPOTrainer):
    """``trl.GRPOTrainer`` that replaces zero-variance groups with groups replayed from a buffer.

    Takes exactly ``GRPOTrainer``'s arguments; ``args`` should be a
    :class:`GRPOWithReplayBufferConfig` (a plain ``GRPOConfig`` gets a buffer of 64 groups).

    After each generation batch is scored, every group whose completions all got the same
    reward is replaced by a group drawn from the buffer (in proportion to its score; with
    replacement when fewer groups are stored than tie, unless ``replay_allow_repeats`` is
    off), and the groups that do have reward spread are offered to the buffer, which keeps
    the best ``replay_buffer_size``. A replayed group keeps the log-probabilities it was
    sampled with as its ``old_per_token_logps``, so the loss's importance ratio and clipping
    see that an older policy produced it.

    Attributes:
        replay_buffer: the :class:`ReplayBuffer`.
        replay_stats: running totals since training began: ``groups`` seen, ``tied`` groups,
            ``replayed`` groups.
    """

    def __init__(self, model: Any, reward_funcs: Any = None, args: Any = None, *rest: Any,
                 **kwargs: Any) -> None:
        # A plain GRPOConfig (or None: GRPOTrainer makes one) gets the default buffer.
        capacity = check_replay_buffer_size(
            getattr(args, "replay_buffer_size", DEFAULT_REPLAY_BUFFER_SIZE)
        )
        allow_repeats = check_replay_allow_repeats(getattr(args, "replay_allow_repeats", True))
        super().__init__(model, reward_funcs, args, *rest, **kwargs)
        check_supported(self.accelerator.distributed_type, self.accelerator.num_processes,
                        capacity)
        self.replay_buffer = ReplayBuffer(capacity)
        self._replay_allow_repeats = allow_repeats
        # Our own generator: the draw must not shift the global random stream that
        # generation uses, and its state is saved with the checkpoint.
        self._replay_generator = torch.Generator().manual_seed(int(self.args.seed))
        self._replay_rewards: torch.Tensor | None = None
        self.replay_stats = {"groups": 0, "tied": 0, "replayed": 0}
        mode = getattr(self, "vllm_importance_sampling_mode", "") or ""
        self._replay_sequence_ratio = str(mode).startswith("sequence")

    # -- hooks into GRPOTrainer ---------------------------------------------------------

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: D102
        rewards_per_func = super()._calculate_rewards(
            inputs, prompts, completions, completion_ids_list
        )
        self._replay_rewards = rewards_per_func.detach()  # the whole batch, gathered
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):  # noqa: D102
        self._replay_rewards = None
        output = super()._generate_and_score_completions(inputs)
        rewards, self._replay_rewards = self._replay_rewards, None
        if not self.model.training or self.replay_buffer.capacity == 0:
            return output
        if rewards is None:
            raise RuntimeError(
                "GRPOWithReplayBufferTrainer: GRPOTrainer scored this batch without calling "
                "_calculate_rewards, so the replay decision has no rewards to use; this TRL "
                "version is not supported by the grpo_with_replay_buffer feature."
            )
        plan = plan_replay(
            rewards,
            self.reward_weights,
            self.num_generations,
            self.replay_buffer,
            self._replay_generator,
            getattr(self, "multi_objective_aggregation", "sum_then_normalize"),
            allow_repeats=self._replay_allow_repeats,
        )
        return self._apply_replay_plan(output, plan)

    # -- the transformation --------------------------------------------------------------

    def _apply_replay_plan(self, output: dict[str, Any], plan: ReplayPlan) -> dict[str, Any]:
        """Apply ``plan`` (global group indices) to this process's rows, then store the
        admitted groups, the same whole groups on every rank."""
        size = self.num_generations
        num_rows = output["prompt_ids"].shape[0]
        world = self.accelerator.num_processes
        if plan.num_groups * size != num_rows * world:
            raise RuntimeError(
                f"GRPOWithReplayBufferTrainer: the rewards cover {plan.num_groups} groups of "
                f"{size} but the {world} process(es) hold {num_rows} rows each; TRL is expected "
                f"to gather the rewards of the whole generation batch on every process"
            )
        if world > 1:
            self._replay_check_agreement(plan)
        held = held_rows(range(plan.num_groups), size, self.accelerator.process_index * num_rows,
                         num_rows)
        work = output
        if "old_per_token_logps" not in output and (plan.replaced or plan.admitted):
            # TRL skipped them (generation and optimisation steps align). Stored groups need
            # their sampling-time values, and once a replayed group is in the batch the
            # fresh rows need theirs too, since the loss then reads them for every row.
            if world > 1:
                # Every row, on every rank: the ranks then make the same forward calls in
                # lock-step, which sharded models (FSDP, DeepSpeed ZeRO-3) require.
                rows = list(range(num_rows))
            else:
                groups = set(plan.admitted)
                if plan.replaced:
                    groups |= set(range(plan.num_groups)) - set(plan.replaced)
                rows = [g * size + i for g in sorted(groups) for i in range(size)]
            work = {**output, "old_per_token_logps": self._replay_current_logps(output, rows)}
        new_groups = self._replay_new_groups(work, plan, held)
        result = output
        if plan.replaced:
            replacements = []
            for g, i in zip(plan.replaced, plan.drawn, strict=True):
                if g in held:  # this rank's rows of a group it holds, all from one stored group
                    local, within, count = held[g]
                    stored = self.replay_buffer.group(i)
                    if count < size:
                        stored = {k: v[within:within + count] for k, v in stored.items()}
                    replacements.append((local, stored))
            result = apply_replay(
                work,
                replacements,
                group_size=size,
                pad_token_id=self._tokenizer.pad_token_id,
                pad_to_multiple_of=getattr(self, "pad_to_multiple_of", None),
                sequence_level_ratio=self._replay_sequence_ratio,
                inplace=True,  # the batch TRL just built is ours; no copy of it is kept
            )
            result["num_items_in_batch"] = self.accelerator.gather(loss_token_count(result)).sum()
        for score, group in new_groups:
            self.replay_buffer.add(score, group)

        self.replay_stats["groups"] += plan.num_groups
        self.replay_stats["tied"] += len(plan.tied)
        self.replay_stats["replayed"] += len(plan.replaced)
        # Global figures, equal on every rank: the plan covers the gathered batch and every
        # rank holds the same buffer.
        metrics = self._metrics["train"]
        metrics["replay_buffer/frac_replayed"].append(len(plan.replaced) / plan.num_groups)
        metrics["replay_buffer/size"].append(float(len(self.replay_buffer)))
        metrics["replay_buffer/mean_score"].append(self.replay_buffer.mean_score())
        return result

    def _replay_new_groups(
        self, work: dict[str, Any], plan: ReplayPlan, held: dict[int, HeldRows]
    ) -> list[tuple[float, dict[str, torch.Tensor]]]:
        """The admitted groups, whole, with their scores, in plan order, on every rank."""
        seq = self._replay_sequence_ratio
        if self.accelerator.num_processes == 1:
            return [(plan.scores[g], extract_group(work, g * self.num_generations,
                                                   self.num_generations, sequence_level_ratio=seq))
                    for g in plan.admitted]
        if not plan.admitted:  # the plan is global: every rank skips the gather together
            return []
        # Compact CPU copies: pickling a view would send the whole batch's storage.
        mine = [(g, {name: tensor.detach().to("cpu", copy=True) for name, tensor in
                     extract_group(work, held[g].local, held[g].count,
                                   sequence_level_ratio=seq).items()})
                for g in plan.admitted if g in held]
        parts: dict[int, list[dict[str, torch.Tensor]]] = {g: [] for g in plan.admitted}
        for g, part in gather_object(mine):  # rank order, which is row order
            parts[g].append(part)
        pad = self._tokenizer.pad_token_id
        return [(plan.scores[g], join_parts(parts[g], pad, sequence_level_ratio=seq))
                for g in plan.admitted]

    def _replay_check_agreement(self, plan: ReplayPlan) -> None:
        """Raise unless every rank took this same decision from the same buffer state."""
        mine = plan_fingerprint(plan, self.replay_buffer, self._replay_generator)
        everyone = gather_object([mine])
        if len(set(everyone)) > 1:
            raise RuntimeError(
                f"GRPOWithReplayBufferTrainer: the ranks took different replay decisions at "
                f"step {self.state.global_step} (fingerprints by rank: {everyone}); their "
                f"replay buffers or generators have diverged. Every rank must start from the "
                f"same seed and, on resume, load the same {REPLAY_STATE_NAME}."
            )

    def _replay_current_logps(self, batch: dict[str, Any], rows: list[int]) -> torch.Tensor:
        """The current policy's per-token log-probs for ``rows``; zeros elsewhere."""
        completion_ids = batch["completion_ids"]
        if not rows:  # every group was replaced and none is stored: nothing to score
            return torch.zeros(completion_ids.shape, device=completion_ids.device)
        index = torch.tensor(rows, dtype=torch.long, device=completion_ids.device)
        input_ids = torch.cat([batch["prompt_ids"][index], completion_ids[index]], dim=1)
        attention_mask = torch.cat([batch["prompt_mask"][index], batch["completion_mask"][index]],
                                   dim=1)
        # The pass TRL itself makes when it needs old_per_token_logps.
        with torch.no_grad(), disable_gradient_checkpointing(
            self.model, self.args.gradient_checkpointing_kwargs
        ):
            logps = self._get_per_token_logps_and_entropies(
                self.model,
                input_ids,
                attention_mask,
                completion_ids.shape[1],
                batch_size=self.args.per_device_train_batch_size,
            )[0]
        full = logps.new_zeros(completion_ids.shape)
        full[index] = logps
        return full

    # -- checkpoints -----------------------------------------------------------------------

    def replay_state_dict(self) -> dict[str, Any]:
        """The buffer, the replay generator's state and the running totals."""
        return {
            "buffer": self.replay_buffer.state_dict(),
            "generator": self._replay_generator.get_state(),
            "stats": dict(self.replay_stats),
        }

    def load_replay_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`replay_state_dict` returned."""
        self.replay_buffer.load_state_dict(state["buffer"])
        self._replay_generator.set_state(state["generator"])
        self.replay_stats = {key: int(value) for key, value in state["stats"].items()}

    def _save_checkpoint(self, model, trial):  # noqa: D102
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial),
                                  f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
            torch.save(self.replay_state_dict(), os.path.join(folder, REPLAY_STATE_NAME))

    def _load_optimizer_and_scheduler(self, checkpoint):  # noqa: D102
        super()._load_optimizer_and_scheduler(checkpoint)
        if checkpoint is None or self.replay_buffer.capacity == 0:
            return
        path = os.path.join(checkpoint, REPLAY_STATE_NAME)
        if not os.path.isfile(path):
            warnings.warn(
                f"GRPOWithReplayBufferTrainer: checkpoint {checkpoint!r} holds no "
                f"{REPLAY_STATE_NAME}; training resumes with an empty replay buffer.",
                stacklevel=2,
            )
            return
        self.load_replay_state_dict(torch.load(path, map_location="cpu", weights_only=True))
