"""The built catalogue in a real browser: headless Chromium lists the features and filters them.

The screenshots go to ``$FLEDGE_SCREENSHOT_DIR`` when it is set (CI keeps them as artifacts),
else to the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chromium import Chromium, find_chromium
from docsite import Build, catalogue_build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def catalogue_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return catalogue_build(tmp_path_factory)

BINARY = find_chromium()

ROWS = """Array.from(document.querySelectorAll('#fledge-features tbody tr')).map(row => ({
  name: row.dataset.feature, stage: row.dataset.stage,
  visible: row.getClientRects().length > 0}))"""
COUNT = "document.getElementById('fledge-count').textContent"


@pytest.fixture
def browser(tmp_path: Path):
    if BINARY is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    chromium = Chromium(BINARY, tmp_path / "profile")
    yield chromium
    chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = os.environ.get("FLEDGE_SCREENSHOT_DIR")
    return Path(folder) if folder else tmp_path / "screenshots"


def _visible(rows: list[dict]) -> set[str]:
    return {row["name"] for row in rows if row["visible"]}


def test_the_catalogue_lists_and_filters_features_in_chromium(
    catalogue_site: Build, browser: Chromium, screenshots: Path
) -> None:
    index = (catalogue_site.site / "catalogue" / "index.html").as_uri()
    browser.open(index)
    rows = browser.evaluate(ROWS)
    names = {row["name"] for row in rows}
    assert {"bema_for_ref_model", "grpo_with_replay_buffer", "sample_stable", "sample_old",
            "evil"} <= names
    assert _visible(rows) == names  # "all" shows everything
    assert browser.evaluate(COUNT) == f"{len(rows)} of {len(rows)} features shown"
    # The injected markup stayed text: no alert ran, no <img> was created from metadata.
    assert browser.evaluate("document.querySelectorAll('#fledge-features img').length") == 0
    browser.screenshot(screenshots / "catalogue-all.png")

    # Choose "stable" as a user would; only stable rows remain, and the URL remembers it.
    browser.evaluate("""(() => { const select = document.getElementById('fledge-stage');
        select.value = 'stable'; select.dispatchEvent(new Event('change')); })()""")
    rows = browser.evaluate(ROWS)
    assert _visible(rows) == {row["name"] for row in rows if row["stage"] == "stable"}
    assert _visible(rows) == {"sample_stable"}
    assert browser.evaluate("location.hash") == "#stage=stable"
    assert browser.evaluate(COUNT) == f"1 of {len(rows)} features shown"
    shot = browser.screenshot(screenshots / "catalogue-stable.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 1000

    # A link to a filtered view opens filtered.
    browser.open(index + "?stage=deprecated")
    assert _visible(browser.evaluate(ROWS)) == {"sample_old"}
    assert browser.evaluate("document.getElementById('fledge-stage').value") == "deprecated"
    browser.open(index + "#stage=experimental")
    experimental = _visible(browser.evaluate(ROWS))
    assert {"bema_for_ref_model", "grpo_with_replay_buffer", "evil"} <= experimental
    assert not experimental & {"sample_stable", "sample_old"}
