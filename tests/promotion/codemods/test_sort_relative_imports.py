from codemod_helpers import same, transform

from fledge_promote.planning.codemods import SortRelativeImportsCommand


def sort():
    return SortRelativeImportsCommand()


def test_imports_that_climb_less_after_a_move_are_put_back_in_order():
    assert transform("""
        import torch

        from ..data_utils import x
        from .base_trainer import Base
        from .utils import pad
        from ..experimental.utils import Collator
        from .cpo_config import CPOConfig


        class CPOTrainer(Base):
            pass
        """, sort()) == same("""
        import torch

        from ..data_utils import x
        from ..experimental.utils import Collator
        from .base_trainer import Base
        from .cpo_config import CPOConfig
        from .utils import pad


        class CPOTrainer(Base):
            pass
        """)


def test_a_run_with_comments_or_blank_lines_inside_is_left_alone():
    source = """
        from .b import y

        # a reason to keep this here
        from .a import x
        """
    assert transform(source, sort()) == same(source)
