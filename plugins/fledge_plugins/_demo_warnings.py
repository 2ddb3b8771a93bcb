"""Quiet demos: third-party deprecation notices are filtered while a built-in demo runs.

``fledge demo NAME`` is for people: what it prints should be the demo's progress and its
result. Transformers and TRL emit ``FutureWarning`` s about their own calls (TRL toggling
gradient checkpointing through names transformers deprecated) and torch warns that it pins
no memory on a machine without an accelerator; none of that is the user's to act on. Only
those are filtered, only while the demo runs, and by the module that emits them: a
deprecation raised from fledge or from the user's code (``FeatureDeprecatedWarning`` is a
``FutureWarning``) still shows. The library itself filters nothing.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

__all__ = ["THIRD_PARTY", "quiet_third_party_warnings"]

#: Packages whose deprecation notices a demo hides (matched as module-name prefixes).
THIRD_PARTY = ("transformers", "trl", "accelerate", "torch", "datasets", "huggingface_hub",
               "tokenizers", "safetensors", "peft")

_MODULES = r"(?:" + "|".join(THIRD_PARTY) + r")(?:\.|$)"
_NOISE = (
    # torch's DataLoader on a machine without GPU: harmless, said once per loader.
    (UserWarning, r"'pin_memory' argument is set as true but no accelerator is found"),
)


@contextlib.contextmanager
def quiet_third_party_warnings() -> Iterator[None]:
    """Inside the block, ignore deprecation warnings that third-party packages emit.

    ``FutureWarning``, ``DeprecationWarning`` and ``PendingDeprecationWarning`` attributed to
    a module of :data:`THIRD_PARTY` are ignored, plus the known harmless notices of
    ``_NOISE``; every other warning, and every filter set before, is left as it was. The
    filters are restored when the block ends.

    Yields:
        Nothing; the filters are in place until the block exits.
    """
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
            warnings.filterwarnings("ignore", category=category, module=_MODULES)
        for category, message in _NOISE:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield
