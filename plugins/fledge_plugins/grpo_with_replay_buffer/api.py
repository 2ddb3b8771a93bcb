"""GRPO with a replay buffer: the feature's public API (imports torch and TRL).

Users import it as ``fledge.experimental.grpo_with_replay_buffer``::

    from fledge.experimental.grpo_with_replay_buffer import (
        GRPOWithReplayBufferConfig,
        GRPOWithReplayBufferTrainer,
    )
"""

from __future__ import annotations

from ._buffer import ReplayBuffer
from ._config import GRPOWithReplayBufferConfig
from ._trainer import GRPOWithReplayBufferTrainer

__all__ = ["GRPOWithReplayBufferConfig", "GRPOWithReplayBufferTrainer", "ReplayBuffer"]
