"""fledge: a home for experimental training features, and the tooling that promotes them.

Plugin authors need `Feature` and `hookimpl`; users import features from
``fledge.experimental.<name>``. ``import fledge`` stays light: the registry, pluggy and
``importlib.metadata`` load on first use, and torch never loads here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._errors import (
    FeatureNotFoundError,
    FeatureUnavailableError,
    FledgeError,
    ManifestError,
    ReservedNameError,
)
from ._manifest import Feature, Stage
from ._stability import (
    ExperimentalWarning,
    FeatureDeprecatedWarning,
    FeaturePromotedWarning,
    FledgeWarning,
    silence_experimental,
)

if TYPE_CHECKING:
    from ._records import FeatureRecord, Problem, ProblemKind, Status
    from ._registry import Registry
    from .hookspecs import hookimpl

__version__ = "0.1.0"

# Tracebacks and reprs name the public home of these classes, not a private module.
for _public in (FeatureNotFoundError, FeatureUnavailableError, FledgeError, ManifestError,
                ReservedNameError, Feature, Stage, ExperimentalWarning,
                FeatureDeprecatedWarning, FeaturePromotedWarning, FledgeWarning):
    _public.__module__ = __name__
del _public

__all__ = [
    "ExperimentalWarning",
    "Feature",
    "FeatureDeprecatedWarning",
    "FeatureNotFoundError",
    "FeaturePromotedWarning",
    "FeatureRecord",
    "FeatureUnavailableError",
    "FledgeError",
    "FledgeWarning",
    "ManifestError",
    "Problem",
    "ProblemKind",
    "Registry",
    "ReservedNameError",
    "Stage",
    "Status",
    "__version__",
    "get_registry",
    "hookimpl",
    "set_registry",
    "silence_experimental",
]

# Names that need pluggy or importlib.metadata are imported on first access (PEP 562).
_LAZY = {
    "hookimpl": ".hookspecs",
    "Registry": "._registry",
    "FeatureRecord": "._records",
    "Problem": "._records",
    "ProblemKind": "._records",
    "Status": "._records",
}

_registry_lock = threading.Lock()
_default_registry: Registry | None = None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fledge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def get_registry() -> Registry:
    """The process-wide registry of installed features, created on first call."""
    global _default_registry
    if _default_registry is None:
        with _registry_lock:
            if _default_registry is None:
                from ._registry import Registry

                _default_registry = Registry()
    return _default_registry


def set_registry(registry: Registry | None) -> Registry | None:
    """Replace the process-wide registry (``None``: rebuild on next use); return the old one.

    Tests use it, through the ``fledge_registry`` fixture, to load plugins from sample
    folders without touching the installed ones.
    """
    global _default_registry
    with _registry_lock:
        previous, _default_registry = _default_registry, registry
    return previous
