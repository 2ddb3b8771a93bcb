"""Which checks run: the built-in ones plus those plugins contribute, minus ``skip_checks``.

Kept apart from :mod:`._protocol` (the protocol, the result, the runner), which the check
modules import: the built-in checks import ``_protocol``, and this module imports them.
"""

from __future__ import annotations

from .._plugin_hooks import HookFailure, hook_results
from ..repository._config import PromoteConfig
from ._builtin import BUILTIN_CHECKS
from ._protocol import Check, CheckResult, Verdict

__all__ = ["collect_checks"]


def collect_checks(config: PromoteConfig) -> tuple[list[Check], list[CheckResult]]:
    """The built-in checks plus those plugins contribute, minus ``skip_checks``.

    Each plugin's hook is called on its own: one that raises or returns something that is not
    a check is turned into an ``error`` result, and the other checks still run.

    Returns:
        The checks to run, and the errors met while collecting them.
    """
    checks: list[Check] = list(BUILTIN_CHECKS)
    failures: list[HookFailure] = []
    contributions = hook_results("fledge_promote_checks", failures)
    problems = [CheckResult(f.label, Verdict.ERROR, f.message, f.fix) for f in failures]
    for plugin, contributed in contributions:
        for item in contributed:
            label = f"plugin:{plugin}"
            if not isinstance(item, Check) or not isinstance(getattr(item, "name", None), str):
                problems.append(CheckResult(
                    label, Verdict.ERROR,
                    f"plugin {plugin!r} returned {type(item).__name__} from "
                    "fledge_promote_checks, not a check (name, description, run(context))",
                    "fix the plugin's hook to return objects following fledge_promote.Check"))
            elif any(c.name == item.name for c in checks):
                problems.append(CheckResult(
                    label, Verdict.ERROR,
                    f"plugin {plugin!r} contributes a check named {item.name!r}, which is "
                    "already taken", "rename the plugin's check"))
            else:
                checks.append(item)
    return [c for c in checks if c.name not in config.skip_checks], problems
