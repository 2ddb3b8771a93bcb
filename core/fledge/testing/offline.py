"""Offline mode for hub-style code: the settings that make it run on this machine, and a
one-call setup for documentation examples.

The settings are data (`OFFLINE_ENVIRONMENT`, `offline_attributes`) so that the pytest
fixture ``offline_hub`` applies them reversibly with ``monkeypatch`` while
`prepare_examples` applies them for good in a throwaway process.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["OFFLINE_ENVIRONMENT", "offline_attributes", "prepare_examples"]

#: Environment variables that keep huggingface_hub and datasets off the network.
OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

# huggingface_hub and datasets read the variables once, at import: already imported modules
# need their constants set too.
_IMPORTED_SWITCHES = (
    ("huggingface_hub.constants", ("HF_HUB_OFFLINE",)),
    ("datasets.config", ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")),
)


def offline_attributes() -> list[tuple[object, str, Any]]:
    """``(object, attribute, value)`` settings to apply on top of `OFFLINE_ENVIRONMENT`.

    They switch already imported hub libraries to offline mode and, on a machine without a
    bf16-capable accelerator, make TRL's configs default to ``bf16=False``: TRL defaults to
    ``bf16=True``, which transformers refuses there ("Your setup doesn't support bf16/gpu"),
    so snippets that build a default config could not run unchanged. An explicit
    ``bf16=...`` is left alone.
    """
    settings: list[tuple[object, str, Any]] = []
    for name, attributes in _IMPORTED_SWITCHES:
        module = sys.modules.get(name)
        settings += [(module, a, True) for a in attributes if hasattr(module, a)]
    post_init = _cpu_trl_post_init()
    if post_init is not None:
        settings.append(post_init)
    return settings


def _cpu_trl_post_init() -> tuple[object, str, Any] | None:
    if importlib.util.find_spec("trl") is None:
        return None
    from transformers.utils import is_torch_bf16_gpu_available

    if is_torch_bf16_gpu_available():
        return None
    from trl.trainer import base_config

    config_class = getattr(base_config, "_BaseConfig", None)
    if config_class is None:
        return None
    original = config_class.__post_init__

    def __post_init__(self: Any) -> None:
        if self.bf16 is None and not self.fp16:
            self.bf16 = False
        original(self)

    return config_class, "__post_init__", __post_init__


def prepare_examples(folder: str | Path) -> Path:
    """Lay the kit's hub out in ``folder`` and switch this process to offline mode.

    Meant for a throwaway process that runs documentation examples from ``folder`` (it is
    ``promote``'s ``examples_setup`` in this repository): nothing is restored afterwards.

    Args:
        folder: the examples' working folder.

    Returns:
        ``folder`` as a `pathlib.Path`.
    """
    from .training import write_hub

    root = write_hub(folder)
    os.environ.update(OFFLINE_ENVIRONMENT)
    for target, attribute, value in offline_attributes():
        setattr(target, attribute, value)
    return root
