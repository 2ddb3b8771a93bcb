"""The doc-builder writer on sample plugins, and ``fledge catalogue``'s answers to bad input.

The sample plugins are the mkdocs catalogue's (tests/docs/docsite.py), one of whose manifests
tries to inject HTML. tests/core/test_catalogue_docbuilder.py runs the command on TRL's tree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docsite import EVIL_OWNER, EVIL_SUMMARY, READINESS, write_samples
from markdown_it import MarkdownIt

from fledge import _catalogue_docbuilder as docbuilder
from fledge._catalogue_model import Catalogue, entry_of
from fledge._readiness import UNKNOWN, load_readiness
from fledge.cli import main
from fledge.testing import PluginSite

TOCTREE = """\
- sections:
  - local: guide/overview
    title: Overview
  - local: sample_stable
    title: Sample <b>stable</b>
  - local: sample_old_trainer
    title: Old
  title: Experimental
"""
MARKERS = "# Overview\n\n<!-- fledge:catalogue:begin -->\n<!-- fledge:catalogue:end -->\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    source = tmp_path / "docs" / "source"
    (source / "guide").mkdir(parents=True)
    (source / "_toctree.yml").write_text(TOCTREE)
    (source / "guide" / "overview.md").write_text(MARKERS)
    return source


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    write_samples(tmp_path / "samples")
    site = PluginSite(tmp_path / "samples")
    registry = site.registry()
    readiness = tmp_path / "readiness.json"
    readiness.write_text(json.dumps(READINESS))
    verdicts = load_readiness(readiness)
    entries = tuple(entry_of(r, verdicts.get(r.name, UNKNOWN))
                    for r in sorted(registry.features(), key=lambda r: r.name)
                    if r.name.startswith(("sample", "evil")))
    yield Catalogue("fledge", "fledge.experimental", entries, (), True)
    site.close()


def _section(catalogue: Catalogue, docs: Path) -> str:
    where = docbuilder.Section(page=docs / "guide" / "overview.md", docs_dir=docs,
                               toctree=docbuilder.read_toctree(docs / "_toctree.yml"),
                               root=docs.parents[1])
    return docbuilder.render_section(catalogue, where)


def test_metadata_stays_text_in_doc_builder_markdown(catalogue: Catalogue, docs: Path) -> None:
    tokens = MarkdownIt("commonmark").enable("table").parse(_section(catalogue, docs))
    html = [t.content.strip() for t in tokens if t.type == "html_block"]
    inline_html = [c.content for t in tokens if t.type == "inline" for c in t.children or ()
                   if c.type == "html_inline"]
    assert html[1:] == ["<Tip warning={true}>", "</Tip>"] and inline_html == []
    text = " ".join(c.content for t in tokens if t.type == "inline" for c in t.children or ()
                    if c.type == "text")
    assert EVIL_SUMMARY in text and EVIL_OWNER in text  # shown as written, never as markup
    assert "{" not in _section(catalogue, docs).split("</Tip>", 1)[1]  # no Svelte code


def test_pages_links_and_readiness(catalogue: Catalogue, docs: Path) -> None:
    section = _section(catalogue, docs)
    # relative to the page's own folder, without suffix; the toctree title escaped
    assert "[Sample &lt;b&gt;stable&lt;/b&gt;](../sample_stable)" in section
    assert "[Old](../sample_old_trainer)" in section
    assert "| [`sample_stable`](#sample_stable) | stable | 0.3.0 | A promoted sample feature. " \
           "| ready (1 passed, 0 failed, 0 other) |" in section
    assert "not ready (1 passed, 1 failed, 0 other)" in section
    assert "```python\nfrom fledge_sample.stable import Stable\n```" in section


def test_link_urls_are_percent_encoded() -> None:
    assert docbuilder.quote("https://x.org/a b(c)", safe=docbuilder._URL_SAFE) == (
        "https://x.org/a%20b%28c%29")


@pytest.mark.parametrize(("value", "expected"), [
    ("1. first", "1\\. first"), ("# title", "\\# title"), ("- item", "\\- item"),
    ("snake_case and _emphasis_", "snake_case and \\_emphasis\\_"),
    ("a | b", "a \\| b"), ("$x$", "\\$x\\$"),
])
def test_paragraph_escapes(value: str, expected: str) -> None:
    assert docbuilder.paragraph(value) == expected


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["catalogue", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_writes_then_checks(docs: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(docs.parents[1])
    page = "docs/source/guide/overview.md"
    code, out, _ = _cli(page, capsys=capsys)
    assert code == 0 and "catalogue written" in out
    code, out, _ = _cli(page, "--check", "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["problems"] == [] and data["checked"] is True
    assert data["page"] == page and data["features"] >= 2
    # A hand edit inside the section is caught.
    path = docs / "guide" / "overview.md"
    path.write_text(path.read_text().replace("### bema_for_ref_model", "### bema"))
    code, out, _ = _cli(page, "--check", capsys=capsys)
    assert code == 1 and "missing: bema_for_ref_model" in out


@pytest.mark.parametrize(("setup", "args", "message"), [
    (None, ["docs/source/nowhere.md"], "does not exist; create it with the lines"),
    ("no-markers", ["docs/source/guide/overview.md"], "found 0 and 0"),
    (None, ["docs/source/guide/overview.md", "--page-pattern", "{nme}"],
     "must hold {name} and no other placeholder"),
    (None, ["docs/source/guide/overview.md", "--readiness", "missing.json"],
     "readiness file 'missing.json' cannot be read"),
    ("bad-toctree", ["docs/source/guide/overview.md"], "must be a YAML list of sections"),
    ("no-toctree", ["docs/source/guide/overview.md"], "no _toctree.yml in any folder"),
    ("outside", ["docs/source/guide/link.md"], "outside"),
])
def test_bad_input_is_an_error_that_says_what_to_do(docs: Path, capsys, monkeypatch, setup,
                                                     args, message) -> None:
    monkeypatch.chdir(docs.parents[1])
    if setup == "no-markers":
        (docs / "guide" / "overview.md").write_text("# Overview\n")
    elif setup == "bad-toctree":
        (docs / "_toctree.yml").write_text("sections: {}\n")
    elif setup == "no-toctree":
        (docs / "_toctree.yml").unlink()
    elif setup == "outside":  # a page from a pull request, linked to a file outside
        outside = docs.parents[2] / f"{docs.parents[1].name}-outside.md"
        outside.write_text(MARKERS)
        (docs / "guide" / "link.md").symlink_to(outside)
    code, out, err = _cli(*args, capsys=capsys)
    assert code == 2 and out == ""
    assert err.startswith("fledge catalogue: ") and message in err
