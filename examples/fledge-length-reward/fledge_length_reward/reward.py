"""A length-shaping reward for GRPO, in the signature TRL's reward functions use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _text(completion: Any) -> str:
    # Standard format: a string. Conversational format: a list of {"role", "content"}.
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        return "".join(str(message.get("content", "")) for message in completion)
    raise TypeError(
        f"length_reward: a completion must be a string or a list of messages; "
        f"got {type(completion).__name__}"
    )


class LengthReward:
    """Reward ``1 - |len - target| / target``, floored at ``floor``.

    Args:
        target_length: the ideal completion length, in characters (> 0).
        floor: the lowest reward given.
    """

    def __init__(self, target_length: int = 64, floor: float = -1.0) -> None:
        if target_length <= 0:
            raise ValueError(f"target_length must be positive; got {target_length}")
        self.target_length = target_length
        self.floor = floor
        self.__name__ = "length_reward"  # TRL logs reward functions by __name__

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        target = self.target_length
        return [
            max(self.floor, 1.0 - abs(len(_text(c)) - target) / target) for c in completions
        ]


def length_reward(
    completions: Sequence[Any], target_length: int = 64, **kwargs: Any
) -> list[float]:
    """Reward each completion by how close its length is to ``target_length`` characters."""
    return LengthReward(target_length)(completions, **kwargs)
