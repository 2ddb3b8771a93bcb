import pytest

from fledge_length_reward.reward import LengthReward, length_reward


def test_exact_length_scores_one():
    assert length_reward(["abcd"], target_length=4) == [1.0]


def test_conversational_completions_are_measured_by_content():
    completion = [{"role": "assistant", "content": "ab"}]
    assert length_reward([completion], target_length=4) == [0.5]


def test_reward_is_floored():
    assert LengthReward(target_length=2, floor=-0.5)(["x" * 100]) == [-0.5]


def test_bad_target_is_refused():
    with pytest.raises(ValueError, match="target_length must be positive"):
        LengthReward(target_length=0)
