"""Navigation edits in mkdocs and doc-builder formats (moves, additions and removals, in
order, keeping the file as it was elsewhere), and the experimental notice."""

from __future__ import annotations

import textwrap

import pytest

from fledge_promote import DocBuilderToctree, MkDocsNav, PlanError
from fledge_promote.repository._docs_formats import remove_notice
from fledge_promote.repository._nav_yaml import load_yaml, parse

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


# A toctree laid out as TRL's real ``docs/source/_toctree.yml`` is (written here, not copied):
# each section's ``title`` follows its ``sections`` list, "Trainers" is nested inside "API"
# with a comment on its ``sections:`` line, and some sections carry ``isExpanded: false``.
TRL_TOCTREE = textwrap.dedent("""\
    - sections:
      - local: index
        title: TRL
      - local: installation
        title: Installation
      title: Getting started
    - sections:
      - local: dataset_formats
        title: Dataset Formats
      title: Conceptual Guides
    - sections:
      - sections: # Sorted alphabetically
        - local: dpo_trainer
          title: DPO
        - local: grpo_trainer
          title: GRPO
        - local: kto_trainer
          title: KTO
        - local: sft_trainer
          title: SFT
        title: Trainers
      - local: models
        title: Model Classes
      - sections:
        - local: callbacks
          title: Callbacks
        isExpanded: false
        title: Utilities
      title: API
    - sections:
      - local: experimental_overview
        title: Experimental Overview
      - local: cpo_trainer
        title: CPO
      - local: orpo_trainer
        title: ORPO
      isExpanded: false
      title: Experimental
    """)


def test_toctree_entry_moves_into_the_existing_nested_section_in_order():
    toc = DocBuilderToctree()
    assert toc.sections(TRL_TOCTREE, "cpo_trainer") == ["Experimental"]
    assert toc.sections(TRL_TOCTREE, "dpo_trainer") == ["Trainers"]
    moved = toc.move_entry(TRL_TOCTREE, "cpo_trainer", "Experimental", "Trainers")
    assert moved == TRL_TOCTREE.replace(
        "  - local: cpo_trainer\n    title: CPO\n", "").replace(
        "  - sections: # Sorted alphabetically\n",
        "  - sections: # Sorted alphabetically\n"
        "    - local: cpo_trainer\n      title: CPO\n")
    assert moved.count("title: Trainers") == 1
    again = toc.move_entry(moved, "orpo_trainer", "Experimental", "Trainers")
    trainers = load_yaml(again)[2]["sections"][0]
    assert [e["local"] for e in trainers["sections"]] == [
        "cpo_trainer", "dpo_trainer", "grpo_trainer", "kto_trainer", "orpo_trainer",
        "sft_trainer"]
    last = toc.move_entry(again, "experimental_overview", "Experimental", "Trainers")
    assert "title: Experimental\n" not in last  # the emptied section went, isExpanded too
    assert last.endswith("  title: API\n") and last.count("isExpanded") == 1
    assert "    isExpanded: false\n    title: Utilities\n" in last


def test_toctree_demotion_goes_after_the_overview_in_order():
    """TRL's "Experimental" opens with its overview, then lists the rest by title: a trainer
    moving out of "Trainers" (nested in "API") goes where the title order puts it."""
    toc = DocBuilderToctree()
    moved = toc.move_entry(TRL_TOCTREE, "grpo_trainer", "Trainers", "Experimental")
    assert toc.sections(moved, "grpo_trainer") == ["Experimental"]
    experimental = load_yaml(moved)[3]["sections"]
    assert [e["local"] for e in experimental] == [
        "experimental_overview", "cpo_trainer", "grpo_trainer", "orpo_trainer"]
    first = toc.move_entry(TRL_TOCTREE, "dpo_trainer", "Trainers", "Experimental")
    assert [e["local"] for e in load_yaml(first)[3]["sections"]] == [
        "experimental_overview", "cpo_trainer", "dpo_trainer", "orpo_trainer"]


def test_toctree_move_into_an_unsorted_section_appends_and_creates_a_missing_one_once():
    toc = DocBuilderToctree()
    unsorted = TRL_TOCTREE.replace("title: GRPO", "title: ZGRPO")
    moved = toc.move_entry(unsorted, "cpo_trainer", "Experimental", "Trainers")
    assert moved.index("local: sft_trainer") < moved.index("local: cpo_trainer") < moved.index(
        "    title: Trainers")
    created = toc.move_entry(TRL_TOCTREE, "cpo_trainer", "Experimental", "Preference")
    data = load_yaml(created)
    assert [s["title"] for s in data] == ["Getting started", "Conceptual Guides", "API",
                                          "Experimental", "Preference"]
    both = toc.move_entry(created, "orpo_trainer", "Experimental", "Preference")
    assert both.count("title: Preference") == 1
    assert [e["local"] for e in load_yaml(both)[-1]["sections"]] == ["cpo_trainer",
                                                                     "orpo_trainer"]


def test_toctree_add_entry():
    toc = DocBuilderToctree()
    added = toc.add_entry(TRL_TOCTREE, "bco_trainer", "BCO", "Trainers")
    assert added == TRL_TOCTREE.replace(
        "  - sections: # Sorted alphabetically\n",
        "  - sections: # Sorted alphabetically\n"
        "    - local: bco_trainer\n      title: BCO\n")
    nested = toc.add_entry(TRL_TOCTREE, "judges", "Judges", "Utilities")
    assert "    - local: callbacks\n      title: Callbacks\n    - local: judges\n" \
           "      title: Judges\n    isExpanded: false\n" in nested
    new = toc.add_entry(TRL_TOCTREE, "faq", "FAQ", "Help")
    assert new == TRL_TOCTREE + "- sections:\n  - local: faq\n    title: FAQ\n  title: Help\n"
    twice = toc.add_entry(new, "glossary", "Glossary", "Help")
    assert twice.count("title: Help") == 1
    assert toc.add_entry(added, "bco_trainer", "BCO", "Trainers") == added  # listed already


def test_mkdocs_add_entry():
    nav = MkDocsNav()
    added = nav.add_entry(MKDOCS, "features/new.md", "New: a trainer", "Stable features")
    assert load_yaml(added)["nav"][2] == {"Stable features": [
        {"About": "features/stable.md"}, {"New: a trainer": "features/new.md"}]}
    assert added == MKDOCS.replace("      - About: features/stable.md\n",
                                   "      - About: features/stable.md\n"
                                   "      - 'New: a trainer': features/new.md\n")
    sorted_nav = MKDOCS.replace("      - About: features/stable.md\n",
                                "      - About: features/stable.md\n"
                                "      - Zeta: features/zeta.md\n")
    placed = nav.add_entry(sorted_nav, "features/mu.md", "Mu", "Stable features")
    assert [next(iter(e)) for e in load_yaml(placed)["nav"][2]["Stable features"]] == [
        "About", "Mu", "Zeta"]
    created = nav.add_entry(MKDOCS, "guide.md", "Guide", "Guides")
    assert created == MKDOCS + "  - Guides:\n      - Guide: guide.md\n"
    assert nav.add_entry(created, "more.md", "More", "Guides").count("Guides") == 1


# mkdocs' own documentation nests with no dash offset below the top level
MKDOCS_OFFSETS = textwrap.dedent("""\
    site_name: x  # the site
    theme:
      name: material
    markdown_extensions:
      - pymdownx.emoji:
          emoji_index: !!python/name:material.extensions.emoji.twemoji
          emoji_generator: !!python/name:material.extensions.emoji.to_svg
      - pymdownx.superfences:
          custom_fences:
            - name: mermaid
              format: !!python/name:pymdownx.superfences.fence_code_format
    extra:
      analytics:
        property: !ENV [GOOGLE_ANALYTICS_KEY, ""]
      token: !ENV TOKEN

    nav:
      - Home: index.md
      # features being tried out
      - Experimental features:
        - BEMA: features/bema.md  # new in 0.3
        - features/grpo.md
      - 'Stable features':
        - About: "features/stable.md"
        - Zeta: features/zeta.md

      - Reference: reference.md

    plugins:
      - search
    """)


@pytest.mark.parametrize("text", [
    MKDOCS, MKDOCS_OFFSETS, TOCTREE, TRL_TOCTREE,
    "- sections: \n  - local: index\n    title: TRL\n  title: Get started\n",  # trailing space
    "- sections:\n  - local: index\n    title: TRL\n  title: Get started",  # no final newline
    "---\nnav:\n    - Home: index.md\n    - Guide:\n        - A: a.md\n",
    "nav:\n- Home: index.md\n- Guide:\n  - a.md\n",
])
def test_an_untouched_file_round_trips_byte_for_byte(text):
    assert parse(text).dump() == text
    assert MkDocsNav().remove_entry(text, "nowhere.md") == text
    assert DocBuilderToctree().remove_entry(text, "nowhere") == text


def test_mkdocs_tags_comments_quotes_and_layout_survive_a_move():
    nav = MkDocsNav()
    moved = nav.move_entry(MKDOCS_OFFSETS, "features/bema.md", "Experimental features",
                           "Stable features")
    assert moved == MKDOCS_OFFSETS.replace(
        "    - BEMA: features/bema.md  # new in 0.3\n", "").replace(
        '    - About: "features/stable.md"\n',
        '    - About: "features/stable.md"\n    - BEMA: features/bema.md  # new in 0.3\n')
    emptied = nav.move_entry(moved, "features/grpo.md", "Experimental features",
                             "Stable features")
    assert "Experimental" not in emptied and "# features being tried out" not in emptied
    assert emptied.startswith(MKDOCS_OFFSETS.split("nav:")[0])  # tags and comments as they were
    assert emptied.endswith("    - Zeta: features/zeta.md\n\n  - Reference: reference.md\n\n"
                            "plugins:\n  - search\n")
    assert load_yaml(emptied)["nav"][1]["Stable features"] == [
        {"About": "features/stable.md"}, {"BEMA": "features/bema.md"}, "features/grpo.md",
        {"Zeta": "features/zeta.md"}]
    last = nav.remove_entry(MKDOCS_OFFSETS, "reference.md")
    assert last.endswith("    - Zeta: features/zeta.md\n\nplugins:\n  - search\n")


def test_navigation_errors_name_the_section_and_page():
    toc = DocBuilderToctree()
    with pytest.raises(PlanError, match="the navigation has no section 'Nowhere'"):
        toc.move_entry(TRL_TOCTREE, "cpo_trainer", "Nowhere", "Trainers")
    with pytest.raises(PlanError, match="section 'API' of the navigation does not list 'x'"):
        toc.move_entry(TRL_TOCTREE, "x", "API", "Trainers")
    with pytest.raises(PlanError, match="not valid YAML"):
        toc.sections("- sections: [\n", "x")


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
    def add_entry(self, nav, ref, title, section):
        return nav + "\\n" + ref
    def add_notice(self, page, title, body):
        return page

class OldFlatList:  # written before add_entry
    name = "old-flat-list"
    page_ref = sections = move_entry = remove_entry = add_notice = FlatList.add_notice

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="flat", summary="s", module="flat_nav", exports=("x",),
                           since="0.1.0")]

@fledge.hookimpl
def fledge_promote_docs_formats():
    return [FlatList(), OldFlatList(), "not a format"]
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
    with pytest.raises(ConfigError, match="a plugin's format that lacks add_entry"):
        get_docs_format(PromoteConfig(docs_format="old-flat-list"))
