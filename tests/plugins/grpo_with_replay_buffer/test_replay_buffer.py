"""The replay buffer on its own: ranking, ties, capacity, sampling, memory, state."""

from __future__ import annotations

import pytest
import torch

from fledge_plugins.grpo_with_replay_buffer.api import ReplayBuffer


def group(tag: float, rows: int = 4, length: int = 3) -> dict[str, torch.Tensor]:
    return {
        "completion_ids": torch.full((rows, length), int(tag), dtype=torch.long),
        "advantages": torch.full((rows,), float(tag)),
    }


def tags(buffer: ReplayBuffer) -> list[float]:
    return sorted(float(g["advantages"][0]) for g in buffer.groups)


def test_keeps_the_highest_scoring_groups_up_to_capacity():
    buffer = ReplayBuffer(3)
    for score in (5.0, 1.0, 4.0, 2.0, 3.0, 6.0):
        buffer.add(score, group(score))
    assert len(buffer) == 3
    assert sorted(buffer.scores) == [4.0, 5.0, 6.0]
    assert tags(buffer) == [4.0, 5.0, 6.0]
    assert buffer.mean_score() == pytest.approx(5.0)


def test_equal_scores_do_not_crash_and_the_first_stored_wins():
    # TRL 1.13 kept (score, dict) tuples in a heap: a tie compared the dicts and raised.
    buffer = ReplayBuffer(2)
    assert buffer.add(1.0, group(10)) is True
    assert buffer.add(1.0, group(11)) is True
    assert buffer.add(1.0, group(12)) is False  # must beat the weakest strictly
    assert tags(buffer) == [10.0, 11.0]
    assert buffer.add(1.5, group(13)) is True  # evicts the newer of the two tied ones
    assert tags(buffer) == [10.0, 13.0]


def test_admits_predicts_add_without_storing():
    buffer = ReplayBuffer(3)
    for score in (2.0, 2.0, 5.0):
        buffer.add(score, group(score))
    offered = [1.0, 2.0, 3.0, 2.5, 6.0]
    predicted = buffer.admits(offered)
    assert len(buffer) == 3 and sorted(buffer.scores) == [2.0, 2.0, 5.0]
    stored = [buffer.add(score, group(100 + i)) for i, score in enumerate(offered)]
    kept = {float(g["advantages"][0]) for g in buffer.groups}
    assert predicted == [100 + i in kept for i in range(len(offered))]
    assert predicted == [False, False, True, False, True]
    # add()'s own answer says "stored now", which can be undone by a later, better group.
    assert stored == [False, False, True, True, True]


def test_capacity_zero_keeps_nothing_and_samples_nothing():
    buffer = ReplayBuffer(0)
    assert buffer.add(3.0, group(1)) is False
    assert buffer.admits([3.0]) == [False]
    assert len(buffer) == 0 and buffer.sample(4) == [] and buffer.mean_score() == 0.0


def test_empty_buffer_samples_nothing():
    assert ReplayBuffer(4).sample(3) == []


def test_sample_returns_distinct_groups_and_at_most_what_is_stored():
    buffer = ReplayBuffer(8)
    for score in (1.0, 2.0, 3.0):
        buffer.add(score, group(score))
    drawn = buffer.sample(5, torch.Generator().manual_seed(0))
    assert sorted(drawn) == [0, 1, 2]


def test_sample_with_repeats_draws_exactly_what_is_wanted_in_proportion_to_score():
    buffer = ReplayBuffer(8)
    buffer.add(1.0, group(1))
    assert buffer.sample(3, torch.Generator().manual_seed(0), allow_repeats=True) == [0, 0, 0]
    buffer.add(3.0, group(3))
    index_of_3 = buffer.scores.index(3.0)
    draws = buffer.sample(4000, torch.Generator().manual_seed(5), allow_repeats=True)
    assert len(draws) == 4000 and set(draws) == {0, 1}
    assert sum(d == index_of_3 for d in draws) / len(draws) == pytest.approx(0.75, abs=0.03)
    assert buffer.sample(4000, torch.Generator().manual_seed(5), allow_repeats=True) == draws


def test_sample_with_repeats_stays_distinct_when_enough_groups_are_stored():
    buffer = ReplayBuffer(8)
    for score in (1.0, 2.0, 3.0, 4.0):
        buffer.add(score, group(score))
    for seed in range(20):
        with_repeats = buffer.sample(3, torch.Generator().manual_seed(seed), allow_repeats=True)
        assert len(set(with_repeats)) == 3
        # The same draw as without repeats: the option only matters when the buffer is short.
        assert with_repeats == buffer.sample(3, torch.Generator().manual_seed(seed))
    assert buffer.sample(0, allow_repeats=True) == []
    assert ReplayBuffer(2).sample(3, allow_repeats=True) == []


def test_sample_is_proportional_to_score_and_deterministic_under_a_seed():
    buffer = ReplayBuffer(2)
    buffer.add(1.0, group(1))
    buffer.add(3.0, group(3))
    index_of_3 = buffer.scores.index(3.0)
    generator = torch.Generator().manual_seed(123)
    draws = [buffer.sample(1, generator)[0] for _ in range(4000)]
    assert sum(d == index_of_3 for d in draws) / len(draws) == pytest.approx(0.75, abs=0.03)
    again = torch.Generator().manual_seed(123)
    assert [buffer.sample(1, again)[0] for _ in range(4000)] == draws


def test_stored_groups_are_cpu_copies_not_views_of_the_batch():
    batch = torch.arange(64 * 100, dtype=torch.long).view(64, 100)
    buffer = ReplayBuffer(2)
    buffer.add(1.0, {"completion_ids": batch[8:12, :10], "advantages": torch.ones(4)})
    stored = buffer.groups[0]["completion_ids"]
    assert torch.equal(stored, batch[8:12, :10])
    batch.zero_()
    assert stored.sum() > 0
    # Memory is the trimmed group only, not the 64 x 100 batch it was sliced from.
    assert buffer.nbytes() == 4 * 10 * 8 + 4 * 4


def test_scores_must_be_positive_finite_numbers():
    buffer = ReplayBuffer(2)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite number > 0"):
            buffer.add(bad, group(1))
    with pytest.raises(TypeError, match="must be a number"):
        buffer.add("high", group(1))
    with pytest.raises(TypeError, match="field 'x' must be a tensor"):
        buffer.add(1.0, {"x": [1, 2]})
    with pytest.raises(TypeError, match="non-empty mapping"):
        buffer.add(1.0, {})


@pytest.mark.parametrize("bad", [-1, 2.5, "8", True])
def test_capacity_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError, match="capacity must be an integer >= 0"):
        ReplayBuffer(bad)


def test_state_round_trip_keeps_order_ranking_and_sampling(tmp_path):
    buffer = ReplayBuffer(3)
    for score in (2.0, 1.0, 2.0, 4.0):
        buffer.add(score, group(score))
    path = tmp_path / "buffer.pt"
    torch.save(buffer.state_dict(), path)
    restored = ReplayBuffer(3)
    restored.load_state_dict(torch.load(path, weights_only=True))
    assert restored.scores == buffer.scores
    assert restored.ids == buffer.ids
    pairs = zip(buffer.groups, restored.groups, strict=True)
    assert all(torch.equal(a[k], b[k]) for a, b in pairs for k in a)
    assert restored.sample(2, torch.Generator().manual_seed(5)) == buffer.sample(
        2, torch.Generator().manual_seed(5)
    )
    # The tie rule survives the round trip: a later group of equal score stays out.
    assert restored.add(2.0, group(99)) is False


def test_restoring_into_a_smaller_buffer_keeps_the_best():
    buffer = ReplayBuffer(4)
    for score in (1.0, 4.0, 2.0, 3.0):
        buffer.add(score, group(score))
    small = ReplayBuffer(2)
    small.load_state_dict(buffer.state_dict())
    assert sorted(small.scores) == [3.0, 4.0]


def test_loading_something_else_says_what_was_expected():
    with pytest.raises(ValueError, match="expected a state of version 1"):
        ReplayBuffer(2).load_state_dict({"heap": []})


def test_ids_name_each_stored_group_by_its_place_among_those_offered():
    buffer = ReplayBuffer(2)
    for score in (1.0, 3.0, 2.0, 2.0):
        buffer.add(score, group(score))
    # 1.0 (id 0) was pushed out by 2.0 (id 2); the second 2.0 (id 3) did not get in.
    assert sorted(buffer.ids) == [1, 2]
    assert [buffer.scores[buffer.ids.index(i)] for i in (1, 2)] == [3.0, 2.0]
    assert [float(buffer.group(buffer.ids.index(i))["advantages"][0]) for i in (1, 2)] == [
        3.0, 2.0]
