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
    "Host",
    "HostError",
    "HostNotFoundError",
    "ManifestError",
    "Problem",
    "ProblemKind",
    "Registry",
    "ReservedNameError",
    "Stage",
    "Status",
    "__version__",
    "find_host",
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
    assert issubclass(fledge.HostError, fledge.FledgeError)
    assert issubclass(fledge.HostError, ValueError)
    assert issubclass(fledge.HostNotFoundError, fledge.FledgeError)
    assert issubclass(fledge.HostNotFoundError, LookupError)


def test_public_classes_name_their_public_home():
    assert fledge.ExperimentalWarning.__module__ == "fledge"
    assert repr(fledge.Stage.STABLE) == "<Stage.STABLE: 'stable'>"
    for name in ("Host", "HostError", "HostNotFoundError", "Feature", "FledgeError"):
        assert getattr(fledge, name).__module__ == "fledge", name


def test_the_testing_kit_names_are_pinned():
    import fledge.testing

    assert sorted(fledge.testing.__all__) == [
        "CONFIGS", "DATASET_ID", "MODEL_ID", "PluginSite", "isolated_registry",
        "make_dataset", "prepare_examples", "tiny_model", "tiny_tokenizer", "write_hub",
    ]


def test_fledge_builds_its_own_host_the_public_way():
    import ast
    import inspect

    import fledge.experimental

    assert isinstance(fledge.experimental.host, fledge.Host)
    tree = ast.parse(inspect.getsource(fledge.experimental))
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert [(node.module, node.level) for node in imports] == [
        ("__future__", 0), ("fledge", 0)]  # nothing private, nothing a library could not use
