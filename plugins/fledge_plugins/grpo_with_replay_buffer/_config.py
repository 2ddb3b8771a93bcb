"""The training arguments: TRL's stable ``GRPOConfig`` plus the replay buffer's size."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig

__all__ = ["DEFAULT_REPLAY_BUFFER_SIZE", "GRPOWithReplayBufferConfig"]

#: Groups the buffer keeps when the configuration does not say.
DEFAULT_REPLAY_BUFFER_SIZE = 64


def check_replay_buffer_size(value: object) -> int:
    """Return ``value`` if it is a valid buffer size, else raise a ``ValueError`` saying why."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"replay_buffer_size must be an integer >= 0 (the number of groups the replay "
            f"buffer keeps; 0 turns replay off), got {value!r}"
        )
    return value


def check_replay_allow_repeats(value: object) -> bool:
    """Return ``value`` if it is a bool, else raise a ``ValueError`` saying why."""
    if not isinstance(value, bool):
        raise ValueError(
            f"replay_allow_repeats must be True or False (whether a stored group may replace "
            f"several tied groups of one batch), got {value!r}"
        )
    return value


@dataclass
class GRPOWithReplayBufferConfig(GRPOConfig):
    """``trl.GRPOConfig`` plus the replay buffer.

    Args:
        replay_buffer_size: how many groups the buffer keeps (the highest-scoring ones seen
            so far). A group whose completions all receive the same reward is replaced by a
            stored group. ``0`` turns replay off: training is then plain GRPO.
        replay_allow_repeats: when the buffer holds fewer groups than the batch has tied
            ones, draw the stored groups with replacement, so that every tied group is
            replaced and no zero-advantage group reaches the loss (the default). ``False``
            uses each stored group at most once per batch and lets the extra tied groups
            through unchanged, which keeps one early, stale group from filling most of a
            batch while the buffer is nearly empty.
    """

    replay_buffer_size: int = field(
        default=DEFAULT_REPLAY_BUFFER_SIZE,
        metadata={
            "help": "How many groups the replay buffer keeps (the highest-scoring ones seen so "
            "far). A group whose completions all receive the same reward is replaced by a "
            "stored group. 0 turns replay off."
        },
    )

    replay_allow_repeats: bool = field(
        default=True,
        metadata={
            "help": "When the buffer holds fewer groups than the batch has tied ones, draw with "
            "replacement so that every tied group is replaced (True, the default); False uses "
            "each stored group at most once per batch and lets the other tied groups through."
        },
    )

    def __post_init__(self) -> None:
        check_replay_buffer_size(self.replay_buffer_size)
        check_replay_allow_repeats(self.replay_allow_repeats)
        super().__post_init__()
