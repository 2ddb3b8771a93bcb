"""The ``adoption`` check: is anybody using the feature? And the verdict words that say when a
feature is ready on hygiene alone."""

from __future__ import annotations

import datetime as dt

from ..repository._usage import load_usage
from ._protocol import CheckContext, CheckResult, FeatureReport, Verdict, failed, passed, skipped

__all__ = ["AdoptionCheck", "NO_EVIDENCE", "verdict_words"]

#: The verdict of a feature whose checks pass but that has no usage data.
NO_EVIDENCE = "ready on hygiene; no adoption evidence"


class AdoptionCheck:
    """Passes when the usage data shows ``min_usage`` runs in the last ``usage_window_days``.

    Usage comes from the ``fledge_promote_usage`` hook and from ``usage_file``. Without any
    record of the feature the check skips, and the feature's verdict says so.
    """

    name = "adoption"
    description = ("Usage data shows at least min_usage runs in the last usage_window_days "
                   "(skips without usage data).")

    def run(self, context: CheckContext) -> CheckResult:
        config, name = context.config, context.feature.name
        data = load_usage(context.repo, config, [name])
        today = dt.datetime.now(dt.timezone.utc).date()
        usage = data.for_feature(name, config.usage_window_days, today)
        problems = f" ({'; '.join(data.problems)})" if data.problems else ""
        if usage is None:
            where = (f"no row in {config.usage_file} and " if config.usage_file
                     else "no usage_file configured and ")
            return skipped(self.name, f"no usage data for {name}: {where}no "
                                      f"fledge_promote_usage hook record{problems}")
        details = usage.to_dict()
        window = f"{usage.runs:,} runs in the last {usage.window_days} days"
        if usage.runs < config.min_usage:
            return failed(self.name, f"{window}, below min_usage {config.min_usage:,} "
                                     f"(latest period {usage.latest}; from "
                                     f"{', '.join(usage.sources)})",
                          "gather adoption evidence before promoting (or consider removing "
                          "it), or lower min_usage / widen usage_window_days",
                          details=details)
        return passed(self.name, f"{window} (min_usage {config.min_usage:,}; from "
                                 f"{', '.join(usage.sources)})", details=details)


def verdict_words(report: FeatureReport) -> str:
    """``ready``, ``not ready``, or :data:`NO_EVIDENCE` when adoption skipped for lack of data."""
    if not report.ready:
        return "not ready"
    skipped_adoption = any(r.check == AdoptionCheck.name and r.verdict is Verdict.SKIP
                           for r in report.results)
    return NO_EVIDENCE if skipped_adoption else "ready"
