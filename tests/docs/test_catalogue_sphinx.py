"""The catalogue in a real Sphinx site: the ``fledge-catalogue`` directive from rST and MyST.

A Sphinx project is written in a temporary folder (an rST page and a MyST page holding the
directive, a guide page a feature's manifest points to), built with ``python -m sphinx -W``
in a subprocess whose ``PYTHONPATH`` holds the sample plugins of the mkdocs catalogue's
tests (tests/docs/docsite.py: a stable and a deprecated feature, one whose metadata tries to
inject HTML, one that fails to import), and the HTML is read, then opened in headless
Chromium.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from chromium import Chromium, find_chromium
from docsite import EVIL_OWNER, EVIL_SUMMARY, READINESS, write_samples
from htmltools import Page

from fledge.testing import PluginSite

pytest.importorskip("sphinx", reason="the sphinx extra is not installed")
pytest.importorskip("myst_parser", reason="the sphinx extra is not installed")

GUIDED_PLUGIN = '''
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(
        name="guided", summary="A feature with its own page in this project.",
        module="fledge_guided.impl", exports=("Guide",), since="0.4.0",
        owners=("Lin",), docs="docs/guide.rst",
    )]
'''

CONF = """\
project = "catalogue-demo"
extensions = ["myst_parser", "fledge.sphinx_ext"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
fledge_catalogue_root = ".."
exclude_patterns = ["_build"]
"""

INDEX = """\
Demo
====

.. toctree::

   catalogue
   experimental
   guide
"""

CATALOGUE_RST = """\
Catalogue
=========

.. fledge-catalogue::
   :installed:
   :readiness: ../promote-check.json
"""

EXPERIMENTAL_MD = """\
# Experimental features

```{fledge-catalogue}
:installed:
:stage: experimental
```
"""

GUIDE = "The guide\n=========\n\nHow to use the guided feature.\n"


@pytest.fixture(scope="module")
def sphinx_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("sphinx-project")
    samples = write_samples(project / "samples")
    site = PluginSite(samples)
    site.add("fledge-guided", {"fledge_guided": GUIDED_PLUGIN, "fledge_guided.impl":
                               "Guide = object\n"}, version="0.4.0")
    site.close()
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (project / "promote-check.json").write_text(json.dumps(READINESS))
    docs = project / "docs"
    docs.mkdir()
    for name, text in {"conf.py": CONF, "index.rst": INDEX, "catalogue.rst": CATALOGUE_RST,
                       "experimental.md": EXPERIMENTAL_MD, "guide.rst": GUIDE}.items():
        (docs / name).write_text(textwrap.dedent(text))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEDGE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(samples), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(docs),
         str(project / "html")], cwd=project, env=env, capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, f"sphinx-build -W failed:\n{done.stdout}\n{done.stderr}"
    return project / "html"


def _page(site: Path, name: str) -> Page:
    return Page((site / name).read_text(encoding="utf-8"))


def _features(page: Page) -> list[str]:
    return [attrs["id"].removeprefix("fledge-feature-") for tag, attrs in page.tags
            if tag == "div" and "fledge-feature" in (attrs.get("class") or "").split()]


def test_the_rst_directive_lists_every_feature_with_its_facts(sphinx_site: Path) -> None:
    page = _page(sphinx_site, "catalogue.html")
    names = _features(page)
    assert {"bema-for-ref-model", "grpo-with-replay-buffer", "sample-stable", "sample-old",
            "evil", "guided"} <= set(names)
    assert names == sorted(names)
    text = page.all_text
    for fact in ("A promoted sample feature.", "from fledge_sample.stable import Stable",
                 "Ada, Grace", "0.3.0", "deprecated",
                 "from fledge.experimental.guided import Guide"):
        assert fact in text, fact
    # the readiness report's verdicts, and "unknown" for features it does not mention
    assert "ready (1 passed, 0 failed, 0 other)" in text
    assert "not ready (1 passed, 1 failed, 0 other)" in text
    assert "unknown" in text
    # the plugin that failed to import is not a feature
    assert "fledge-broken" not in names and "broken" not in names


def test_a_manifests_docs_page_in_the_project_becomes_a_cross_reference(
        sphinx_site: Path) -> None:
    page = _page(sphinx_site, "catalogue.html")
    links = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
    assert "guide.html" in links
    assert "#fledge-feature-guided" in links  # the table's name links to the feature's block
    assert "The guide" in page.all_text  # the page's title is the link text


def test_metadata_cannot_inject_markup(sphinx_site: Path) -> None:
    html = (sphinx_site / "catalogue.html").read_text(encoding="utf-8")
    page = Page(html)
    assert not [attrs for tag, attrs in page.tags if tag == "img"]
    assert not any("alert" in script for script in page.scripts)
    # shown as text (Sphinx curls the quotes)
    for evil in (EVIL_SUMMARY, EVIL_OWNER):
        assert evil.replace('"', "") in page.all_text.replace("\u201c", "").replace(
            "\u201d", "")


def test_the_myst_directive_takes_the_same_options(sphinx_site: Path) -> None:
    names = _features(_page(sphinx_site, "experimental.html"))
    assert {"bema-for-ref-model", "grpo-with-replay-buffer", "evil", "guided"} <= set(names)
    assert not {"sample-stable", "sample-old"} & set(names)  # :stage: experimental
    assert "Readiness" not in _page(sphinx_site, "experimental.html").all_text  # no report


BINARY = find_chromium()


@pytest.mark.slow
def test_the_sphinx_catalogue_in_chromium(sphinx_site: Path, tmp_path: Path) -> None:
    if BINARY is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    browser = Chromium(BINARY, tmp_path / "profile")
    try:
        browser.open((sphinx_site / "catalogue.html").as_uri())
        rows = browser.evaluate("""Array.from(document.querySelectorAll(
            'table.fledge-features tbody tr')).map(row => ({
              name: row.querySelector('code').textContent,
              visible: row.getClientRects().length > 0}))""")
        assert {"sample_stable", "sample_old", "evil", "guided"} <= {r["name"] for r in rows}
        assert all(r["visible"] for r in rows)
        assert browser.evaluate("document.querySelectorAll('img').length") == 0
        # Following a feature's name lands on its block, as a reader would click it.
        browser.evaluate("""document.querySelector("a[href='#fledge-feature-guided']").click()""")
        assert browser.evaluate("location.hash") == "#fledge-feature-guided"
        assert browser.evaluate("""(() => { const box = document.getElementById(
            'fledge-feature-guided').getBoundingClientRect();
            return box.top >= 0 && box.top < window.innerHeight; })()""")
        shot = browser.screenshot(Path(os.environ.get("FLEDGE_SCREENSHOT_DIR") or tmp_path)
                                  / "catalogue-sphinx.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        browser.open((sphinx_site / "experimental.html").as_uri())
        shown = browser.evaluate("Array.from(document.querySelectorAll("
                                 "'table.fledge-features code')).map(c => c.textContent)")
        assert "guided" in shown and "sample_stable" not in shown
    finally:
        browser.close()


def test_an_unknown_host_fails_the_build_naming_the_option(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "conf.py").write_text('extensions = ["fledge.sphinx_ext"]\n')
    (docs / "index.rst").write_text("Home\n====\n\n.. fledge-catalogue::\n   :host: nope\n")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(docs),
                           str(tmp_path / "html")], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "fledge-catalogue: option 'host':" in done.stderr and "nope" in done.stderr
