"""The public API of fledge_promote: exported once, from the package."""

import fledge_promote


def test_public_api_is_pinned():
    assert sorted(fledge_promote.__all__) == sorted([
        "ApplyError", "Check", "CheckContext", "CheckResult", "ConfigError",
        "DocBuilderToctree", "DocsFormat", "FeatureInfo", "FeatureReport", "Mention",
        "MkDocsNav", "Plan", "PlanError", "PromoteConfig", "PromoteError", "RefusedError",
        "Repo", "UsageError", "Verdict", "apply_plan", "find_feature", "list_features",
        "load_config", "plan_deprecation", "plan_promotion", "plan_retirement", "recover",
        "render", "run_checks",
    ])
    for name in fledge_promote.__all__:
        assert getattr(fledge_promote, name).__module__.startswith("fledge_promote")


def test_every_error_is_a_fledge_error():
    import fledge

    for name in ("ApplyError", "ConfigError", "PlanError", "RefusedError", "UsageError"):
        assert issubclass(getattr(fledge_promote, name), fledge_promote.PromoteError)
    assert issubclass(fledge_promote.PromoteError, fledge.FledgeError)
