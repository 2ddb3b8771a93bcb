"""Sample plugin sites: distributions written as ``*.dist-info`` folders, no pip needed."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from .._registry import ENTRY_POINT_GROUP, Registry
from .._stability import _reset_warned


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
    ) -> Path:
        """Write distribution ``dist`` with its ``modules`` (dotted name to source).

        Args:
            dist: the distribution name, e.g. ``fledge-myfeature``.
            modules: source of each module; ``pkg`` becomes ``pkg/__init__.py`` when a
                ``pkg.sub`` module is also given.
            entry_points: entry point name to value in the ``fledge`` group; by default one
                entry point, named after the first module given, pointing at it.
            version: the distribution's version.

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
        lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return info

    def registry(self, environ: Mapping[str, str] | None = None) -> Registry:
        """A registry that sees only this site's distributions."""
        self._unload()
        _reset_warned()
        return Registry(path=[str(self.root)], environ=environ or {})

    def install(self, environ: Mapping[str, str] | None = None) -> Registry:
        """Build a registry over this site and make it the process-wide one.

        ``fledge.experimental`` then resolves through it. Feature modules imported through
        an earlier registry are forgotten first.
        """
        from .. import set_registry

        registry = self.registry(environ)
        forget_experimental_modules()
        set_registry(registry)
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


def forget_experimental_modules() -> None:
    """Drop every ``fledge.experimental.<name>`` module so the next import resolves anew."""
    for name in list(sys.modules):
        if name.startswith("fledge.experimental."):
            del sys.modules[name]
    experimental = sys.modules.get("fledge.experimental")
    if experimental is not None:
        for name, value in list(vars(experimental).items()):
            if isinstance(value, experimental.FeatureModule):
                delattr(experimental, name)
