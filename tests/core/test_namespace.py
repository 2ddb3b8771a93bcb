"""``fledge.experimental.<name>``: every import form, errors that explain, and the notice."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import fledge
from fledge import (
    ExperimentalWarning,
    FeatureDeprecatedWarning,
    FeaturePromotedWarning,
    FeatureUnavailableError,
    silence_experimental,
)

from sample_plugins import manifest, plugin_source

IMPL = "thing = 'a thing'\nother = 42\n"


@pytest.fixture
def site(fledge_site, monkeypatch):
    for variable in ("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE"):
        monkeypatch.delenv(variable, raising=False)
    fledge_site.add("fledge-good", {
        "good": plugin_source(manifest("good", "good_impl", exports="('thing', 'other')")),
        "good_impl": IMPL,
    }, version="1.2.0")
    return fledge_site


def experimental_warnings(record):
    return [w for w in record if issubclass(w.category, fledge.FledgeWarning)]


def test_import_forms(site):
    site.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import fledge.experimental.good as good
        from fledge.experimental.good import other

        import fledge.experimental

    assert good.thing == "a thing"
    assert other == 42
    assert fledge.experimental.good.thing == "a thing"
    assert dir(good) == ["other", "thing"]
    assert "good" in dir(fledge.experimental)
    assert sorted(good.__all__) == ["other", "thing"]


def test_from_namespace_import_feature(site):
    site.install()
    with pytest.warns(ExperimentalWarning) as record:
        from fledge.experimental import good
    assert good.thing == "a thing"
    assert record[0].filename == __file__


def test_attribute_access_imports_the_feature(site):
    site.install()
    import fledge.experimental

    with pytest.warns(ExperimentalWarning):
        assert fledge.experimental.good.other == 42


def test_notice_once_per_feature_pointing_at_the_users_line(site):
    site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        # a second use must not warn again
        from fledge.experimental.good import (
            other,  # noqa: F401
            thing,  # noqa: F401
        )
    [notice] = experimental_warnings(record)
    assert notice.category is ExperimentalWarning
    assert notice.filename == __file__
    text = str(notice.message)
    for part in ("fledge.experimental.good", "experimental feature", "fledge-good 0.1.0",
                 "FLEDGE_EXPERIMENTAL_SILENCE=good", "silence_experimental"):
        assert part in text


def test_unknown_feature_lists_the_closest_names(site):
    site.install()
    with pytest.raises(ModuleNotFoundError, match="Did you mean 'good'"):
        import fledge.experimental.goood  # noqa: F401
    import fledge.experimental

    with pytest.raises(AttributeError, match="Did you mean 'good'"):
        fledge.experimental.goodd  # noqa: B018


def test_unknown_name_inside_a_feature(site):
    site.install()
    with pytest.raises(ImportError, match="cannot import name 'nothing'"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fledge.experimental.good import nothing  # noqa: F401


def test_incompatible_feature_says_which_requirement_and_how_to_fix(site):
    site.add("fledge-needy", {
        "needy": plugin_source(manifest("needy", "needy_impl", requires="{'pluggy': '>=99'}")),
        "needy_impl": IMPL,
    })
    site.install()
    with pytest.raises(ImportError) as info:
        import fledge.experimental.needy  # noqa: F401
    assert isinstance(info.value, FeatureUnavailableError)
    message = str(info.value)
    assert "incompatible" in message
    assert "requires pluggy>=99" in message
    assert "pip install 'pluggy>=99'" in message


def test_missing_export_is_an_import_error_on_first_use(site):
    site.add("fledge-short", {
        "short": plugin_source(manifest("short", "short_impl", exports="('thing', 'absent')")),
        "short_impl": IMPL,
    })
    site.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import fledge.experimental.short as short
    with pytest.raises(ImportError, match="does not define absent"):
        short.thing  # noqa: B018


def test_promoted_feature_still_reachable_with_a_future_warning(site):
    promoted = manifest(
        "grown", "grown_impl", stage="'stable'", stable_path="'grown_impl'",
        promoted_in="'0.3.0'", removal="'0.5.0'",
    )
    site.add("fledge-grown", {"grown": plugin_source(promoted), "grown_impl": IMPL})
    site.install()
    with pytest.warns(FeaturePromotedWarning) as record:
        from fledge.experimental.grown import thing
    assert thing == "a thing"
    [notice] = [w for w in record if w.category is FeaturePromotedWarning]
    assert issubclass(notice.category, FutureWarning)
    assert "import it from grown_impl instead" in str(notice.message)
    assert "removed in 0.5.0" in str(notice.message)
    assert notice.filename == __file__


def test_deprecated_feature_warns_with_removal_and_replacement(site):
    old = manifest("old", "old_impl", stage="'deprecated'", stable_path="'old_impl'",
                   removal="'1.0'", replacement="'fledge.experimental.good'")
    site.add("fledge-old", {"old": plugin_source(old), "old_impl": IMPL})
    site.install()
    with pytest.warns(FeatureDeprecatedWarning, match="removed in 1.0. Use fledge.experimental"):
        import fledge.experimental.old  # noqa: F401


def test_submodule_of_a_package_feature(site):
    site.add("fledge-pkg", {
        "pkgfeat": plugin_source(manifest("pkgfeat", "pkgfeat_impl")),
        "pkgfeat_impl": "from .core import thing\n",
        "pkgfeat_impl.core": "thing = 'deep'\n",
    })
    site.install()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fledge.experimental.pkgfeat.core import thing
    assert thing == "deep"


def test_one_feature_importing_another_does_not_warn_for_the_inner_one(site):
    site.add("fledge-outer", {
        "outer": plugin_source(manifest("outer", "outer_impl")),
        "outer_impl": "from fledge.experimental.good import thing\n",
    })
    site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        from fledge.experimental.outer import thing  # noqa: F401
    assert [str(w.message).split(" ")[0] for w in experimental_warnings(record)] == [
        "fledge.experimental.outer"
    ]


def test_host_loading_never_warns(site):
    registry = site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        registry.load("good")
        fledge.cli.main(["list", "--json"]) if hasattr(fledge, "cli") else None
    assert experimental_warnings(record) == []


# -- silencing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "silenced"),
    [
        ("FLEDGE_EXPERIMENTAL_SILENCE", "1", True),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "true", True),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "good", True),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "other, good", True),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "other", False),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "0", False),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "false", False),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "no", False),
        ("FLEDGE_EXPERIMENTAL_SILENCE", "", False),
        ("TRL_EXPERIMENTAL_SILENCE", "1", True),
        ("TRL_EXPERIMENTAL_SILENCE", "0", False),
    ],
)
def test_environment_silencing(site, monkeypatch, variable, value, silenced):
    monkeypatch.setenv(variable, value)
    site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        import fledge.experimental.good  # noqa: F401
    assert (experimental_warnings(record) == []) is silenced


def test_context_manager_silences_and_does_not_use_up_the_notice(site):
    site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with silence_experimental("good"):
            import fledge.experimental.good
        assert experimental_warnings(record) == []
        fledge.experimental.good.thing  # noqa: B018 - attribute use after the block
        del sys.modules["fledge.experimental.good"]
        import fledge.experimental.good  # noqa: F811
    assert len(experimental_warnings(record)) == 1


def test_context_manager_for_one_name_leaves_others(site):
    site.install()
    with pytest.warns(ExperimentalWarning):
        with silence_experimental("something_else"):
            import fledge.experimental.good  # noqa: F401


def test_module_filter_matches_the_users_module(site):
    site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ExperimentalWarning, module=__name__)
        import fledge.experimental.good  # noqa: F401
    assert experimental_warnings(record) == []


def run_python(site, code, *options, env=None):
    environ = {k: v for k, v in os.environ.items() if not k.endswith("EXPERIMENTAL_SILENCE")}
    environ["PYTHONPATH"] = os.pathsep.join([str(site.root), environ.get("PYTHONPATH", "")])
    environ.update(env or {})
    return subprocess.run([sys.executable, *options, "-c", code], env=environ,
                          capture_output=True, text=True, timeout=60)


def test_dash_w_error_turns_the_notice_into_an_error(site):
    done = run_python(site, "import fledge.experimental.good",
                      "-W", "error::fledge.ExperimentalWarning")
    assert done.returncode == 1
    assert "fledge.ExperimentalWarning: fledge.experimental.good is an experimental" in (
        done.stderr.replace("fledge._stability.", "fledge.")
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_dash_w_ignore_silences(site, how):
    code = "import fledge.experimental.good; print('ok')"
    if how == "option":
        done = run_python(site, code, "-W", "ignore::fledge.ExperimentalWarning")
    else:
        done = run_python(site, code, env={"PYTHONWARNINGS": "ignore::fledge.ExperimentalWarning"})
    assert (done.returncode, done.stdout.strip()) == (0, "ok")
    assert "ExperimentalWarning" not in done.stderr


def test_warning_in_a_fresh_process_points_at_the_script_line(site):
    done = run_python(site, "x = 1\nfrom fledge.experimental.good import thing\n")
    assert done.returncode == 0
    assert "<string>:2: ExperimentalWarning" in done.stderr
