from codemod_helpers import same, transform

from fledge_promote.planning.codemods import MakeImportsRelativeCommand


def test_imports_of_the_own_package_become_relative():
    assert transform("""
        import torch
        import trl.trainer.utils as utils

        from trl import GRPOConfig
        from trl.experimental.cgrpo.conformal import aps_score
        from trl.trainer.grpo_trainer import GRPOTrainer
        from trl_other import helper
        """, MakeImportsRelativeCommand("trl.experimental.cgrpo.cgrpo_trainer")) == same("""
        import torch
        import trl.trainer.utils as utils

        from ... import GRPOConfig
        from .conformal import aps_score
        from ...trainer.grpo_trainer import GRPOTrainer
        from trl_other import helper
        """)


def test_a_package_init_counts_from_its_own_package():
    assert transform("""
        from trl.experimental.cgrpo.cgrpo_config import CGRPOConfig
        from trl.experimental.utils import pad
        """, MakeImportsRelativeCommand("trl.experimental.cgrpo", is_package=True)) == same("""
        from .cgrpo_config import CGRPOConfig
        from ..utils import pad
        """)


def test_relative_imports_and_other_packages_stay():
    source = """
        from .conformal import aps_score
        from transformers import Trainer
        """
    assert transform(source, MakeImportsRelativeCommand("trl.experimental.cgrpo.x")) == same(
        source)
