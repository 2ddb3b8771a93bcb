"""Calling a promote hook of every plugin, each on its own, so one broken plugin is a
recorded failure instead of a crash.

May import: nothing of fledge_promote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["HookFailure", "hook_results"]


class HookFailure(NamedTuple):
    """A plugin whose hook could not be called: who (``plugin:<name>``), what, the fix."""

    label: str
    message: str
    fix: str


def hook_results(hook: str, problems: list[HookFailure]) -> list[tuple[str, Sequence[Any]]]:
    """Call every implementation of ``hook`` on its own; record failures in ``problems``."""
    import fledge

    registry = fledge.get_registry()
    try:
        registry.names()  # loads the plugins, so their hook implementations are registered
    except Exception as exc:  # noqa: BLE001 - a broken registry must not stop the checks
        problems.append(HookFailure("plugins", f"plugins failed to load: {exc}",
                                    "run `fledge doctor`"))
        return []
    out = []
    for impl in getattr(registry.pm.hook, hook).get_hookimpls():
        try:
            returned = impl.function()
        except Exception as exc:  # noqa: BLE001 - isolate each plugin
            problems.append(HookFailure(
                f"plugin:{impl.plugin_name}",
                f"plugin {impl.plugin_name!r}: its {hook} hook raised "
                f"{type(exc).__name__}: {exc}", "report it to the plugin's maintainers"))
            continue
        if returned is None:
            continue
        out.append((impl.plugin_name, list(returned) if isinstance(returned, (list, tuple))
                    else [returned]))
    return out
