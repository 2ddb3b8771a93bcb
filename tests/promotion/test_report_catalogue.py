"""The catalogue shows the report's key columns (age, last own work, owner, usage) when a
``promote report --format json`` file is configured."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import report_history as rh
from test_report import TODAY

from fledge import _catalogue
from fledge._report_evidence import NO_DATA, load_evidence
from fledge.mkdocs_plugin import CataloguePlugin
from fledge_promote import Repo, load_config
from fledge_promote.report._cli import build_report

FEATURES = """
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name=n, summary=f"the {n} feature", module="catalogue_sample",
                           exports=("x",), since="0.1.0") for n in ("alpha", "beta", "omega")]
"""


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    """The report of the scripted repository, with usage for alpha."""
    root = tmp_path / "scripted"
    rh.build(root, rh.script())
    (root / "usage.csv").write_text("feature,period,runs\nalpha,2025-04,1234\n")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'usage_file = "usage.csv"\n')
    config, _ = load_config(root)
    path = tmp_path / "promote-report.json"
    path.write_text(build_report(Repo(root), config, fmt="json", today=TODAY))
    return path


def rows(html: str) -> dict[str, list[str]]:
    """The index table's cells by feature, tags stripped."""
    import re

    out = {}
    for row in re.findall(r'<tr data-stage="[^"]*" data-feature="(\w+)">(.*?)</tr>', html):
        out[row[0]] = [re.sub(r"<[^>]+>", "", cell) for cell in
                       re.findall(r"<td>(.*?)</td>", row[1])]
    return out


def test_index_and_pages_show_the_reports_columns(fledge_site, report_file):
    fledge_site.add("fledge-catalogue-sample", {"catalogue_sample": FEATURES})
    records = fledge_site.registry().features()
    evidence = load_evidence(report_file)
    assert sorted(evidence) == ["alpha", "beta", "gamma"]
    html = _catalogue.render_index(records, [], {}, lambda name: f"{name}.html",
                                   evidence=evidence)
    assert "<th>Age</th><th>Last own work</th><th>Owner</th><th>Usage</th>" in html
    cells = rows(html)
    assert cells["alpha"][-4:] == ["90 days (since 2025-01-11)", "2025-03-12", "Cy; @core",
                                   "1,234 runs in 90 days"]
    assert cells["beta"][-4:] == ["88 days (since 2025-01-13)", "2025-03-07",
                                  "Bob; @bob-team @bob", NO_DATA]
    assert cells["omega"][-4:] == [NO_DATA] * 4  # not in the report: no data, no guess
    page = _catalogue.render_feature(records[0], _catalogue.UNKNOWN, index_url="index.html",
                                     evidence=evidence["alpha"])
    assert "<tr><th>Last own work</th><td>2025-03-12</td></tr>" in page
    assert "<tr><th>Usage</th><td>1,234 runs in 90 days</td></tr>" in page


def test_without_a_report_the_catalogue_is_unchanged(fledge_site):
    fledge_site.add("fledge-catalogue-sample", {"catalogue_sample": FEATURES})
    records = fledge_site.registry().features()
    html = _catalogue.render_index(records, [], {}, lambda name: name)
    assert "<th>Age</th>" not in html and len(rows(html)["alpha"]) == 6


def plugin_evidence(tmp_path: Path, report: str | None):
    plugin = CataloguePlugin()
    errors, _ = plugin.load_config({"report": report} if report else {})
    assert not errors
    return plugin._evidence(SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml")))


def test_plugin_reads_the_configured_report(tmp_path, report_file, caplog):
    assert plugin_evidence(tmp_path, None) is None
    with caplog.at_level("INFO", logger="mkdocs.plugins.fledge"):
        assert plugin_evidence(tmp_path, "missing.json") is None
    assert "report file" in caplog.text and "not found" in caplog.text
    assert plugin_evidence(tmp_path, str(report_file))["gamma"].age.startswith("98 days")
    (tmp_path / "bad.json").write_text(json.dumps({"ready": True}))
    with caplog.at_level("WARNING", logger="mkdocs.plugins.fledge"):
        assert plugin_evidence(tmp_path, "bad.json") == {}
    assert 'holds no "features" list' in caplog.text
