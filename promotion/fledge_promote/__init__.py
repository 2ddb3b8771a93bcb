"""promote: readiness checks, and the move of a feature into the stable namespace.

The command line is :func:`fledge_promote.cli.main` (``promote``). Plugins contribute checks
(objects following :class:`Check`) through the ``fledge_promote_checks`` hook and navigation
formats (following :class:`DocsFormat`) through ``fledge_promote_docs_formats``.
"""

from ._apply import apply_plan, recover
from ._checks import Check, CheckContext, CheckResult, FeatureReport, Verdict, run_checks
from ._config import PromoteConfig, load_config
from ._docs_formats import DocBuilderToctree, DocsFormat, MkDocsNav
from ._errors import (
    ApplyError,
    ConfigError,
    PlanError,
    PromoteError,
    RefusedError,
    UsageError,
)
from ._features import FeatureInfo, find_feature, list_features
from ._lifecycle import plan_deprecation, plan_retirement
from ._plan import Mention, Plan
from ._planner import plan_promotion
from ._repo import Repo
from ._report import render

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
