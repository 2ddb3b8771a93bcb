"""Navigation moves in mkdocs and doc-builder formats, and the experimental notice."""

from __future__ import annotations

import textwrap

import pytest

from fledge_promote import DocBuilderToctree, MkDocsNav, PlanError
from fledge_promote.repository._docs_formats import remove_notice
from fledge_promote.repository._nav_yaml import load_yaml

MKDOCS = textwrap.dedent("""\
    site_name: x
    markdown_extensions:
      - pymdownx.emoji:
          emoji_index: !!python/name:material.extensions.emoji.twemoji
    nav:
      - Home: index.md
      - Experimental features:
          - BEMA: features/bema.md
          - features/grpo.md
      - Stable features:
          - About: features/stable.md
      - Reference: reference.md
    """)


def test_mkdocs_entry_moves_to_the_stable_section():
    nav = MkDocsNav()
    assert nav.sections(MKDOCS, "features/bema.md") == ["Experimental features"]
    moved = nav.move_entry(MKDOCS, "features/bema.md", "Experimental features",
                           "Stable features")
    data = load_yaml(moved)["nav"]
    assert data[1] == {"Experimental features": ["features/grpo.md"]}
    assert data[2] == {"Stable features": [{"About": "features/stable.md"},
                                           {"BEMA": "features/bema.md"}]}
    again = nav.move_entry(moved, "features/grpo.md", "Experimental features",
                           "Stable features")
    assert "Experimental features" not in again  # an emptied section goes away
    assert load_yaml(again)["nav"][1]["Stable features"][-1] == "features/grpo.md"


def test_mkdocs_stable_section_is_created_when_missing():
    text = MKDOCS.replace("  - Stable features:\n      - About: features/stable.md\n", "")
    moved = MkDocsNav().move_entry(text, "features/bema.md", "Experimental features", "Stable")
    assert load_yaml(moved)["nav"][2] == {"Stable": [{"BEMA": "features/bema.md"}]}


def test_mkdocs_unknown_entry_is_a_plan_error():
    with pytest.raises(PlanError, match="does not list 'features/none.md'"):
        MkDocsNav().move_entry(MKDOCS, "features/none.md", "Experimental features", "Stable")


TOCTREE = textwrap.dedent("""\
    - sections:
      - local: dpo_trainer
        title: DPO
      title: Trainers
    - sections:
      - local: bema
        title: BEMA
      - local: gold
        title: GOLD
      title: Experimental
    """)


def test_toctree_moves_and_removes_entries():
    toc = DocBuilderToctree()
    moved = toc.move_entry(TOCTREE, "bema", "Experimental", "Trainers")
    data = load_yaml(moved)
    assert [s["local"] for s in data[0]["sections"]] == ["dpo_trainer", "bema"]
    assert [s["local"] for s in data[1]["sections"]] == ["gold"]
    removed = toc.remove_entry(moved, "gold")
    assert [s["title"] for s in load_yaml(removed)] == ["Trainers"]


@pytest.mark.parametrize("notice", [
    '!!! warning "Experimental"\n    It may change.\n    Really.\n',
    "!!! experimental\n    It may change.\n",
    "<Tip warning={true}>\n\nThis is experimental.\n\n</Tip>\n",
    "<!-- fledge:experimental-notice -->\nAnything.\n<!-- /fledge:experimental-notice -->\n",
    "> [!WARNING]\n> KTO is an experimental API: it may change at any time.\n",
    "> [!CAUTION]\n> Experimental.\n> Really.\n",
])
def test_experimental_notices_are_removed(notice):
    page = f"# Title\n\n{notice}\nBody text.\n\n!!! note\n    Keep me.\n"
    new, found = remove_notice(page)
    assert found
    assert new == "# Title\n\nBody text.\n\n!!! note\n    Keep me.\n"


def test_trl_sentences_saying_where_the_feature_moved_are_removed():
    page = ("# KTO\n\n"
            "> [!NOTE]\n> Keep this note about datasets.\n\n"
            "As of TRL v1.0, KTO has been moved to the `trl.experimental.kto` module. It "
            "pairs well with SFT.\n\n"
            "The trainers have been moved to the `trl.experimental.kto` module.\n\n"
            "```python\n# has been moved to the `trl.experimental.kto` module\n```\n")
    new, found = remove_notice(page, ["trl.experimental.kto"])
    assert found
    assert new == ("# KTO\n\n> [!NOTE]\n> Keep this note about datasets.\n\n"
                   "It pairs well with SFT.\n\n"
                   "```python\n# has been moved to the `trl.experimental.kto` module\n```\n")
    assert remove_notice(page, ["trl.experimental.other"])[0] == page


FORMAT_PLUGIN = """
import fledge

class FlatList:
    name = "flat-list"
    def page_ref(self, config, page):
        return page
    def sections(self, nav, ref):
        return ["Everything"] if ref in nav.splitlines() else []
    def move_entry(self, nav, ref, source, target):
        return nav
    def remove_entry(self, nav, ref):
        return "\\n".join(line for line in nav.splitlines() if line != ref)
    def add_notice(self, page, title, body):
        return page

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="flat", summary="s", module="flat_nav", exports=("x",),
                           since="0.1.0")]

@fledge.hookimpl
def fledge_promote_docs_formats():
    return [FlatList(), "not a format"]
"""


def test_fledge_promote_docs_formats(fledge_site):
    """A plugin's docs format is found by the name the configuration gives."""
    from fledge_promote._errors import ConfigError
    from fledge_promote.repository._config import PromoteConfig
    from fledge_promote.repository._docs_formats import get_docs_format

    fledge_site.add("fledge-flat", {"flat_nav": FORMAT_PLUGIN})
    fledge_site.install()
    fmt = get_docs_format(PromoteConfig(docs_format="flat-list"))
    assert fmt.sections("docs/a.md\ndocs/b.md", "docs/b.md") == ["Everything"]
    with pytest.raises(ConfigError, match="must be one of doc-builder, flat-list, mkdocs"):
        get_docs_format(PromoteConfig(docs_format="unknown"))
