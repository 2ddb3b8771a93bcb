"""GRPO with a replay buffer: the plugin's light module (manifest and hooks only)."""

from __future__ import annotations

from fledge import Feature, hookimpl

FEATURE = Feature(
    name="grpo_with_replay_buffer",
    summary="GRPO that swaps zero-variance groups for high-signal groups replayed from earlier batches.",
    module="fledge_plugins.grpo_with_replay_buffer.api",
    exports=("GRPOWithReplayBufferConfig", "GRPOWithReplayBufferTrainer", "ReplayBuffer"),
    since="0.1.0",
    owners=("fledge team",),
    requires={"trl": ">=1.12", "transformers": ">=4.56", "torch": ">=2.4"},
    docs="docs/features/grpo_with_replay_buffer.md",
    tests=("tests/plugins/grpo_with_replay_buffer",),
    demo="fledge_plugins.grpo_with_replay_buffer.demo:main",
)


@hookimpl
def fledge_features() -> list[Feature]:
    return [FEATURE]
