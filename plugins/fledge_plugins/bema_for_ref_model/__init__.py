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
    # Its tests pass (scripts/compat.py, torch 2.13.0, peft 0.21.2) with trl 1.0.0, 1.5.1,
    # 1.10.0, 1.11.0, 1.12.0, 1.13.0, 1.14.2, 1.16.0 on transformers 5.24.0, and trl 1.0.0,
    # 1.12.0, 1.14.2, 1.16.0 on transformers 4.57.6. trl 1.15.0's DPOTrainer needs Triton,
    # so it cannot run on a CPU-only torch; see the docs page's "Supported versions".
    requires={"trl": ">=1.0,<2", "transformers": ">=4.57,<6", "torch": ">=2.4"},
    docs="docs/features/bema_for_ref_model.md",
    tests=("tests/plugins/bema_for_ref_model",),
    links={"paper": "https://arxiv.org/abs/2508.00180"},
    demo="fledge_plugins.bema_for_ref_model.demo:main",
)


@hookimpl
def fledge_features() -> list[Feature]:
    return [FEATURE]
