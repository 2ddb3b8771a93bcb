"""The plugin's light module: the manifest and the hook, nothing heavy.

fledge imports this module when it lists features; the implementation in ``reward.py`` is
imported only when the feature is first used.
"""

from __future__ import annotations

import fledge


@fledge.hookimpl
def fledge_features() -> list[fledge.Feature]:
    return [
        fledge.Feature(
            name="length_reward",
            summary="Reward completions by how close their length is to a target.",
            module="fledge_length_reward.reward",
            exports=("length_reward", "LengthReward"),
            since="0.2.0",
            owners=("example-org",),
            requires={"fledge": ">=0.1"},
            links={"source": "https://example.org/fledge-length-reward"},
        )
    ]
