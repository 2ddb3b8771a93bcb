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
    from ._fledge_host import Registry, get_registry, set_registry, silence_experimental
    from ._host import Host, HostError
    from ._hosts import find_host
    from ._manifest import Feature, Stage
    from ._records import FeatureRecord, Problem, ProblemKind, Status
    from ._stability import (
        ExperimentalWarning,
        FeatureDeprecatedWarning,
        FeaturePromotedWarning,
        FledgeWarning,
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

# Every public name, and the private module it is imported from.
_LAZY = {
    "ExperimentalWarning": "._stability",
    "FeatureDeprecatedWarning": "._stability",
    "FeaturePromotedWarning": "._stability",
    "FledgeWarning": "._stability",
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
    # fledge's own host: what Registry(host=None) and these three functions act on
    "Registry": "._fledge_host",
    "get_registry": "._fledge_host",
    "set_registry": "._fledge_host",
    "silence_experimental": "._fledge_host",
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


# ``-W ignore::fledge.ExperimentalWarning``: Python cannot import fledge that early, so the
# warnings module applies such options when it loads (see `fledge._stability`).
if any("fledge" in option for option in sys.warnoptions):
    from . import _stability  # noqa: F401
