"""fledge's testing kit: what a plugin author needs to test offline.

* sample plugin sites and an isolated registry (`PluginSite`, `isolated_registry`, for
  fledge's own host or any other);
* a tiny Qwen2-family causal LM and tokenizer built locally, small datasets in TRL's
  standard formats, and their on-disk "hub" layout (imported lazily: they need torch).

Installing fledge publishes the fixtures as a pytest plugin (entry point ``pytest11``).
Importing this package stays light; the training parts import torch on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .plugins import PluginSite, isolated_registry

__all__ = [
    "CONFIGS",
    "DATASET_ID",
    "MODEL_ID",
    "PluginSite",
    "isolated_registry",
    "make_dataset",
    "prepare_examples",
    "tiny_model",
    "tiny_tokenizer",
    "write_hub",
]

# name -> submodule, filled in by the training kit (needs torch, so imported on first use)
_LAZY: dict[str, str] = {
    "tiny_tokenizer": ".training",
    "tiny_model": ".training",
    "make_dataset": ".training",
    "write_hub": ".training",
    "prepare_examples": ".offline",
    "CONFIGS": ".training",
    "MODEL_ID": ".training",
    "DATASET_ID": ".training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fledge.testing' has no attribute {name!r}")
