"""The public API of fledge_promote: exported once, from the package."""

import fledge_promote


def test_public_api_is_pinned():
    assert sorted(fledge_promote.__all__) == sorted([
        "ApplyError", "Check", "CheckContext", "CheckResult", "ConfigError",
        "DocBuilderToctree", "DocsFormat", "FeatureInfo", "FeatureReport", "JournalError",
        "Mention",
        "MkDocsNav", "Plan", "PlanError", "PromoteConfig", "PromoteError", "RefusedError",
        "Repo", "UsageError", "Verdict", "apply_plan", "find_feature", "list_features",
        "load_config", "plan_deprecation", "plan_promotion", "plan_retirement", "recover",
        "render", "run_checks",
    ])
    for name in fledge_promote.__all__:
        assert getattr(fledge_promote, name).__module__.startswith("fledge_promote")


def test_every_error_is_a_fledge_error():
    import fledge

    for name in ("ApplyError", "ConfigError", "JournalError", "PlanError", "RefusedError",
                 "UsageError"):
        assert issubclass(getattr(fledge_promote, name), fledge_promote.PromoteError)
    assert issubclass(fledge_promote.PromoteError, fledge.FledgeError)


def test_the_command_line_starts_without_the_planners():
    """`promote check`, `promote report` and `--recover` never import LibCST (half a second
    of every start): only the planners need it, and they are imported when a plan is made."""
    import subprocess
    import sys

    code = ("import sys, fledge_promote, fledge_promote.cli; "
            "fledge_promote.Repo, fledge_promote.run_checks; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst' "
            "or m.startswith('fledge_promote.planning._') "
            "and m != 'fledge_promote.planning._plan'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "plan_promotion" in dir(fledge_promote)
    assert fledge_promote.plan_promotion.__module__ == "fledge_promote.planning._promotion"
