"""Real GRPO training on the kit's tiny model, with a reward that makes some groups tie."""

from __future__ import annotations

import warnings

import pytest
import torch

from fledge_plugins.grpo_with_replay_buffer._batch import extract_group, loss_token_count
from fledge_plugins.grpo_with_replay_buffer._trainer import REPLAY_STATE_NAME
from fledge_plugins.grpo_with_replay_buffer.api import (
    GRPOWithReplayBufferConfig,
    GRPOWithReplayBufferTrainer,
)

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")

G = 4


def tie_some(prompts, completions, **kwargs):
    """Even-length prompts tie at 0; the others score the parity of the completion's length,
    so many groups share the same score too."""
    return [0.0 if len(p) % 2 == 0 else float(len(c) % 2)
            for p, c in zip(prompts, completions, strict=True)]


def config(tmp_path, **overrides):
    values = dict(
        output_dir=str(tmp_path / "out"),
        learning_rate=1e-3,
        per_device_train_batch_size=8,
        num_generations=G,
        max_completion_length=6,
        replay_buffer_size=4,
        max_steps=6,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        bf16=False,
        seed=0,
        dataloader_pin_memory=False,
        disable_tqdm=True,
    )
    values.update(overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return GRPOWithReplayBufferConfig(**values)


class RecordingTrainer(GRPOWithReplayBufferTrainer):
    """Records every replay: the plan, the stored groups drawn, the batch before and after,
    and the current policy's log-probs of the batch (what fresh rows must get); and the
    advantages of every training loss call, with the buffer's size when their batch was
    replayed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []
        self.logps_passes = 0
        self.stored_before = []
        self.loss_advantages = []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.model.training:
            self.loss_advantages.append((self.stored_before[-1], inputs["advantages"].clone()))
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def _apply_replay_plan(self, output, plan):
        self.stored_before.append(len(self.replay_buffer))
        drawn = [{k: v.clone() for k, v in self.replay_buffer.group(i).items()}
                 for i in plan.drawn]
        rows = list(range(output["prompt_ids"].shape[0]))
        current = GRPOWithReplayBufferTrainer._replay_current_logps(self, output, rows)
        result = super()._apply_replay_plan(output, plan)
        self.records.append((plan, drawn, output, result, current))
        return result

    def _replay_current_logps(self, batch, rows):
        self.logps_passes += 1
        return super()._replay_current_logps(batch, rows)


def make_trainer(tmp_path, tokenizer, model, dataset, cls=RecordingTrainer, **overrides):
    return cls(
        model=model,
        reward_funcs=[tie_some],
        args=config(tmp_path, **overrides),
        train_dataset=dataset,
        processing_class=tokenizer,
    )


@pytest.mark.slow
def test_training_replays_tied_groups_with_their_own_old_logps(
    tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset
):
    before = {n: p.detach().clone() for n, p in tiny_model.named_parameters()}
    trainer = make_trainer(tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset)
    trainer.train()
    # Evaluation is plain GRPO: it neither replays nor feeds the buffer.
    stats, scores = dict(trainer.replay_stats), trainer.replay_buffer.scores
    trainer.evaluate(prompt_only_dataset.select(range(4)))
    assert trainer.replay_stats == stats and trainer.replay_buffer.scores == scores

    stats = trainer.replay_stats
    assert stats["groups"] == 6 * 8 // G and stats["tied"] > 0 and stats["replayed"] > 0
    assert len(trainer.replay_buffer) == 4
    # Binary rewards make equal scores the rule: the buffer ranked them without comparing
    # the groups themselves (TRL 1.13's heap of (score, dict) raised TypeError here).
    assert len(set(trainer.replay_buffer.scores)) < len(trainer.replay_buffer.scores)
    assert any(not torch.equal(before[n], p) for n, p in tiny_model.named_parameters())
    logged = [h for h in trainer.state.log_history if "replay_buffer/frac_replayed" in h]
    assert len(logged) == 6
    assert any(h["replay_buffer/frac_replayed"] > 0 for h in logged)
    assert {"replay_buffer/size", "replay_buffer/mean_score"} <= set(logged[-1])
    assert logged[-1]["replay_buffer/size"] == 4

    replayed = [r for r in trainer.records if r[0].replaced]
    assert replayed, "no batch replayed a stored group"
    for plan, drawn, fresh, result, current in replayed:
        assert "old_per_token_logps" not in fresh  # steps align, so TRL skipped them
        kept = [g for g in range(plan.num_groups) if g not in plan.replaced]
        for g, group in zip(plan.replaced, drawn, strict=True):
            regained = extract_group(result, g * G, G)
            assert set(regained) == set(group)
            for name, tensor in group.items():
                assert torch.equal(regained[name], tensor.to(regained[name].dtype)), name
        for g in kept:
            rows = slice(g * G, (g + 1) * G)
            width = fresh["completion_ids"].shape[1]
            torch.testing.assert_close(result["old_per_token_logps"][rows, :width],
                                       current[rows])
            assert torch.equal(result["advantages"][rows], fresh["advantages"][rows])
        assert result["num_items_in_batch"] == loss_token_count(result)
    # A replayed group was sampled by an older policy: its old log-probs differ from now.
    plan, drawn, _, result, current = replayed[-1]
    g = plan.replaced[0]
    rows = slice(g * G, (g + 1) * G)
    stale = drawn[0]["old_per_token_logps"]
    assert not torch.allclose(stale, current[rows, : stale.shape[1]])


@pytest.mark.slow
def test_once_the_buffer_holds_a_group_no_zero_advantage_row_reaches_the_loss(
    tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset
):
    # A buffer of one group and four groups per batch: the buffer is always short.
    trainer = make_trainer(tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset,
                           replay_buffer_size=1, per_device_train_batch_size=4 * G)
    trainer.train()
    after = [(plan, stored) for (plan, *_), stored in zip(trainer.records,
                                                          trainer.stored_before, strict=True)
             if stored]
    assert after, "the buffer never held a group"
    for plan, _ in after:
        assert plan.replaced == plan.tied
    # One stored group stood in for several tied groups of one batch.
    assert any(len(set(plan.drawn)) < len(plan.drawn) for plan, _ in after)
    losses = [adv for stored, adv in trainer.loss_advantages if stored]
    assert len(losses) == len(after)
    for advantages in losses:
        assert (advantages != 0).all()
    # Before the first group is stored, tied groups still reach the loss as they are.
    first = trainer.records[0][0]
    assert trainer.stored_before[0] == 0 and first.tied and not first.replaced


@pytest.mark.slow
def test_without_repeats_the_extra_tied_groups_pass_through(
    tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset
):
    trainer = make_trainer(tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset,
                           replay_buffer_size=1, per_device_train_batch_size=4 * G,
                           replay_allow_repeats=False)
    trainer.train()
    plans = [plan for (plan, *_), stored in zip(trainer.records, trainer.stored_before,
                                                strict=True) if stored]
    assert all(len(plan.replaced) == min(1, len(plan.tied)) for plan in plans)
    assert any(len(plan.tied) > 1 for plan in plans)
    assert any((adv == 0).any() for stored, adv in trainer.loss_advantages if stored)


@pytest.mark.slow
def test_when_trl_computes_old_logps_they_are_used_as_they_are(
    tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset
):
    # steps_per_generation=2 with one accumulation step: TRL computes old_per_token_logps.
    trainer = make_trainer(tmp_path, tiny_tokenizer, tiny_model, prompt_only_dataset,
                           per_device_train_batch_size=4, steps_per_generation=2, max_steps=8)
    trainer.train()
    assert trainer.replay_stats["replayed"] > 0
    assert trainer.logps_passes == 0
    for plan, _, fresh, result, _ in trainer.records:
        assert "old_per_token_logps" in fresh
        for g in set(range(plan.num_groups)) - set(plan.replaced):
            rows = slice(g * G, (g + 1) * G)
            width = fresh["completion_ids"].shape[1]
            assert torch.equal(result["old_per_token_logps"][rows, :width],
                               fresh["old_per_token_logps"][rows])


@pytest.mark.slow
def test_buffer_size_zero_trains_exactly_like_grpo(tmp_path, tiny_tokenizer, prompt_only_dataset):
    from trl import GRPOTrainer

    from fledge.testing.training import tiny_model

    finals = []
    for cls, size in ((GRPOTrainer, 0), (GRPOWithReplayBufferTrainer, 0)):
        model = tiny_model(tokenizer=tiny_tokenizer)
        trainer = make_trainer(tmp_path / cls.__name__, tiny_tokenizer, model,
                               prompt_only_dataset, cls=cls, replay_buffer_size=size, max_steps=3)
        trainer.train()
        finals.append({n: p.detach().clone() for n, p in model.named_parameters()})
        assert not any("replay_buffer/size" in h for h in trainer.state.log_history)
    assert all(torch.equal(finals[0][n], finals[1][n]) for n in finals[0])


@pytest.mark.slow
def test_same_seed_same_replays_and_same_weights(tmp_path, tiny_tokenizer, prompt_only_dataset):
    from fledge.testing.training import tiny_model

    runs = []
    for name in ("a", "b"):
        model = tiny_model(tokenizer=tiny_tokenizer)
        trainer = make_trainer(tmp_path / name, tiny_tokenizer, model, prompt_only_dataset,
                               cls=GRPOWithReplayBufferTrainer, max_steps=5)
        trainer.train()
        runs.append((dict(trainer.replay_stats), trainer.replay_buffer.scores,
                     {n: p.detach().clone() for n, p in model.named_parameters()}))
    assert runs[0][0] == runs[1][0] and runs[0][0]["replayed"] > 0
    assert runs[0][1] == runs[1][1]
    assert all(torch.equal(runs[0][2][n], runs[1][2][n]) for n in runs[0][2])


@pytest.mark.slow
def test_buffer_is_saved_with_each_checkpoint_and_restored_on_resume(
    tmp_path, tiny_tokenizer, prompt_only_dataset
):
    from fledge.testing.training import tiny_model

    first = make_trainer(tmp_path, tiny_tokenizer, tiny_model(tokenizer=tiny_tokenizer),
                         prompt_only_dataset, cls=GRPOWithReplayBufferTrainer,
                         max_steps=4, save_strategy="steps", save_steps=2)
    first.train()
    checkpoint = tmp_path / "out" / "checkpoint-2"
    for step in (2, 4):
        assert (tmp_path / "out" / f"checkpoint-{step}" / REPLAY_STATE_NAME).is_file()
    saved = torch.load(checkpoint / REPLAY_STATE_NAME, weights_only=True)
    assert saved["stats"]["groups"] == 2 * 8 // G and len(saved["buffer"]["groups"]) > 0

    seen = {}

    class Resumed(GRPOWithReplayBufferTrainer):
        def _load_optimizer_and_scheduler(self, checkpoint):
            super()._load_optimizer_and_scheduler(checkpoint)
            seen["scores"] = self.replay_buffer.scores
            seen["stats"] = dict(self.replay_stats)

    second = make_trainer(tmp_path, tiny_tokenizer, tiny_model(tokenizer=tiny_tokenizer),
                          prompt_only_dataset, cls=Resumed, max_steps=4,
                          save_strategy="steps", save_steps=2)
    second.train(resume_from_checkpoint=str(checkpoint))
    assert seen["scores"] == saved["buffer"]["scores"]
    assert seen["stats"] == saved["stats"]
    # It goes on from there: the resumed run ends where the uninterrupted one did.
    assert second.replay_stats == first.replay_stats


@pytest.mark.slow
def test_resuming_from_a_checkpoint_without_a_buffer_warns(
    tmp_path, tiny_tokenizer, prompt_only_dataset
):
    from trl import GRPOTrainer

    from fledge.testing.training import tiny_model

    plain = make_trainer(tmp_path, tiny_tokenizer, tiny_model(tokenizer=tiny_tokenizer),
                         prompt_only_dataset, cls=GRPOTrainer, max_steps=1,
                         save_strategy="steps", save_steps=1)
    plain.train()
    ours = make_trainer(tmp_path, tiny_tokenizer, tiny_model(tokenizer=tiny_tokenizer),
                        prompt_only_dataset, cls=GRPOWithReplayBufferTrainer, max_steps=2)
    with pytest.warns(UserWarning, match="holds no replay_buffer.pt"):
        ours.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-1"))
    assert ours.replay_stats["groups"] == 8 // G


def test_config_validates_the_buffer_size(tmp_path):
    with pytest.raises(ValueError, match="replay_buffer_size must be an integer >= 0"):
        config(tmp_path, replay_buffer_size=-3)
    with pytest.raises(ValueError, match="replay_allow_repeats must be True or False"):
        config(tmp_path, replay_allow_repeats="yes")
    assert config(tmp_path).replay_allow_repeats is True
    assert config(tmp_path).replay_buffer_size == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert GRPOWithReplayBufferConfig(str(tmp_path), bf16=False).replay_buffer_size == 64


def test_a_plain_grpo_config_gets_the_default_buffer(tmp_path, tiny_tokenizer, tiny_model,
                                                     prompt_only_dataset):
    from trl import GRPOConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        args = GRPOConfig(str(tmp_path), bf16=False, per_device_train_batch_size=4,
                          num_generations=G, report_to="none")
    trainer = GRPOWithReplayBufferTrainer(
        model=tiny_model, reward_funcs=[tie_some], args=args, train_dataset=prompt_only_dataset,
        processing_class=tiny_tokenizer,
    )
    assert trainer.replay_buffer.capacity == 64 and len(trainer.replay_buffer) == 0
