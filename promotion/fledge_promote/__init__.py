"""promote: readiness checks, and the move of a feature into the stable namespace.

The command line is :func:`fledge_promote.cli.main` (``promote``). Plugins contribute checks
(objects following :class:`Check`) through the ``fledge_promote_checks`` hook and navigation
formats (following :class:`DocsFormat`) through ``fledge_promote_docs_formats``.
"""

from ._errors import (
    ApplyError,
    ConfigError,
    PlanError,
    PromoteError,
    RefusedError,
    UsageError,
)
from .applying._apply import apply_plan, recover
from .checks._output import render
from .checks._protocol import Check, CheckContext, CheckResult, FeatureReport, Verdict, run_checks
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
