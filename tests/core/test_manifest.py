"""The manifest validates itself: every bad field names the field, the rule and the value."""

from __future__ import annotations

import dataclasses

import pytest

from fledge import Feature, ManifestError, ReservedNameError, Stage

GOOD = dict(name="good", summary="Does a thing.", module="pkg.impl", exports=("Thing",),
            since="0.1.0")


def make(**changes):
    return Feature(**{**GOOD, **changes})


def test_valid_manifest_defaults():
    feature = make()
    assert feature.stage is Stage.EXPERIMENTAL
    assert feature.import_path == "fledge.experimental.good"
    assert feature.to_dict()["exports"] == ["Thing"]


def test_manifest_is_immutable():
    feature = make(requires={"trl": ">=1.12"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        feature.summary = "changed"
    with pytest.raises(TypeError):
        feature.requires["trl"] = "<1"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"name": "not-an-identifier"}, "name", "Python identifier"),
        ({"name": "class"}, "name", "Python identifier"),
        ({"summary": ""}, "summary", "non-empty"),
        ({"summary": "two\nlines"}, "summary", "control characters"),
        ({"summary": "clear \x1b[2J"}, "summary", "escape sequences"),
        ({"summary": "rtl \u202e trick"}, "summary", "escape sequences"),
        ({"owners": ("ok", "bell\x07")}, "owners", "control characters"),
        ({"module": "not a module"}, "module", "dotted module path"),
        ({"exports": ()}, "exports", "at least one"),
        ({"exports": ("Fine", "not ok")}, "exports", "Python identifier"),
        ({"exports": "Thing"}, "exports", "list of strings"),
        ({"since": "yesterday"}, "since", "PEP 440"),
        ({"stage": "beta"}, "stage", "one of experimental, stable, deprecated"),
        ({"requires": {"trl": "at least 1"}}, "requires", "PEP 440 specifiers"),
        ({"requires": ["trl"]}, "requires", "map distribution names"),
        ({"links": {"paper": "ftp://x"}}, "links", "http(s) URLs"),
        ({"demo": "no_colon"}, "demo", "'module:function'"),
        ({"stage": "stable"}, "stable_path", "required when stage is 'stable'"),
        ({"stage": "deprecated", "stable_path": "a.b"}, "removal", "required"),
    ],
)
def test_bad_field(change, field, fragment):
    with pytest.raises(ManifestError) as info:
        make(**change)
    error = info.value
    assert error.field == field
    assert fragment in str(error)
    assert f"field {field!r}" in str(error)


def test_error_quotes_the_value_and_names_the_feature():
    with pytest.raises(ManifestError) as info:
        make(stage="beta")
    assert str(info.value) == (
        "feature 'good': field 'stage' must be one of experimental, stable, deprecated; "
        "got 'beta'"
    )
    assert info.value.feature == "good"
    assert info.value.got == "beta"


def test_error_in_plugin_names_plugin_and_distribution():
    with pytest.raises(ManifestError) as info:
        make(stage="beta")
    located = info.value.in_plugin("x", "fledge-x 0.2")
    assert str(located) == (
        "plugin 'x' (dist fledge-x 0.2) feature 'good': field 'stage' must be one of "
        "experimental, stable, deprecated; got 'beta'"
    )
    assert (located.plugin, located.distribution) == ("x", "fledge-x 0.2")


@pytest.mark.parametrize("name", ["registry", "testing", "experimental", "_private"])
def test_reserved_names(name):
    with pytest.raises(ReservedNameError):
        make(name=name)


def test_stable_manifest_import_path():
    feature = make(stage="stable", stable_path="pkg.stable.good", promoted_in="0.3",
                   removal="0.5")
    assert feature.import_path == "pkg.stable.good"


def test_manifest_error_survives_pickling():
    import pickle

    with pytest.raises(ManifestError) as info:
        make(stage="beta")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (str(copy), copy.field) == (str(info.value), "stage")
