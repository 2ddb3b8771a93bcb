"""Sample plugin sites: distributions written as ``*.dist-info`` folders, no pip needed."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .._registry import Registry

if TYPE_CHECKING:
    from .._host import Host


def _fledge_host() -> Host:
    from .._fledge_host import host

    return host


class PluginSite:
    """A folder of installed-looking distributions, and registries that see only it.

    Each `add` writes a distribution's modules and its ``*.dist-info`` folder (with
    ``METADATA`` and ``entry_points.txt``), as pip would. `registry` builds a
    `fledge.Registry` over the folder. `close` unloads what the site imported.

    Args:
        root: an empty folder to write the distributions into.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._modules: set[str] = set()
        sys.path.insert(0, str(self.root))

    def add(
        self,
        dist: str,
        modules: Mapping[str, str],
        *,
        entry_points: Mapping[str, str] | None = None,
        version: str = "0.1.0",
        group: str | None = None,
    ) -> Path:
        """Write distribution ``dist`` with its ``modules`` (dotted name to source).

        Args:
            dist: the distribution name, e.g. ``fledge-myfeature``.
            modules: source of each module; ``pkg`` becomes ``pkg/__init__.py`` when a
                ``pkg.sub`` module is also given.
            entry_points: entry point name to value in the ``group``; by default one
                entry point, named after the first module given, pointing at it.
            version: the distribution's version.
            group: the entry point group; by default fledge's own, ``fledge`` (another
                host's group, e.g. ``trl.experimental``, makes a plugin of that host).

        Returns:
            The ``*.dist-info`` folder.
        """
        packages = {name.rpartition(".")[0] for name in modules if "." in name}
        for name, source in modules.items():
            parts = name.split(".")
            if name in packages:
                path = self.root.joinpath(*parts, "__init__.py")
            else:
                path = self.root.joinpath(*parts[:-1], parts[-1] + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
            self._modules.add(parts[0])
        if entry_points is None:
            first = next(iter(modules))
            entry_points = {first: first}
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        lines = [f"[{group or _fledge_host().group}]"]
        lines += [f"{k} = {v}" for k, v in entry_points.items()]
        path = info / "entry_points.txt"
        previous = path.read_text() + "\n" if path.is_file() else ""
        path.write_text(previous + "\n".join(lines) + "\n")
        return info

    def registry(self, environ: Mapping[str, str] | None = None, *,
                 host: Host | None = None) -> Registry:
        """A registry that sees only this site's distributions.

        Args:
            environ: the environment its switches are read from (default: none set).
            host: whose registry (default: fledge's own); its notices are reset.
        """
        self._unload()
        host = host or _fledge_host()
        host.notices.reset()
        return Registry(path=[str(self.root)], environ=environ or {}, host=host)

    def install(self, environ: Mapping[str, str] | None = None, *,
                host: Host | None = None) -> Registry:
        """Build a registry over this site and make it the host's (default: fledge's).

        The host's namespace then resolves through it. Feature modules imported through
        an earlier registry are forgotten first.
        """
        host = host or _fledge_host()
        registry = self.registry(environ, host=host)
        forget_experimental_modules(host.namespace)
        host.set_registry(registry)
        return registry

    def _unload(self) -> None:
        import importlib

        for name in list(sys.modules):
            top = name.partition(".")[0]
            if top in self._modules:
                del sys.modules[name]
        importlib.invalidate_caches()

    def close(self) -> None:
        """Forget the site's modules and take it off ``sys.path``."""
        self._unload()
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))


def forget_experimental_modules(namespace: str | None = None) -> None:
    """Drop every ``<namespace>.<name>`` feature module so the next import resolves anew.

    Args:
        namespace: the host's namespace; by default ``fledge.experimental``.
    """
    from types import ModuleType

    namespace = namespace or _fledge_host().namespace
    prefix = namespace + "."
    for name in list(sys.modules):
        if name.startswith(prefix):
            del sys.modules[name]
    module = sys.modules.get(namespace)
    if module is not None:
        for name, value in list(vars(module).items()):
            if isinstance(value, ModuleType) and value.__name__.startswith(prefix):
                delattr(module, name)


@contextlib.contextmanager
def isolated_registry(host: Host | None = None) -> Iterator[Registry]:
    """A fresh registry of the installed plugins, made the host's for the ``with`` block.

    The record of which features already warned is reset, so the block sees the notices
    again, and the feature modules imported before are forgotten; both are restored after.

    Args:
        host: the host (default: fledge's own, ``fledge.experimental``).

    Example:
        >>> from fledge.testing import isolated_registry
        >>> with isolated_registry() as registry:
        ...     names = registry.names()
    """
    host = host or _fledge_host()
    host.notices.reset()
    registry = Registry(host=host)
    previous = host.set_registry(registry)
    forget_experimental_modules(host.namespace)
    try:
        yield registry
    finally:
        host.set_registry(previous)
        forget_experimental_modules(host.namespace)
        host.notices.reset()
