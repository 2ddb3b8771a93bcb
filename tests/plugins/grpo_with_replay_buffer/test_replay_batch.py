"""The replay decision and the batch transformation, on hand-made batches."""

from __future__ import annotations

import pytest
import torch

from fledge_plugins.grpo_with_replay_buffer._batch import (
    apply_replay,
    extract_group,
    group_signal,
    loss_token_count,
    plan_replay,
)
from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer

PAD = 99
G = 4
OPTIONAL = ("old_per_token_logps", "ref_per_token_logps", "sampling_per_token_logps",
            "tool_mask", "importance_sampling_ratio")


def make_batch(prompt_lens, completion_lens, *, width=None, optional=OPTIONAL, base=0, seed=0):
    """A GRPO batch as TRL builds it: prompts left-padded, completions right-padded.

    Token values encode (row, position) so that every moved token can be traced.
    """
    rows = len(prompt_lens)
    p_width = width[0] if width else max(prompt_lens)
    c_width = width[1] if width else max(completion_lens)
    gen = torch.Generator().manual_seed(seed)
    batch = {
        "prompt_ids": torch.full((rows, p_width), PAD, dtype=torch.long),
        "prompt_mask": torch.zeros(rows, p_width, dtype=torch.long),
        "completion_ids": torch.full((rows, c_width), PAD, dtype=torch.long),
        "completion_mask": torch.zeros(rows, c_width, dtype=torch.long),
        "advantages": torch.randn(rows, generator=gen),
    }
    for name in optional:
        pad = 1.0 if name in ("tool_mask", "importance_sampling_ratio") else 0.0
        dtype = torch.long if name == "tool_mask" else torch.float32
        batch[name] = torch.full((rows, c_width), pad, dtype=dtype)
    for r, (p, c) in enumerate(zip(prompt_lens, completion_lens, strict=True)):
        batch["prompt_ids"][r, p_width - p:] = base + 1000 * r + torch.arange(p)
        batch["prompt_mask"][r, p_width - p:] = 1
        batch["completion_ids"][r, :c] = base + 1000 * r + 500 + torch.arange(c)
        batch["completion_mask"][r, :c] = 1
        for name in optional:
            if name == "tool_mask":
                batch[name][r, :c] = 1
                if c > 2:
                    batch[name][r, 1] = 0  # a tool-output token inside the completion
            else:
                batch[name][r, :c] = -torch.rand(c, generator=gen)
    batch["num_items_in_batch"] = loss_token_count(batch)
    return batch


# -- group_signal -----------------------------------------------------------------------


def test_tied_groups_and_scores():
    rewards = torch.tensor([1.0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 3]).unsqueeze(1)
    tied, scores = group_signal(rewards, [1.0], G)
    assert tied.tolist() == [True, False, False]
    assert scores.tolist() == pytest.approx([0.0, 2.0, 4.5])


def test_score_matches_trl_measure_under_group_scaling():
    rewards = torch.tensor([0.2, 0.9, 0.4, 0.4, 3.0, 1.0, 2.0, 0.0])
    grouped = rewards.view(-1, G)
    std = grouped.std(dim=1, keepdim=True)
    advantages = (grouped - grouped.mean(dim=1, keepdim=True)) / (std + 1e-4)
    trl_score = (advantages.abs() * std).sum(dim=1)
    _, scores = group_signal(rewards.unsqueeze(1), [1.0], G)
    assert scores.tolist() == pytest.approx(trl_score.tolist(), rel=1e-3)


def test_float_ties_count_as_ties():
    rewards = torch.full((G, 1), 0.1, dtype=torch.float32)
    tied, scores = group_signal(rewards, [1.0], G)
    assert tied.tolist() == [True] and scores.tolist() == [0.0]


def test_unscorable_completions_are_ignored_as_trl_does():
    nan = float("nan")
    rewards = torch.tensor([nan, 1, 1, 1, nan, nan, nan, nan, nan, 0, 1, 1]).unsqueeze(1)
    tied, scores = group_signal(rewards, [1.0], G)
    assert tied.tolist() == [True, True, False]
    assert scores[2].item() == pytest.approx(2 / 3 + 1 / 3 + 1 / 3)


def test_weighted_rewards_and_both_aggregations():
    # Two reward functions that cancel out: the weighted sum ties, each function does not.
    rewards = torch.tensor([[0.0, 1], [1, 0], [0, 1], [1, 0]])
    tied, _ = group_signal(rewards, [1.0, 1.0], G, "sum_then_normalize")
    assert tied.tolist() == [True]
    tied, scores = group_signal(rewards, [1.0, 1.0], G, "normalize_then_sum")
    assert tied.tolist() == [False] and scores.tolist() == [0.0]  # not stored: no spread
    tied, scores = group_signal(rewards, [2.0, 1.0], G)
    assert tied.tolist() == [False] and scores.tolist() == [pytest.approx(2.0)]


def test_group_signal_rejects_bad_input():
    with pytest.raises(ValueError, match="multiple of num_generations=4"):
        group_signal(torch.zeros(6, 1), [1.0], G)
    with pytest.raises(ValueError, match="2 reward weights for 1 reward functions"):
        group_signal(torch.zeros(4, 1), [1.0, 1.0], G)
    with pytest.raises(ValueError, match="aggregation must be"):
        group_signal(torch.zeros(4, 1), [1.0], G, "mean")


# -- plan_replay ------------------------------------------------------------------------


def stored(tag: int) -> dict[str, torch.Tensor]:
    return {"advantages": torch.full((G,), float(tag))}


def test_empty_buffer_replaces_nothing_and_stores_the_groups_with_signal():
    rewards = torch.tensor([1.0, 1, 1, 1, 0, 1, 0, 1]).unsqueeze(1)
    plan = plan_replay(rewards, [1.0], G, ReplayBuffer(4))
    assert plan.tied == (0,) and plan.replaced == () and plan.drawn == ()
    assert plan.offered == (1,) and plan.admitted == (1,)


def test_one_stored_group_replaces_all_three_tied_groups():
    buffer = ReplayBuffer(4)
    buffer.add(2.0, stored(7))
    rewards = torch.tensor([1.0] * 4 + [0.0] * 4 + [2.0] * 4).unsqueeze(1)
    plan = plan_replay(rewards, [1.0], G, buffer, torch.Generator().manual_seed(0))
    assert plan.tied == (0, 1, 2)
    assert plan.replaced == (0, 1, 2) and plan.drawn == (0, 0, 0)
    assert plan.offered == () and plan.admitted == ()


def test_without_repeats_fewer_stored_groups_than_ties_replaces_what_it_can():
    buffer = ReplayBuffer(4)
    buffer.add(2.0, stored(7))
    rewards = torch.tensor([1.0] * 4 + [0.0] * 4 + [2.0] * 4).unsqueeze(1)
    plan = plan_replay(rewards, [1.0], G, buffer, torch.Generator().manual_seed(0),
                       allow_repeats=False)
    assert plan.tied == (0, 1, 2)
    assert plan.replaced == (0,) and plan.drawn == (0,)


def test_short_buffer_draws_with_replacement_in_proportion_to_score():
    buffer = ReplayBuffer(4)
    buffer.add(1.0, stored(1))
    buffer.add(3.0, stored(3))
    rewards = torch.ones(40 * G, 1)  # 40 tied groups, 2 stored
    plan = plan_replay(rewards, [1.0], G, buffer, torch.Generator().manual_seed(0))
    assert plan.replaced == plan.tied == tuple(range(40))
    index_of_3 = buffer.scores.index(3.0)
    assert 20 <= sum(i == index_of_3 for i in plan.drawn) < 40  # expected 30 of 40


def test_hand_made_batch_no_zero_advantage_row_is_left_and_no_copy_of_its_own_groups():
    """One stored group, a batch of four groups: three tied (zero advantage, as GRPO gives
    them) and one with spread, which enters the buffer. Every tied group becomes the stored
    group from before this batch, never a copy of the batch's own group with spread."""
    source = make_batch([3] * 4, [2] * 4, base=80_000)
    buffer = ReplayBuffer(4)
    buffer.add(1.5, extract_group(source, 0, G))
    old_id = buffer.ids[0]
    batch = make_batch([2] * 16, [3] * 16)
    batch["advantages"][:12] = 0.0  # the three tied groups
    rewards = torch.tensor([1.0] * 4 + [0.0] * 4 + [2.0] * 4 + [0, 1, 0, 1]).unsqueeze(1)
    plan = plan_replay(rewards, [1.0], G, buffer, torch.Generator().manual_seed(0))
    assert plan.tied == plan.replaced == (0, 1, 2) and plan.admitted == (3,)
    assert [buffer.ids[i] for i in plan.drawn] == [old_id] * 3
    out = apply_replay(batch, [(g * G, buffer.group(i))
                               for g, i in zip(plan.replaced, plan.drawn, strict=True)],
                       group_size=G, pad_token_id=PAD)
    assert (out["advantages"] != 0).all()
    expected = extract_group(source, 0, G)
    for g in plan.replaced:
        regained = extract_group(out, g * G, G)
        assert all(torch.equal(regained[k], expected[k]) for k in expected), g
    assert torch.equal(out["prompt_ids"][12:, -2:], batch["prompt_ids"][12:])
    assert out["num_items_in_batch"] == loss_token_count(out)


def test_plan_is_deterministic_under_a_seed_and_reads_the_buffer_only():
    buffer = ReplayBuffer(8)
    for tag in range(1, 7):
        buffer.add(float(tag), stored(tag))
    rewards = torch.tensor([1.0] * 12 + [0, 1, 2, 3]).unsqueeze(1)
    plans = [plan_replay(rewards, [1.0], G, buffer, torch.Generator().manual_seed(3))
             for _ in range(2)]
    assert plans[0] == plans[1]
    assert len(set(plans[0].drawn)) == 3
    assert len(buffer) == 6


def test_admission_follows_the_buffer_ranking():
    buffer = ReplayBuffer(1)
    buffer.add(3.0, stored(1))
    rewards = torch.tensor([0.0, 0, 0, 4, 0, 0, 0, 8]).unsqueeze(1)  # scores 6 and 12
    plan = plan_replay(rewards, [1.0], G, buffer)
    assert plan.offered == (0, 1) and plan.admitted == (1,)


# -- extract_group ----------------------------------------------------------------------


def test_extract_keeps_whole_left_padded_prompts_and_trims_to_real_lengths():
    batch = make_batch([2, 2, 2, 2, 5, 3, 5, 3], [1, 1, 1, 1, 2, 6, 4, 1], width=(9, 10))
    group = extract_group(batch, 4, G)
    assert set(group) == set(batch) - {"num_items_in_batch"}
    assert group["prompt_ids"].shape == (G, 5) and group["completion_ids"].shape == (G, 6)
    for i, row in enumerate(range(4, 8)):
        real = batch["prompt_ids"][row][batch["prompt_mask"][row].bool()]
        assert group["prompt_ids"][i][group["prompt_mask"][i].bool()].tolist() == real.tolist()
        # Left padding stays on the left: the prompt ends right before the completion.
        assert group["prompt_ids"][i, -1] == real[-1]
    assert group["completion_mask"].sum() == batch["completion_mask"][4:8].sum()
    for name in ("old_per_token_logps", "ref_per_token_logps", "tool_mask"):
        assert torch.equal(group[name], batch[name][4:8, :6])
    assert torch.equal(group["advantages"], batch["advantages"][4:8])


def test_extract_keeps_truncated_groups_whose_completions_are_all_masked():
    batch = make_batch([2] * 4, [3] * 4)
    batch["completion_mask"].zero_()  # mask_truncated_completions masks whole rows
    group = extract_group(batch, 0, G)
    assert group["completion_ids"].shape == (G, 0) and group["prompt_ids"].shape == (G, 2)


def test_extract_rejects_rows_outside_the_batch():
    with pytest.raises(IndexError, match="outside the batch of 4 rows"):
        extract_group(make_batch([2] * 4, [3] * 4), 2, G)


# -- apply_replay -----------------------------------------------------------------------


def test_no_replacement_passes_the_batch_through_unchanged():
    batch = make_batch([2] * 8, [3] * 8)
    out = apply_replay(batch, [], group_size=G, pad_token_id=PAD)
    assert all(out[k] is batch[k] for k in batch)


@pytest.mark.parametrize("multiple", [None, 8])
def test_a_longer_stored_group_widens_the_batch_on_the_correct_sides(multiple):
    batch = make_batch([2, 3, 2, 3, 1, 1, 1, 1], [2, 4, 1, 1, 3, 3, 3, 3])
    source = make_batch([6, 6, 4, 6], [7, 2, 5, 1], base=50_000)
    group = extract_group(source, 0, G)
    before = {k: v.clone() for k, v in batch.items()}
    out = apply_replay(batch, [(4, group)], group_size=G, pad_token_id=PAD,
                       pad_to_multiple_of=multiple)
    p_width, c_width = (6, 7) if multiple is None else (8, 8)
    assert out["prompt_ids"].shape == (8, p_width) and out["completion_ids"].shape == (8, c_width)
    # The input batch is untouched.
    assert all(torch.equal(before[k], batch[k]) for k in batch)
    # Fresh rows keep their tokens, shifted right on the prompt side, left on the completion.
    for name in ("prompt_ids", "prompt_mask"):
        assert torch.equal(out[name][:4, -3:], batch[name][:4])
    assert (out["prompt_ids"][:4, :-3] == PAD).all() and (out["prompt_mask"][:4, :-3] == 0).all()
    for name in ("completion_ids", "completion_mask", *OPTIONAL):
        assert torch.equal(out[name][:4, :4], batch[name][:4])
    # Replayed rows: every field, padded with the value TRL uses for it.
    regained = extract_group(out, 4, G)
    assert set(regained) == set(group)
    assert all(torch.equal(regained[k], group[k]) for k in group)
    pads = {"completion_ids": PAD, "completion_mask": 0, "old_per_token_logps": 0.0,
            "ref_per_token_logps": 0.0, "sampling_per_token_logps": 0.0, "tool_mask": 1,
            "importance_sampling_ratio": 1.0}
    for name, pad in pads.items():
        assert (out[name][:4, 4:] == pad).all(), name
        assert (out[name][4:, 7:] == pad).all(), name
    assert torch.equal(out["advantages"][4:], source["advantages"][:4])
    assert torch.equal(out["advantages"][:4], batch["advantages"][:4])


def test_a_shorter_stored_group_is_padded_into_the_batch_width():
    batch = make_batch([5] * 8, [6] * 8)
    group = extract_group(make_batch([2, 1, 2, 1], [1, 3, 2, 2], base=70_000), 0, G)
    out = apply_replay(batch, [(0, group)], group_size=G, pad_token_id=PAD)
    assert out["prompt_ids"].shape == batch["prompt_ids"].shape
    assert (out["prompt_ids"][:4, :3] == PAD).all()
    assert (out["prompt_mask"][:4, :3] == 0).all()
    assert (out["completion_ids"][:4, 3:] == PAD).all()
    assert (out["tool_mask"][:4, 3:] == 1).all()
    assert torch.equal(out["completion_ids"][4:], batch["completion_ids"][4:])
    regained = extract_group(out, 0, G)
    assert all(torch.equal(regained[k], group[k]) for k in group)


def test_token_count_is_recomputed_from_the_final_masks():
    batch = make_batch([2] * 8, [6] * 8)
    group = extract_group(make_batch([2] * 4, [1, 2, 3, 4], base=9000), 0, G)
    out = apply_replay(batch, [(4, group)], group_size=G, pad_token_id=PAD)
    expected = (out["completion_mask"] * out["tool_mask"]).sum()
    assert out["num_items_in_batch"] == expected != batch["num_items_in_batch"]
    assert expected == 4 * 5 + (1 + 2 + 2 + 3)  # tool-output tokens are not counted


def test_only_the_fields_present_are_replayed():
    batch = make_batch([3] * 8, [4] * 8, optional=("old_per_token_logps",))
    group = extract_group(make_batch([3] * 4, [4] * 4, optional=("old_per_token_logps",)), 0, G)
    out = apply_replay(batch, [(0, group)], group_size=G, pad_token_id=PAD)
    assert set(out) == set(batch)


def test_sequence_level_importance_ratio_is_one_value_per_row():
    batch = make_batch([3] * 8, [4] * 8, optional=("old_per_token_logps",))
    batch["importance_sampling_ratio"] = torch.linspace(0.5, 1.5, 8).unsqueeze(1)
    source = make_batch([3] * 4, [9] * 4, optional=("old_per_token_logps",))
    source["importance_sampling_ratio"] = torch.full((4, 1), 2.0)
    group = extract_group(source, 0, G, sequence_level_ratio=True)
    out = apply_replay(batch, [(4, group)], group_size=G, pad_token_id=PAD,
                       sequence_level_ratio=True)
    assert out["importance_sampling_ratio"].shape == (8, 1)
    assert out["importance_sampling_ratio"][4:].flatten().tolist() == [2.0] * 4


def test_apply_rejects_what_it_cannot_replay_correctly():
    batch = make_batch([3] * 8, [4] * 8)
    group = extract_group(batch, 0, G)
    with pytest.raises(ValueError, match="holds a field 'new_thing'"):
        apply_replay({**batch, "new_thing": torch.zeros(8)}, [(0, group)], group_size=G,
                     pad_token_id=PAD)
    with pytest.raises(ValueError, match="'pixel_values'; replaying multimodal"):
        apply_replay({**batch, "pixel_values": torch.zeros(8, 3)}, [(0, group)], group_size=G,
                     pad_token_id=PAD)
    partial = {k: v for k, v in group.items() if k != "ref_per_token_logps"}
    with pytest.raises(ValueError, match="another configuration"):
        apply_replay(batch, [(0, partial)], group_size=G, pad_token_id=PAD)
    with pytest.raises(IndexError, match="rows 6:10 are outside"):
        apply_replay(batch, [(6, group)], group_size=G, pad_token_id=PAD)
    with pytest.raises(ValueError, match="same rows"):
        apply_replay(batch, [(0, group), (0, group)], group_size=G, pad_token_id=PAD)
    with pytest.raises(KeyError, match="lacks 'advantages'"):
        apply_replay({k: v for k, v in batch.items() if k != "advantages"}, [],
                     group_size=G, pad_token_id=PAD)


def test_buffer_round_trip_through_cpu_storage():
    batch = make_batch([4, 2, 4, 2, 3, 3, 3, 3], [5, 1, 2, 3, 2, 2, 2, 2], width=(7, 8))
    buffer = ReplayBuffer(2)
    buffer.add(1.0, extract_group(batch, 0, G))
    target = make_batch([3] * 8, [2] * 8, base=20_000)
    out = apply_replay(target, [(4, buffer.groups[0])], group_size=G, pad_token_id=PAD)
    regained = extract_group(out, 4, G)
    original = extract_group(batch, 0, G)
    assert all(torch.equal(regained[k], original[k]) for k in original)
