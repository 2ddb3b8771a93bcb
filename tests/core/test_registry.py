"""The registry finds plugins through entry points and turns every failure into a Problem.

Each test writes sample distributions (``*.dist-info`` folders) with the ``fledge_site``
fixture, so the real entry point machinery runs; no monkeypatching of entry points.
"""

from __future__ import annotations

import pytest

import fledge
from fledge import FeatureUnavailableError, ProblemKind, Status

from sample_plugins import manifest, plugin_source

IMPL = "thing = 'a thing'\n"


def add_good(site, name="good", dist="fledge-good"):
    site.add(dist, {name: plugin_source(manifest(name, f"{name}_impl")), f"{name}_impl": IMPL})


def only_problem(registry, kind):
    problems = [p for p in registry.problems() if p.kind is kind]
    assert len(problems) == 1, registry.problems()
    return problems[0]


def test_good_plugin_registers_its_feature(fledge_site):
    add_good(fledge_site)
    registry = fledge_site.registry()
    [record] = registry.features()
    assert (record.name, record.plugin, record.distribution, record.version) == (
        "good", "good", "fledge-good", "0.1.0"
    )
    assert record.status is Status.OK
    assert registry.problems() == []


def test_plugin_import_error_is_recorded_and_others_load(fledge_site):
    fledge_site.add("fledge-bad", {"bad": "import no_such_module_anywhere\n"})
    add_good(fledge_site)
    registry = fledge_site.registry()
    assert registry.names() == ["good"]
    problem = only_problem(registry, ProblemKind.IMPORT_ERROR)
    assert problem.plugin == "bad"
    assert problem.distribution == "fledge-bad"
    assert "no_such_module_anywhere" in problem.reason
    assert "fledge-bad" in problem.fix


def test_plugin_syntax_error_names_file_and_line(fledge_site):
    fledge_site.add("fledge-bad", {"bad": "x = 1\ndef broken(:\n"})
    problem = only_problem(fledge_site.registry(), ProblemKind.SYNTAX_ERROR)
    assert "bad.py:2" in problem.reason


def test_entry_point_naming_a_missing_attribute(fledge_site):
    fledge_site.add("fledge-bad", {"bad": "x = 1\n"}, entry_points={"bad": "bad:missing"})
    problem = only_problem(fledge_site.registry(), ProblemKind.BAD_ENTRY_POINT)
    assert "'bad:missing'" in problem.reason


def test_raising_hook_is_recorded(fledge_site):
    source = (
        "import fledge\n@fledge.hookimpl\ndef fledge_features():\n"
        "    raise RuntimeError('boom')\n"
    )
    fledge_site.add("fledge-bad", {"bad": source})
    add_good(fledge_site)
    registry = fledge_site.registry()
    assert registry.names() == ["good"]
    problem = only_problem(registry, ProblemKind.HOOK_ERROR)
    assert "RuntimeError: boom" in problem.reason


def test_hookimpl_with_unknown_argument_is_invalid(fledge_site):
    source = "import fledge\n@fledge.hookimpl\ndef fledge_features(nonsense):\n    return []\n"
    fledge_site.add("fledge-bad", {"bad": source})
    problem = only_problem(fledge_site.registry(), ProblemKind.INVALID_HOOKIMPL)
    assert "nonsense" in problem.reason


def test_returning_something_that_is_not_a_feature(fledge_site):
    source = (
        "import fledge\n@fledge.hookimpl\ndef fledge_features():\n"
        "    return [{'name': 'dict_not_feature'}]\n"
    )
    fledge_site.add("fledge-bad", {"bad": source})
    problem = only_problem(fledge_site.registry(), ProblemKind.NOT_A_FEATURE)
    assert "dict_not_feature" in problem.reason


def test_returning_nothing(fledge_site):
    source = "import fledge\n@fledge.hookimpl\ndef fledge_features():\n    return []\n"
    fledge_site.add("fledge-empty", {"empty": source})
    only_problem(fledge_site.registry(), ProblemKind.NO_FEATURES)


def test_invalid_manifest_names_plugin_dist_field_expected_and_got(fledge_site):
    bad = manifest("bad", "bad_impl", stage="'beta'")
    fledge_site.add("fledge-bad", {"bad": plugin_source(bad)}, version="0.2")
    problem = only_problem(fledge_site.registry(), ProblemKind.INVALID_MANIFEST)
    assert problem.reason == (
        "plugin 'bad' (dist fledge-bad 0.2) feature 'bad': field 'stage' must be one of "
        "experimental, stable, deprecated; got 'beta'"
    )


def test_escape_sequence_in_summary_is_rejected(fledge_site):
    source = plugin_source(manifest("bad", "bad_impl").replace(
        "summary='The bad feature.'", "summary='\\x1b[2J cleared'"))
    fledge_site.add("fledge-bad", {"bad": source})
    registry = fledge_site.registry()
    problem = only_problem(registry, ProblemKind.INVALID_MANIFEST)
    assert "control characters or escape sequences" in problem.reason
    assert registry.names() == []


def test_name_shadowing_a_host_module(fledge_site):
    fledge_site.add("fledge-bad", {"bad": plugin_source(manifest("registry", "bad_impl"))})
    problem = only_problem(fledge_site.registry(), ProblemKind.RESERVED_NAME)
    assert "'registry'" in problem.reason


def test_two_plugins_claiming_one_name(fledge_site):
    add_good(fledge_site, name="good", dist="fledge-a")
    fledge_site.add("fledge-b", {"other": plugin_source(manifest("good", "other_impl"))})
    registry = fledge_site.registry()
    assert registry.get("good").distribution == "fledge-a"
    problem = only_problem(registry, ProblemKind.DUPLICATE_NAME)
    assert problem.distribution == "fledge-b"
    assert "already provided by plugin 'good' (dist fledge-a 0.1.0)" in problem.reason


def test_requirement_not_installed(fledge_site):
    source = plugin_source(manifest("needy", "needy_impl", requires="{'no-such-dist': '>=1'}"))
    fledge_site.add("fledge-needy", {"needy": source, "needy_impl": IMPL})
    registry = fledge_site.registry()
    record = registry.get("needy")
    assert record.status is Status.INCOMPATIBLE
    assert record.problem.kind is ProblemKind.MISSING_REQUIREMENT
    assert record.problem.fix == "pip install 'no-such-dist>=1'"


def test_requirement_at_the_wrong_version(fledge_site):
    source = plugin_source(manifest("needy", "needy_impl", requires="{'pluggy': '<0.1'}"))
    fledge_site.add("fledge-needy", {"needy": source, "needy_impl": IMPL})
    record = fledge_site.registry().get("needy")
    assert record.status is Status.INCOMPATIBLE
    assert record.problem.kind is ProblemKind.UNMET_REQUIREMENT
    assert "but pluggy" in record.problem.reason


def test_satisfied_requirement(fledge_site):
    source = plugin_source(manifest("needy", "needy_impl", requires="{'pluggy': '>=1'}"))
    fledge_site.add("fledge-needy", {"needy": source, "needy_impl": IMPL})
    assert fledge_site.registry().get("needy").status is Status.OK


def test_missing_export_found_on_first_use(fledge_site):
    source = plugin_source(manifest("short", "short_impl", exports="('thing', 'absent')"))
    fledge_site.add("fledge-short", {"short": source, "short_impl": IMPL})
    registry = fledge_site.registry()
    assert registry.get("short").status is Status.OK  # not known before first use
    with pytest.raises(FeatureUnavailableError, match="does not define absent"):
        registry.load("short")
    assert registry.get("short").status is Status.BROKEN
    only_problem(registry, ProblemKind.MISSING_EXPORT)


def test_implementation_failing_to_import_on_first_use(fledge_site):
    source = plugin_source(manifest("frail", "frail_impl"))
    fledge_site.add("fledge-frail", {"frail": source, "frail_impl": "raise OSError('disk')\n"})
    registry = fledge_site.registry()
    with pytest.raises(FeatureUnavailableError, match="OSError: disk") as info:
        registry.load("frail")
    assert info.value.problem.kind is ProblemKind.IMPLEMENTATION_ERROR
    assert registry.get("frail").status is Status.BROKEN


def test_plugin_modules_are_imported_but_implementations_are_not(fledge_site):
    source = plugin_source(manifest("lazy", "lazy_impl"))
    fledge_site.add("fledge-lazy", {"lazy": source, "lazy_impl": "raise SystemExit('imported')\n"})
    import sys

    fledge_site.registry().features()
    assert "lazy" in sys.modules
    assert "lazy_impl" not in sys.modules


def test_fledge_feature_loaded(fledge_site):
    source = plugin_source(manifest("seen", "seen_impl"), extra="""
        LOADED = []

        @fledge.hookimpl
        def fledge_feature_loaded(feature, module):
            LOADED.append((feature.name, module.__name__))
        """)
    fledge_site.add("fledge-seen", {"seen": source, "seen_impl": IMPL})
    registry = fledge_site.registry()
    registry.load("seen")
    registry.load("seen")  # the second load is cached: the hook runs once
    import seen

    assert seen.LOADED == [("seen", "seen_impl")]


def test_raising_feature_loaded_hook_does_not_stop_loading(fledge_site):
    source = "import fledge\n@fledge.hookimpl\ndef fledge_feature_loaded(feature, module):\n" \
             "    raise ValueError('listener broke')\n"
    fledge_site.add("fledge-listener", {"listener": source})
    add_good(fledge_site)
    registry = fledge_site.registry()
    assert registry.load("good").thing == "a thing"
    problem = only_problem(registry, ProblemKind.HOOK_ERROR)
    assert problem.plugin == "listener"
    assert "listener broke" in problem.reason


def test_get_unknown_name_suggests_close_names(fledge_site):
    add_good(fledge_site, name="length_reward", dist="fledge-lr")
    with pytest.raises(fledge.FeatureNotFoundError, match="Did you mean 'length_reward'"):
        fledge_site.registry().get("length_rewards")


# -- switches -------------------------------------------------------------------------------


def two_plugins(site):
    add_good(site, name="alpha", dist="fledge-alpha")
    add_good(site, name="beta", dist="fledge-beta")


def test_block_list_by_plugin_or_distribution_name(fledge_site):
    two_plugins(fledge_site)
    registry = fledge_site.registry({"FLEDGE_PLUGINS_BLOCK": "fledge-alpha"})
    assert registry.names() == ["beta"]
    problem = only_problem(registry, ProblemKind.BLOCKED)
    assert not problem.is_error
    assert "FLEDGE_PLUGINS_BLOCK names it" in problem.reason


def test_block_list_by_feature_name_keeps_the_record_blocked(fledge_site):
    source = plugin_source(manifest("one", "pair_impl"), manifest("two", "pair_impl"))
    fledge_site.add("fledge-pair", {"pair": source, "pair_impl": IMPL})
    registry = fledge_site.registry({"FLEDGE_PLUGINS_BLOCK": "two"})
    assert registry.get("one").status is Status.OK
    assert registry.get("two").status is Status.BLOCKED
    with pytest.raises(FeatureUnavailableError, match="blocked"):
        registry.load("two")


def test_allow_list_loads_only_named_plugins(fledge_site):
    two_plugins(fledge_site)
    registry = fledge_site.registry({"FLEDGE_PLUGINS_ALLOW": "beta"})
    assert registry.names() == ["beta"]
    assert "FLEDGE_PLUGINS_ALLOW is set" in only_problem(registry, ProblemKind.BLOCKED).reason


def test_autoload_off_skips_third_party_plugins(fledge_site):
    two_plugins(fledge_site)
    registry = fledge_site.registry({"FLEDGE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert registry.names() == []
    assert len([p for p in registry.problems() if p.kind is ProblemKind.BLOCKED]) == 2


def test_autoload_off_with_allow_list_loads_the_allowed(fledge_site):
    two_plugins(fledge_site)
    registry = fledge_site.registry(
        {"FLEDGE_DISABLE_PLUGIN_AUTOLOAD": "true", "FLEDGE_PLUGINS_ALLOW": "alpha"}
    )
    assert registry.names() == ["alpha"]


def test_autoload_off_keeps_the_built_in_features():
    registry = fledge.Registry(environ={"FLEDGE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    builtin = {r.name for r in registry.features() if r.distribution == "fledge"}
    assert {"bema_for_ref_model", "grpo_with_replay_buffer"} <= builtin


def test_built_in_features_load_through_entry_points_like_third_party_ones():
    registry = fledge.Registry(environ={})
    record = registry.get("bema_for_ref_model")
    assert (record.plugin, record.distribution) == ("bema_for_ref_model", "fledge")
    assert record.feature.module == "fledge_plugins.bema_for_ref_model.api"


def test_every_problem_kind_has_a_test_and_a_fix():
    from pathlib import Path

    from fledge._records import FIXES

    source = Path(__file__).read_text()
    for kind in ProblemKind:
        assert f"ProblemKind.{kind.name}" in source.replace(
            "def test_every_problem_kind", ""), f"no test triggers {kind}"
        assert kind in FIXES
