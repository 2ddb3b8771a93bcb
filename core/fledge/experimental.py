"""``fledge.experimental.<name>``: every installed feature, resolved through the registry.

``import fledge.experimental.X``, ``from fledge.experimental.X import Y``,
``fledge.experimental.X.Y`` and ``dir(fledge.experimental)`` all work. The feature's module
is a light proxy: its implementation is imported on the first attribute access, so the
import itself never pulls in torch. The first use emits the notice that fits the feature's
stage (see `fledge._stability`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

from ._records import Status
from ._registry import Registry
from ._stability import warn_feature_used

_PREFIX = __name__ + "."
# A package with no folders: the import system asks the meta path for its submodules.
__path__: list[str] = []


def _registry() -> Registry:
    from . import get_registry

    return get_registry()


class FeatureModule(ModuleType):
    """The module object behind ``fledge.experimental.<name>``."""

    def __init__(self, name: str, feature_name: str, exports: tuple[str, ...]) -> None:
        super().__init__(name)
        self.__fledge_feature__ = feature_name
        self.__all__ = list(exports)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        implementation = _registry().load(self.__fledge_feature__)
        try:
            value = getattr(implementation, attr)
        except AttributeError:
            raise AttributeError(
                f"module {self.__name__!r} has no attribute {attr!r}; "
                f"it exports {', '.join(self.__all__)}"
            ) from None
        return value

    def __dir__(self) -> list[str]:
        return sorted(self.__all__)


class _FeatureLoader(importlib.abc.Loader):
    def __init__(self, feature_name: str) -> None:
        self.feature_name = feature_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        record = _registry().get(self.feature_name)
        return FeatureModule(spec.name, record.name, record.feature.exports)

    def exec_module(self, module: ModuleType) -> None:
        registry = _registry()
        record = registry.get(self.feature_name)
        if record.status is not Status.OK:
            raise registry.unavailable(record)
        warn_feature_used(
            record.feature,
            record.distribution or record.plugin,
            internal_packages=registry.internal_packages(),
        )


class _AliasLoader(importlib.abc.Loader):
    """Serves ``fledge.experimental.X.sub`` as the implementation's own ``sub`` module."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        pass


class _ExperimentalFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None):
        if not fullname.startswith(_PREFIX):
            return None
        feature_name, _, rest = fullname[len(_PREFIX):].partition(".")
        registry = _registry()
        registry.get(feature_name)  # raises FeatureNotFoundError, a ModuleNotFoundError
        if not rest:
            spec = importlib.machinery.ModuleSpec(fullname, _FeatureLoader(feature_name))
            spec.submodule_search_locations = []
            return spec
        implementation = registry.load(feature_name)
        if not hasattr(implementation, "__path__"):
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(f"{implementation.__name__}.{rest}")
        )


def _install_finder() -> None:
    if not any(isinstance(finder, _ExperimentalFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ExperimentalFinder())


_install_finder()


def __getattr__(name: str) -> ModuleType:
    if name.startswith("__"):
        raise AttributeError(name)
    registry = _registry()
    if name not in registry.names():
        suggestions = registry.suggest(name)
        hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        raise AttributeError(
            f"module {__name__!r} has no feature {name!r}.{hint} Run `fledge list` to see them."
        )
    # __import__ adds no Python frame of its own, so the notice points at the user's line.
    __import__(_PREFIX + name)
    return sys.modules[_PREFIX + name]


def __dir__() -> list[str]:
    return [record.name for record in _registry().features() if record.status is not Status.BLOCKED]
