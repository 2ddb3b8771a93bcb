"""The public API is pinned: what ``fledge`` exports, from exactly one public place."""

from __future__ import annotations

import fledge

PUBLIC = [
    "ExperimentalWarning",
    "Feature",
    "FeatureDeprecatedWarning",
    "FeatureNotFoundError",
    "FeaturePromotedWarning",
    "FeatureRecord",
    "FeatureUnavailableError",
    "FledgeError",
    "FledgeWarning",
    "ManifestError",
    "Problem",
    "ProblemKind",
    "Registry",
    "ReservedNameError",
    "Stage",
    "Status",
    "__version__",
    "get_registry",
    "hookimpl",
    "set_registry",
    "silence_experimental",
]


def test_public_names_are_pinned():
    assert sorted(fledge.__all__) == PUBLIC


def test_every_public_name_resolves():
    for name in fledge.__all__:
        assert getattr(fledge, name) is not None


def test_errors_form_one_tree_and_keep_standard_bases():
    assert issubclass(fledge.ManifestError, fledge.FledgeError)
    assert issubclass(fledge.ManifestError, ValueError)
    assert issubclass(fledge.FeatureNotFoundError, ModuleNotFoundError)
    assert issubclass(fledge.FeatureUnavailableError, ImportError)
    assert issubclass(fledge.ExperimentalWarning, UserWarning)
    assert issubclass(fledge.FeaturePromotedWarning, FutureWarning)
    assert issubclass(fledge.FeatureDeprecatedWarning, FutureWarning)


def test_public_classes_name_their_public_home():
    assert fledge.ExperimentalWarning.__module__ == "fledge"
    assert repr(fledge.Stage.STABLE) == "<Stage.STABLE: 'stable'>"
