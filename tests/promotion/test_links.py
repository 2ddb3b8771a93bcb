"""Links found with a Markdown parser: inline, reference-style, <...> destinations, titles;
rewritten to another URL or made plain text; links inside code are no links."""

from __future__ import annotations

from fledge_promote.repository._links import find_links, resolve_link, rewrite_links

PAGE = """# Index

See [ORPO](orpo_trainer#usage "the page"), the [trainer][orpo], [CPO](cpo_trainer),
[spaced](<orpo_trainer.md>) and <https://example.com/orpo_trainer>.

`[not a link](orpo_trainer)` and

```python
# [not a link](orpo_trainer)
```

[orpo]: orpo_trainer.md "ORPO trainer"
"""

PAGES = {"docs/orpo_trainer.md", "docs/cpo_trainer.md", "docs/index.md"}


def dead(href: str) -> str | None:
    target = resolve_link("docs/index.md", href, PAGES.__contains__)
    return target if target == "docs/orpo_trainer.md" else None


def test_every_kind_of_link_is_found_and_code_is_not_prose():
    links = find_links(PAGE)
    assert [(link.kind, link.href) for link in links] == [
        ("inline", "orpo_trainer#usage"), ("reference", "orpo_trainer.md"),
        ("inline", "cpo_trainer"), ("inline", "orpo_trainer.md"),
        ("autolink", "https://example.com/orpo_trainer"), ("definition", "orpo_trainer.md")]
    assert links[-1].line == 12 and links[0].line == 3


def test_doc_builder_and_mkdocs_targets_resolve():
    exists = PAGES.__contains__
    assert resolve_link("docs/index.md", "orpo_trainer#usage", exists) == "docs/orpo_trainer.md"
    assert resolve_link("docs/index.md", "./cpo_trainer.md", exists) == "docs/cpo_trainer.md"
    assert resolve_link("docs/index.md", "missing", exists) is None
    assert resolve_link("docs/index.md", "https://x.org/a", exists) is None


def test_links_to_a_removed_page_point_at_the_release():
    url = "https://hf.co/docs/trl/v1.0.0/en/orpo_trainer"
    new, edits = rewrite_links(PAGE, "docs/index.md", dead, lambda target, anchor: url + anchor)
    assert f'[ORPO]({url}#usage "the page")' in new
    assert f"[spaced](<{url}>)" in new
    assert f'[orpo]: {url} "ORPO trainer"' in new
    assert "the [trainer][orpo]" in new and "[CPO](cpo_trainer)" in new
    assert "`[not a link](orpo_trainer)`" in new and "# [not a link](orpo_trainer)" in new
    assert sorted(e.line for e in edits) == [3, 4, 12]


def test_without_a_release_links_become_their_text():
    new, edits = rewrite_links(PAGE, "docs/index.md", dead, lambda target, anchor: None)
    assert "See ORPO, the trainer, [CPO](cpo_trainer),\nspaced and <https://" in new
    assert "[orpo]:" not in new
    assert "# [not a link](orpo_trainer)" in new
    assert all(e.new == "" for e in edits) and len(edits) == 4
