"""The real site builds with --strict, and its generated catalogue says the right things."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from docsite import EVIL_OWNER, EVIL_SUMMARY, REPO, Build, catalogue_build
from htmltools import Page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def catalogue_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return catalogue_build(tmp_path_factory)


def test_the_site_builds_strict_as_ci_builds_it(tmp_path: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    index = Page((tmp_path / "site" / "catalogue" / "index.html").read_text())
    names = {row["attrs"]["data-feature"] for row in index.rows}
    assert {"bema_for_ref_model", "grpo_with_replay_buffer"} <= names
    for page in ("index.html", "using-experimental/index.html", "writing-plugins/index.html",
                 "hooks/index.html", "stability/index.html", "promote/index.html",
                 "doctor/index.html", "reference/index.html", "features/stable/index.html",
                 "features/bema_for_ref_model/index.html",
                 "features/grpo_with_replay_buffer/index.html"):
        assert (tmp_path / "site" / page).is_file(), page


def test_the_index_has_a_row_per_installed_feature(catalogue_site: Build) -> None:
    page = Page(catalogue_site.page("catalogue/index.html"))
    rows = {row["attrs"]["data-feature"]: row for row in page.rows}
    assert set(rows) >= {"bema_for_ref_model", "grpo_with_replay_buffer", "sample_stable",
                         "sample_old", "evil"}
    stable = rows["sample_stable"]
    assert stable["attrs"]["data-stage"] == "stable"
    feature, stage, since, owners, dist, readiness = stable["cells"]
    assert feature.startswith("sample_stable") and "A promoted sample feature." in feature
    assert (stage, since, owners, dist, readiness) == (
        "stable", "0.3.0", "Ada, Grace", "fledge-sample 1.2.0", "ready")
    assert rows["sample_old"]["cells"][1] == "deprecated"
    assert rows["sample_old"]["cells"][5] == "not ready"
    assert rows["bema_for_ref_model"]["cells"][1] == "experimental"
    assert rows["bema_for_ref_model"]["cells"][4] == "fledge 0.1.0"
    assert rows["bema_for_ref_model"]["cells"][5] == "unknown"  # not in the readiness file
    assert f"{len(page.rows)} of {len(page.rows)} features shown" in page.all_text


def test_the_index_lists_plugins_that_did_not_load(catalogue_site: Build) -> None:
    html = catalogue_site.page("catalogue/index.html")
    text = Page(html).all_text
    assert "Plugins that did not load" in text
    assert "import-error" in text and "fledge-broken" in text
    assert "<b>broken on purpose</b>" in text  # the exception's text, shown as text
    assert "<b>broken on purpose</b>" not in html


def test_a_feature_page_shows_metadata_requirements_links_and_readiness(
    catalogue_site: Build,
) -> None:
    html = catalogue_site.page("catalogue/sample_stable/index.html")
    text = Page(html).all_text
    for expected in (
        "Import path fledge_sample.stable",
        "Exports Stable",
        "Since 0.3.0",
        "Owners Ada, Grace",
        "Distribution fledge-sample 1.2.0 (entry point sample)",
        "Requires fledge>=0.1",
        "Stable path fledge_sample.stable",
        "Promoted in 1.0.0",
        "Status ok",
        "from fledge_sample.stable import Stable",
        "ready 1 passed, 0 failed, 0 other",
        "tests-pass pass 3 passed",
    ):
        assert expected in text, expected
    assert 'href="https://example.org/paper"' in html
    old = Page(catalogue_site.page("catalogue/sample_old/index.html")).all_text
    assert "Removal 2.0.0" in old and "Replacement sample_stable" in old
    assert "docs-page fail no page write docs/sample_old.md" in old


def test_a_builtin_feature_page_links_its_docs_page(catalogue_site: Build) -> None:
    page = Page(catalogue_site.page("catalogue/bema_for_ref_model/index.html"))
    links = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
    assert "../../features/bema_for_ref_model/" in links
    assert "from fledge.experimental.bema_for_ref_model import BEMACallback, DPOTrainer" in (
        page.all_text)
    assert "unknown" in page.all_text  # no readiness recorded for it


def test_plugin_metadata_is_shown_as_text_never_as_markup(catalogue_site: Build) -> None:
    for url in ("catalogue/index.html", "catalogue/evil/index.html"):
        html = catalogue_site.page(url)
        page = Page(html)
        assert EVIL_SUMMARY in page.all_text, url
        assert EVIL_OWNER in page.all_text, url
        assert "&lt;script&gt;alert(&quot;summary&quot;)&lt;/script&gt;" in html
        # No element carries an event handler, and no script holds the plugin's code.
        handlers = [(tag, name) for tag, attrs in page.tags for name in attrs
                    if name.startswith("on")]
        assert handlers == [], (url, handlers)
        assert not [s for s in page.scripts if "alert(" in s], url
        assert not [attrs for tag, attrs in page.tags if tag == "img"
                    and attrs.get("src") == "x"], url
    evil = Page(catalogue_site.page("catalogue/evil/index.html"))
    hrefs = [attrs["href"] for tag, attrs in evil.tags if tag == "a" and attrs.get("href")]
    assert "https://example.org/?q=<script>x</script>" in hrefs  # an escaped attribute value
