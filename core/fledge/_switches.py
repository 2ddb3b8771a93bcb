"""The user's switches that decide which plugins load: autoload off, allow list, block list.

Like pytest's: ``FLEDGE_DISABLE_PLUGIN_AUTOLOAD`` keeps third-party plugins out (fledge's
built-in features still load), ``FLEDGE_PLUGINS_ALLOW`` names the only third-party plugins to
load, and ``FLEDGE_PLUGINS_BLOCK`` names plugins (entry point or distribution names) never to
load, or features (by name) to mark blocked. Names compare case-insensitively, with ``-``,
``_`` and ``.`` alike.
"""

from __future__ import annotations

from collections.abc import Mapping

AUTOLOAD_OFF = "FLEDGE_DISABLE_PLUGIN_AUTOLOAD"
ALLOW = "FLEDGE_PLUGINS_ALLOW"
BLOCK = "FLEDGE_PLUGINS_BLOCK"
SWITCH_VARIABLES = (AUTOLOAD_OFF, ALLOW, BLOCK)
_TRUE = frozenset({"1", "true", "yes", "on"})


def _name_list(value: str | None) -> frozenset[str] | None:
    if value is None or not value.strip():
        return None
    return frozenset(_normalize(item) for item in value.split(",") if item.strip())


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_")


class Switches:
    """The user's environment switches, read once per registry."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.autoload_off = environ.get(AUTOLOAD_OFF, "").strip().lower() in _TRUE
        self.allow = _name_list(environ.get(ALLOW))
        self.block = _name_list(environ.get(BLOCK)) or frozenset()

    def plugin_refusal(self, plugin: str, dist: str | None, builtin: bool) -> str | None:
        """Why a plugin must not be loaded, naming the switch, or None to load it."""
        names = {_normalize(plugin)} | ({_normalize(dist)} if dist else set())
        if names & self.block:
            return BLOCK
        if builtin:
            return None
        if self.allow is not None and not names & self.allow:
            return ALLOW
        if self.autoload_off and not (self.allow and names & self.allow):
            return AUTOLOAD_OFF
        return None

    def feature_blocked(self, feature: str) -> bool:
        return _normalize(feature) in self.block


def switch_reason(switch: str) -> str:
    return {
        AUTOLOAD_OFF: f"{AUTOLOAD_OFF} is set and it is not in {ALLOW}",
        ALLOW: f"{ALLOW} is set and does not name it",
        BLOCK: f"{BLOCK} names it",
    }[switch]
