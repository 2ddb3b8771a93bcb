"""fledge: a home for experimental training features, and the tooling that promotes them.

Plugin authors need `Feature` and `hookimpl`; users import features from
``fledge.experimental.<name>``; a library serves its own experimental namespace with a
`Host`. ``import fledge`` costs next to nothing: every public name is imported on first
access (PEP 562), and torch never loads here.
"""

import sys

# Type checkers and the API docs (griffe) read these; at run time `__getattr__` imports each
# name on first access instead.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._errors import (
        FeatureNotFoundError,
        FeatureUnavailableError,
        FledgeError,
        HostNotFoundError,
        ManifestError,
        ReservedNameError,
    )
    from ._host import Host, HostError
    from ._hosts import find_host
    from ._manifest import Feature, Stage
    from ._records import FeatureRecord, Problem, ProblemKind, Status
    from ._registry import Registry
    from ._stability import (
        ExperimentalWarning,
        FeatureDeprecatedWarning,
        FeaturePromotedWarning,
        FledgeWarning,
        silence_experimental,
    )
    from .hookspecs import hookimpl

__version__ = "0.1.0"

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
    "Host",
    "HostError",
    "HostNotFoundError",
    "ManifestError",
    "Problem",
    "ProblemKind",
    "Registry",
    "ReservedNameError",
    "Stage",
    "Status",
    "__version__",
    "find_host",
    "get_registry",
    "hookimpl",
    "set_registry",
    "silence_experimental",
]

# Every public name but the two functions below, and the private module that defines it.
_LAZY = {
    "ExperimentalWarning": "._stability",
    "FeatureDeprecatedWarning": "._stability",
    "FeaturePromotedWarning": "._stability",
    "FledgeWarning": "._stability",
    "silence_experimental": "._stability",
    "Feature": "._manifest",
    "Stage": "._manifest",
    "FeatureNotFoundError": "._errors",
    "FeatureUnavailableError": "._errors",
    "FledgeError": "._errors",
    "HostNotFoundError": "._errors",
    "ManifestError": "._errors",
    "ReservedNameError": "._errors",
    "FeatureRecord": "._records",
    "Problem": "._records",
    "ProblemKind": "._records",
    "Status": "._records",
    "Host": "._host",
    "HostError": "._host",
    "find_host": "._hosts",
    "Registry": "._registry",
    "hookimpl": ".hookspecs",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fledge' has no attribute {name!r}")
    # __import__ rather than importlib.import_module: the C path, shown by -X importtime.
    value = getattr(__import__(__name__ + module, fromlist=["_"]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def get_registry() -> "Registry":
    """The registry of ``fledge.experimental``'s features, created on first call.

    Another host's registry: ``host.registry()`` (see `Host`).

    Returns:
        The process-wide registry of fledge's own host.
    """
    from .experimental import host

    return host.registry()


def set_registry(registry: "Registry | None") -> "Registry | None":
    """Replace ``fledge.experimental``'s registry (``None``: rebuild on next use).

    Tests use it, through the ``fledge_registry`` fixture, to load plugins from sample
    folders without touching the installed ones.

    Args:
        registry: the new registry, built for fledge's host.

    Returns:
        The registry it replaces.
    """
    from .experimental import host

    return host.set_registry(registry)


# ``-W ignore::fledge.ExperimentalWarning``: Python cannot import fledge that early, so the
# warnings module applies such options when it loads (see `fledge._stability`).
if any("fledge" in option for option in sys.warnoptions):
    from . import _stability  # noqa: F401
