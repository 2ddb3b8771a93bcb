"""``<namespace>.<name>``: a host's features, resolved through its registry.

``import ns.X``, ``from ns.X import Y``, ``ns.X.Y`` and ``dir(ns)`` all work. A plugin's
feature is a light proxy module whose implementation is imported on the first attribute
access, so the import itself never pulls in torch. An in-tree feature is its real package,
imported by the standard machinery. The first use emits the notice that fits the feature's
stage, at the user's line.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._host import Host
    from ._records import FeatureRecord

# Kept light: importing a namespace loads this module, but not the registry's records
# (dataclasses, enum) until a feature is asked for. Status values compare as strings.
_OK, _BLOCKED = "ok", "blocked"

__all__ = [
    "FLEDGE_NAMESPACE", "FeatureModule", "install_finder", "namespace_dir", "namespace_getattr",
]

#: fledge's own namespace, named at the bottom for the modules below `fledge.experimental`
#: that must tell it apart (`Host.is_fledge`, a manifest's default import path).
FLEDGE_NAMESPACE = "fledge.experimental"


class FeatureModule(ModuleType):
    """The module object behind a plugin's feature, ``<namespace>.<name>``."""

    def __init__(self, name: str, feature_name: str, exports: tuple[str, ...],
                 host: Host) -> None:
        super().__init__(name)
        self.__fledge_feature__ = feature_name
        self.__fledge_host__ = host
        self.__all__ = list(exports)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        implementation = self.__fledge_host__.registry().load(self.__fledge_feature__)
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


def _warn(host: Host, record: FeatureRecord) -> None:
    host.notices.warn(record.feature, record.distribution or record.plugin,
                      internal_packages=host.registry().internal_packages())


class _FeatureLoader:
    def __init__(self, host: Host, feature_name: str) -> None:
        self.host = host
        self.feature_name = feature_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        record = self.host.registry().get(self.feature_name)
        return FeatureModule(spec.name, record.name, record.feature.exports, self.host)

    def exec_module(self, module: ModuleType) -> None:
        registry = self.host.registry()
        record = registry.get(self.feature_name)
        if record.status != _OK:
            raise registry.unavailable(record)
        _warn(self.host, record)


class _InTreeLoader:
    """Runs an in-tree feature's own package, then gives the notice at the user's line."""

    def __init__(self, host: Host, feature_name: str, loader: Any) -> None:
        self.host = host
        self.feature_name = feature_name
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        registry = self.host.registry()
        record = registry.get(self.feature_name)
        if record.status != _OK:
            raise registry.unavailable(record)
        registry.run_in_tree(record, module, self.loader)
        if not registry.quiet_loads:
            _warn(self.host, registry.get(self.feature_name))

    def __getattr__(self, attr: str) -> Any:  # get_source, get_resource_reader, is_package
        return getattr(self.loader, attr)


class _AliasLoader:
    """Serves ``<namespace>.X.sub`` as a plugin implementation's own ``sub`` module."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        pass


class _HostFinder:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.prefix = host.namespace + "."

    def find_spec(self, fullname: str, path: Any, target: Any = None):
        if not fullname.startswith(self.prefix):
            return None
        feature_name, _, rest = fullname[len(self.prefix):].partition(".")
        registry = self.host.registry()
        in_tree = registry.in_tree(feature_name)
        if in_tree is not None:
            if rest:
                return None  # a module inside the real package: the standard machinery's
            spec = importlib.machinery.PathFinder.find_spec(fullname, list(self.host.folders))
            if spec is None or spec.loader is None:
                return None
            spec.loader = _InTreeLoader(self.host, feature_name, spec.loader)
            return spec
        if feature_name in registry.plain_modules():
            return None  # utils.py beside the features: a plain module
        registry.get(feature_name)  # raises FeatureNotFoundError, a ModuleNotFoundError
        if not rest:
            spec = importlib.machinery.ModuleSpec(fullname,
                                                  _FeatureLoader(self.host, feature_name))
            spec.submodule_search_locations = []
            return spec
        implementation = registry.load(feature_name)
        if not hasattr(implementation, "__path__"):
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(f"{implementation.__name__}.{rest}")
        )


def install_finder(host: Host) -> None:
    """Put the host's import hook first on ``sys.meta_path`` (once per namespace)."""
    for finder in sys.meta_path:
        if isinstance(finder, _HostFinder) and finder.host.namespace == host.namespace:
            if finder.host is host:
                return
            sys.meta_path.remove(finder)
            break
    sys.meta_path.insert(0, _HostFinder(host))


def namespace_getattr(host: Host) -> Callable[[str], ModuleType]:
    """The namespace module's ``__getattr__``: a feature by attribute access."""
    prefix = host.namespace + "."

    def __getattr__(name: str) -> ModuleType:
        if name.startswith("__"):
            raise AttributeError(name)
        registry = host.registry()
        if registry.in_tree(name) is None and name not in registry.names():
            suggestions = registry.suggest(name)
            hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
            raise AttributeError(
                f"module {host.namespace!r} has no feature {name!r}.{hint} "
                f"Run `{host.command('list')}` to see them."
            )
        # __import__ adds no Python frame of its own, so the notice points at the user's line.
        __import__(prefix + name)
        return sys.modules[prefix + name]

    return __getattr__


def namespace_dir(host: Host) -> Callable[[], list[str]]:
    """The namespace module's ``__dir__``: its features, blocked ones left out."""

    def __dir__() -> list[str]:
        return [r.name for r in host.registry().features() if r.status != _BLOCKED]

    return __dir__
