"""GRPO with a replay buffer: the plugin's light module (manifest and hooks only)."""

from __future__ import annotations

from fledge import Feature, hookimpl

FEATURE = Feature(
    name="grpo_with_replay_buffer",
    summary=(
        "GRPO that swaps zero-variance groups for high-signal groups replayed from earlier "
        "batches."
    ),
    module="fledge_plugins.grpo_with_replay_buffer.api",
    exports=("GRPOWithReplayBufferConfig", "GRPOWithReplayBufferTrainer", "ReplayBuffer"),
    since="0.1.0",
    owners=("fledge team",),
    # Verified: trl 1.12, 1.13, 1.14 and 1.16 with transformers 5.24; trl 1.12 and 1.16 with
    # transformers 4.57 (torch 2.13 CPU). trl 1.15.0 needs Triton to score log-probs at all.
    requires={"trl": ">=1.12,<2", "transformers": ">=4.57,<6", "torch": ">=2.4"},
    docs="docs/features/grpo_with_replay_buffer.md",
    tests=("tests/plugins/grpo_with_replay_buffer",),
    demo="fledge_plugins.grpo_with_replay_buffer.demo:main",
)


@hookimpl
def fledge_features() -> list[Feature]:
    return [FEATURE]
