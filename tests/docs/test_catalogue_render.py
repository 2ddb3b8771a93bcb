"""The catalogue's pages against golden files, the readiness reader, and the plugin's events.

Regenerate the golden files after an intended change with
``FLEDGE_UPDATE_GOLDEN=1 python -m pytest tests/docs/test_catalogue_render.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from docsite import READINESS, write_samples

import fledge
from fledge import _catalogue
from fledge.testing import PluginSite

GOLDEN = Path(__file__).parent / "golden"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("FLEDGE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with FLEDGE_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.fixture
def sample_registry(tmp_path: Path) -> fledge.Registry:
    write_samples(tmp_path / "samples")
    site = PluginSite(tmp_path / "samples")
    yield site.registry()
    site.close()


def test_index_matches_golden(sample_registry: fledge.Registry, tmp_path: Path) -> None:
    readiness_file = tmp_path / "readiness.json"
    readiness_file.write_text(json.dumps(READINESS))
    text = _catalogue.render_index(
        sample_registry.features(), sample_registry.problems(),
        _catalogue.load_readiness(readiness_file), lambda name: f"{name}/",
    )
    _check_golden("index.md", text)


@pytest.mark.parametrize("name", ["sample_stable", "sample_old", "evil"])
def test_feature_page_matches_golden(
    sample_registry: fledge.Registry, tmp_path: Path, name: str
) -> None:
    readiness_file = tmp_path / "readiness.json"
    readiness_file.write_text(json.dumps(READINESS))
    readiness = _catalogue.load_readiness(readiness_file)
    text = _catalogue.render_feature(
        sample_registry.get(name), readiness.get(name, _catalogue.UNKNOWN), index_url="../"
    )
    _check_golden(f"{name}.md", text)


def test_an_empty_registry_says_so(tmp_path: Path) -> None:
    text = _catalogue.render_index([], [], {}, lambda name: name)
    assert "No features are installed." in text
    assert "0 of 0 features shown" in text


# -- the readiness file ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([{"feature": "a", "ready": True, "results": []}], {"a": "ready"}),
        ({"feature": "a", "ready": False, "results": []}, {"a": "not ready"}),
        ({"features": [{"name": "a", "verdict": "pass"}]}, {"a": "ready"}),
        ({"a": "fail", "b": True, "c": {"status": "skip"}}, {"a": "not ready", "b": "ready",
                                                           "c": "unknown"}),
        ({"results": {"a": {"checks": [{"name": "x", "verdict": "fail"}]}}}, {"a": "not ready"}),
        ([{"feature": "a", "checks": {"x": "pass", "y": "pass"}}], {"a": "ready"}),
        ([{"feature": "a"}, {"no": "name"}, 3, {"feature": "b", "ready": None}], {}),
    ],
)
def test_readiness_reads_the_shapes_promote_may_write(
    tmp_path: Path, data: object, expected: dict[str, str]
) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    found = _catalogue.load_readiness(path)
    assert {name: r.state for name, r in found.items()} == expected


def test_readiness_counts_checks(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"feature": "a", "ready": False, "results": [
        {"check": "tests-pass", "verdict": "pass", "reason": "3 passed"},
        {"check": "coverage", "verdict": "fail", "reason": "41% < 80%", "fix": "add tests"},
        {"check": "api-stable", "verdict": "skip", "reason": "no tag"},
    ]}]))
    readiness = _catalogue.load_readiness(path)["a"]
    assert readiness.detail == "1 passed, 1 failed, 1 other"
    assert readiness.checks[1] == _catalogue.Check("coverage", "fail", "41% < 80%", "add tests")


@pytest.mark.parametrize(("content", "message"), [("{not json", "not valid JSON"),
                                                  ("42", "not a list or an object")])
def test_a_malformed_readiness_file_is_an_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        _catalogue.load_readiness(path)


# -- tables for the docs -------------------------------------------------------------------------

def test_the_manifest_table_lists_every_field() -> None:
    table = _catalogue.manifest_fields_table()
    from fledge._manifest import field_docs

    for name in field_docs():
        assert f"| `{name}` |" in table


def test_the_problem_table_lists_every_kind_with_its_meaning_and_fix() -> None:
    table = _catalogue.problem_kinds_table()
    for kind in fledge.ProblemKind:
        assert f"| `{kind.value}` |" in table
        assert _catalogue.PROBLEM_MEANINGS[kind]
    assert "{dist}" not in table


# -- the plugin's events -------------------------------------------------------------------------

def _plugin(tmp_path: Path, **options: object):
    """Our plugin as mkdocs loads it from a config, and that config (events run through it)."""
    from mkdocs.config.defaults import MkDocsConfig

    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"site_name": "t", "docs_dir": str(docs), "plugins": [{"fledge": options}]})
    errors, warnings = config.validate()
    assert not errors, errors
    return config.plugins["fledge"], config


@pytest.mark.parametrize("path", ["", "/abs", "../outside", "a/../../b"])
def test_a_bad_path_option_is_a_plugin_error(tmp_path: Path, path: str) -> None:
    from mkdocs.exceptions import PluginError

    plugin, config = _plugin(tmp_path, path=path)
    with pytest.raises(PluginError, match="option 'path' must be a folder inside the docs"):
        config.plugins.on_config(config)


def test_a_docs_file_in_the_way_is_a_plugin_error(tmp_path: Path) -> None:
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import get_files

    plugin, config = _plugin(tmp_path)
    (tmp_path / "docs" / "catalogue").mkdir()
    (tmp_path / "docs" / "catalogue" / "index.md").write_text("# mine\n")
    config.plugins.on_config(config)
    with pytest.raises(PluginError, match="'catalogue/index.md'"):
        config.plugins.on_files(get_files(config), config=config)


def test_on_files_adds_the_pages_and_logs_a_missing_readiness_file(
    tmp_path: Path, sample_registry: fledge.Registry, caplog: pytest.LogCaptureFixture
) -> None:
    from mkdocs.structure.files import get_files

    plugin, config = _plugin(tmp_path, readiness="missing.json", path="features/all")
    config.plugins.on_config(config)
    previous = fledge.set_registry(sample_registry)
    try:
        with caplog.at_level("INFO", logger="mkdocs.plugins.fledge"):
            files = config.plugins.on_files(get_files(config), config=config)
    finally:
        fledge.set_registry(previous)
    uris = sorted(f.src_uri for f in files if f.src_uri.startswith("features/all/"))
    assert uris == ["features/all/evil.md", "features/all/index.md",
                    "features/all/sample_old.md", "features/all/sample_stable.md"]
    assert "readiness file" in caplog.text and "not found" in caplog.text
    assert "import-error" in caplog.text  # the broken sample plugin, reported in the log


def test_markers_become_tables(tmp_path: Path) -> None:
    plugin, config = _plugin(tmp_path)
    out = plugin.on_page_markdown("a\n\n<!-- fledge:problem-kinds -->\n", page=None,
                                  config=config, files=None)
    assert "| `syntax-error` |" in out and "fledge:problem-kinds" not in out
