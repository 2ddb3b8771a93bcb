"""promote: readiness checks, and the move of a feature into the stable namespace.

The command line is :func:`fledge_promote.cli.main` (``promote``). Plugins contribute checks
(objects following :class:`Check`) through the ``fledge_promote_checks`` hook and navigation
formats (following :class:`DocsFormat`) through ``fledge_promote_docs_formats``.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._errors import (
        ApplyError,
        ConfigError,
        JournalError,
        PlanError,
        PromoteError,
        RefusedError,
        UsageError,
    )
    from .applying._apply import apply_plan, recover
    from .checks._output import render
    from .checks._protocol import (
        Check,
        CheckContext,
        CheckResult,
        FeatureReport,
        Verdict,
        run_checks,
    )
    from .planning._lifecycle import plan_deprecation, plan_retirement
    from .planning._plan import Mention, Plan
    from .planning._promotion import plan_promotion
    from .repository._config import PromoteConfig, load_config
    from .repository._docs_formats import DocBuilderToctree, DocsFormat, MkDocsNav
    from .repository._features import FeatureInfo, find_feature, list_features
    from .repository._repo import Repo

__all__ = [
    "ApplyError",
    "Check",
    "CheckContext",
    "CheckResult",
    "ConfigError",
    "DocBuilderToctree",
    "DocsFormat",
    "FeatureInfo",
    "FeatureReport",
    "JournalError",
    "Mention",
    "MkDocsNav",
    "Plan",
    "PlanError",
    "PromoteConfig",
    "PromoteError",
    "RefusedError",
    "Repo",
    "UsageError",
    "Verdict",
    "apply_plan",
    "find_feature",
    "list_features",
    "load_config",
    "plan_deprecation",
    "plan_promotion",
    "plan_retirement",
    "recover",
    "render",
    "run_checks",
]

# Every public name, and the module it is imported from on first access: `promote check` and
# `promote report` then never import LibCST (half of the command's start-up), which only
# the planners need.
_LAZY = {
    "ApplyError": "._errors",
    "ConfigError": "._errors",
    "JournalError": "._errors",
    "PlanError": "._errors",
    "PromoteError": "._errors",
    "RefusedError": "._errors",
    "UsageError": "._errors",
    "apply_plan": ".applying._apply",
    "recover": ".applying._apply",
    "render": ".checks._output",
    "Check": ".checks._protocol",
    "CheckContext": ".checks._protocol",
    "CheckResult": ".checks._protocol",
    "FeatureReport": ".checks._protocol",
    "Verdict": ".checks._protocol",
    "run_checks": ".checks._protocol",
    "plan_deprecation": ".planning._lifecycle",
    "plan_retirement": ".planning._lifecycle",
    "Mention": ".planning._plan",
    "Plan": ".planning._plan",
    "plan_promotion": ".planning._promotion",
    "PromoteConfig": ".repository._config",
    "load_config": ".repository._config",
    "DocBuilderToctree": ".repository._docs_formats",
    "DocsFormat": ".repository._docs_formats",
    "MkDocsNav": ".repository._docs_formats",
    "FeatureInfo": ".repository._features",
    "find_feature": ".repository._features",
    "list_features": ".repository._features",
    "Repo": ".repository._repo",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fledge_promote' has no attribute {name!r}")
    value = getattr(__import__(__name__ + module, fromlist=["_"]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
