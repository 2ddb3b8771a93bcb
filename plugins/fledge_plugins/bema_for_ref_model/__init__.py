"""BEMA for the DPO reference model: the plugin's light module (manifest and hooks only)."""

from __future__ import annotations

from fledge import Feature, hookimpl

FEATURE = Feature(
    name="bema_for_ref_model",
    summary="Bias-corrected EMA (BEMA) of the policy weights, optionally DPO's reference model.",
    module="fledge_plugins.bema_for_ref_model.api",
    exports=("BEMACallback", "DPOTrainer"),
    since="0.1.0",
    owners=("fledge team",),
    # Verified with trl 1.16.0, transformers 5.24.0, peft 0.21.2 and torch 2.13.0.
    requires={"trl": ">=1.16,<2", "transformers": ">=5.24,<6", "torch": ">=2.4"},
    docs="docs/features/bema_for_ref_model.md",
    tests=("tests/plugins/bema_for_ref_model",),
    links={"paper": "https://arxiv.org/abs/2508.00180"},
    demo="fledge_plugins.bema_for_ref_model.demo:main",
)


@hookimpl
def fledge_features() -> list[Feature]:
    return [FEATURE]
