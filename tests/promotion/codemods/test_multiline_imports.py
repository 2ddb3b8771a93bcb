"""Names leaving a parenthesised import written one name a line, as TRL's tests write
``from trl import (CPOConfig, CPOTrainer, DPOConfig, ...)``: the first, a middle one, the
last, or all of them. What is left compiles and keeps the file's format (a trailing comma
before the closing parenthesis stays), and the names that moved are imported in the same
format."""

from __future__ import annotations

import textwrap

import pytest
from codemod_helpers import same, transform

from fledge_promote.planning._paths import DottedMap
from fledge_promote.planning.codemods import RewriteImportsCommand
from fledge_promote.planning.pruning import RemoveShimExportsCommand

DEMOTED = DottedMap([("trl.CPOConfig", "trl.experimental.cpo.CPOConfig"),
                     ("trl.CPOTrainer", "trl.experimental.cpo.CPOTrainer"),
                     ("trl.ORPOConfig", "trl.experimental.orpo.ORPOConfig")])


def rewrite(before: str) -> str:
    after = transform(before, RewriteImportsCommand(DEMOTED, "tests.test_trainers_args"))
    compile(after, "test_trainers_args.py", "exec", dont_inherit=True)
    return after


def test_the_first_names_leave_a_parenthesised_import():
    assert rewrite("""
        from trl import (
            CPOConfig,
            CPOTrainer,
            DPOConfig,
            KTOConfig,
        )
        """) == same("""
        from trl import (
            DPOConfig,
            KTOConfig,
        )
        from trl.experimental.cpo import (
            CPOConfig,
            CPOTrainer,
        )
        """)


def test_a_middle_name_leaves_and_keeps_its_comment():
    assert rewrite("""
        from trl import (
            BCOConfig,
            CPOConfig,  # contrastive
            DPOConfig,
        )
        """) == same("""
        from trl import (
            BCOConfig,
            DPOConfig,
        )
        from trl.experimental.cpo import (
            CPOConfig,  # contrastive
        )
        """)


def test_the_last_names_leave_without_a_trailing_comma():
    assert rewrite("""
        from trl import (
            DPOConfig,
            CPOConfig,
            CPOTrainer
        )
        """) == same("""
        from trl import (
            DPOConfig
        )
        from trl.experimental.cpo import (
            CPOConfig,
            CPOTrainer
        )
        """)


def test_all_names_leave_for_one_module_or_several():
    assert rewrite("""
        from trl import (
            CPOConfig,
            CPOTrainer,
        )
        """) == same("""
        from trl.experimental.cpo import (
            CPOConfig,
            CPOTrainer,
        )
        """)
    assert rewrite("""
        from trl import (
            CPOConfig,
            ORPOConfig,
            CPOTrainer,
        )
        """) == same("""
        from trl.experimental.cpo import (
            CPOConfig,
            CPOTrainer,
        )
        from trl.experimental.orpo import (
            ORPOConfig,
        )
        """)


def test_a_one_line_import_stays_on_one_line():
    assert rewrite("from trl import CPOConfig, DPOConfig, CPOTrainer\n") == same(
        "from trl import DPOConfig\nfrom trl.experimental.cpo import CPOConfig, CPOTrainer\n")


TYPE_CHECKING_BLOCK = """
    if TYPE_CHECKING:
        from .trainer import (
            BCOConfig,
            CPOConfig,
            DPOConfig,
            KTOConfig,
        )
    """


def _remove(names: set[str]) -> RemoveShimExportsCommand:
    """prune's removal of export entries, the way names leave a package's exports now."""
    return RemoveShimExportsCommand("trl", {f"trl.trainer.{n}" for n in names}, set())


@pytest.mark.parametrize(("removed", "left"), [
    ({"BCOConfig"}, ["CPOConfig", "DPOConfig", "KTOConfig"]),      # first
    ({"CPOConfig", "DPOConfig"}, ["BCOConfig", "KTOConfig"]),      # middle
    ({"KTOConfig"}, ["BCOConfig", "CPOConfig", "DPOConfig"]),      # last
])
def test_exports_leave_a_parenthesised_import(removed, left):
    after = transform(TYPE_CHECKING_BLOCK, _remove(removed))
    compile(after, "__init__.py", "exec", dont_inherit=True)
    names = "".join(f"        {n},\n" for n in left)
    assert after == textwrap.dedent(TYPE_CHECKING_BLOCK).replace(
        "".join(f"        {n},\n" for n in ["BCOConfig", "CPOConfig", "DPOConfig", "KTOConfig"]),
        names)


def test_all_exports_leaving_take_the_import_along():
    after = transform(TYPE_CHECKING_BLOCK + "    from .models import Model\n",
                      _remove({"BCOConfig", "CPOConfig", "DPOConfig", "KTOConfig"}))
    compile(after, "__init__.py", "exec", dont_inherit=True)
    assert "from .trainer" not in after and "from .models import Model" in after
