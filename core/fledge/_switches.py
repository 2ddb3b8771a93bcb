"""The user's switches that decide which plugins load: autoload off, allow list, block list.

Like pytest's, and named after the host's switch prefix (``FLEDGE`` for
``fledge.experimental``, ``TRL_EXPERIMENTAL`` for ``trl.experimental``):
``<PREFIX>_DISABLE_PLUGIN_AUTOLOAD`` keeps third-party plugins out (the host's own features
still load), ``<PREFIX>_PLUGINS_ALLOW`` names the only third-party plugins to load, and
``<PREFIX>_PLUGINS_BLOCK`` names plugins (entry point or distribution names) never to load,
or features (by name) to mark blocked. Names compare case-insensitively, with ``-``, ``_``
and ``.`` alike.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Switches", "switch_names"]

_TRUE = frozenset({"1", "true", "yes", "on"})


def switch_names(prefix: str) -> tuple[str, str, str]:
    """The autoload, allow and block variables for a host's switch ``prefix``."""
    return (f"{prefix}_DISABLE_PLUGIN_AUTOLOAD", f"{prefix}_PLUGINS_ALLOW",
            f"{prefix}_PLUGINS_BLOCK")


def _name_list(value: str | None) -> frozenset[str] | None:
    if value is None or not value.strip():
        return None
    return frozenset(_normalize(item) for item in value.split(",") if item.strip())


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_")


class Switches:
    """The user's environment switches, read once per registry.

    Args:
        environ: the environment to read.
        prefix: the host's switch prefix, e.g. ``FLEDGE``.
    """

    def __init__(self, environ: Mapping[str, str], prefix: str = "FLEDGE") -> None:
        self.autoload_variable, self.allow_variable, self.block_variable = switch_names(prefix)
        self.autoload_off = environ.get(self.autoload_variable, "").strip().lower() in _TRUE
        self.allow = _name_list(environ.get(self.allow_variable))
        self.block = _name_list(environ.get(self.block_variable)) or frozenset()

    def plugin_refusal(self, plugin: str, dist: str | None, builtin: bool) -> str | None:
        """Why a plugin must not be loaded, naming the switch, or None to load it."""
        names = {_normalize(plugin)} | ({_normalize(dist)} if dist else set())
        if names & self.block:
            return self.block_variable
        if builtin:
            return None
        if self.allow is not None and not names & self.allow:
            return self.allow_variable
        if self.autoload_off and not (self.allow and names & self.allow):
            return self.autoload_variable
        return None

    def feature_blocked(self, feature: str) -> bool:
        return _normalize(feature) in self.block

    def reason(self, switch: str) -> str:
        """Why ``switch`` (one of this host's variables) kept a plugin or feature out."""
        return {
            self.autoload_variable:
                f"{self.autoload_variable} is set and it is not in {self.allow_variable}",
            self.allow_variable: f"{self.allow_variable} is set and does not name it",
            self.block_variable: f"{self.block_variable} names it",
        }[switch]
