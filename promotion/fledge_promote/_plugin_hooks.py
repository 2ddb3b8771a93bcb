"""Calling a promote hook of every plugin, each on its own, so one broken plugin is an
``error`` result instead of a crash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._checks import CheckResult, Verdict

__all__ = ["hook_results"]


def hook_results(hook: str, problems: list[CheckResult]) -> list[tuple[str, Sequence[Any]]]:
    """Call every implementation of ``hook`` on its own; record failures in ``problems``."""
    import fledge

    registry = fledge.get_registry()
    try:
        registry.names()  # loads the plugins, so their hook implementations are registered
    except Exception as exc:  # noqa: BLE001 - a broken registry must not stop the checks
        problems.append(CheckResult("plugins", Verdict.ERROR, f"plugins failed to load: {exc}",
                                    "run `fledge doctor`"))
        return []
    out = []
    for impl in getattr(registry.pm.hook, hook).get_hookimpls():
        try:
            returned = impl.function()
        except Exception as exc:  # noqa: BLE001 - isolate each plugin
            problems.append(CheckResult(
                f"plugin:{impl.plugin_name}", Verdict.ERROR,
                f"plugin {impl.plugin_name!r}: its {hook} hook raised "
                f"{type(exc).__name__}: {exc}", "report it to the plugin's maintainers"))
            continue
        if returned is None:
            continue
        out.append((impl.plugin_name, list(returned) if isinstance(returned, (list, tuple))
                    else [returned]))
    return out
