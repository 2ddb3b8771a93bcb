from codemod_helpers import MAPPING, same, transform

from fledge_promote.planning.codemods import FixRelativeImportsCommand


def test_moved_test_climbs_one_level_less():
    command = FixRelativeImportsCommand(MAPPING, "tests.experimental.test_foo",
                                        "tests.test_foo")
    assert transform("""
        from ..testing_utils import TrlTestCase, require_peft
        from .conftest import fixture
        """, command) == same("""
        from .testing_utils import TrlTestCase, require_peft
        from .experimental.conftest import fixture
        """)


def test_moved_package_module_reaches_siblings_and_the_stable_code():
    command = FixRelativeImportsCommand(MAPPING,
                                        "trl.experimental.foo.foo_trainer",
                                        "trl.trainer.foo.foo_trainer")
    assert transform("""
        from ...trainer.dpo_trainer import DPOTrainer
        from ...models import unwrap
        from .foo_config import FooConfig
        """, command) == same("""
        from ..dpo_trainer import DPOTrainer
        from ...models import unwrap
        from .foo_config import FooConfig
        """)


def test_a_package_init_that_becomes_a_module():
    from fledge_promote.planning._paths import DottedMap

    mapping = DottedMap([("pkg.exp.word", "pkg.stable.word"),
                         ("pkg.exp.word.api", "pkg.stable.api")])
    command = FixRelativeImportsCommand(mapping, "pkg.exp.word",
                                        "pkg.stable.word", is_package=True, new_is_package=False)
    # pkg/exp/word/__init__.py -> pkg/stable/word.py: ".api" moved beside it, "..base" stays
    assert transform("from .api import count\nfrom ..base import Base\n", command) == (
        "from .api import count\nfrom ..exp.base import Base\n")


def test_relative_imports_are_reexpressed_for_a_flat_move():
    from fledge_promote.planning._paths import DottedMap

    mapping = DottedMap([("trl.experimental.kto.kto_config", "trl.trainer.kto_config")])
    command = FixRelativeImportsCommand(mapping,
                                        "trl.experimental.kto.kto_trainer",
                                        "trl.trainer.kto_trainer")
    assert transform("""
        from ...data_utils import x
        from ..utils import y
        from .kto_config import KTOConfig
        """, command) == same("""
        from ..data_utils import x
        from ..experimental.utils import y
        from .kto_config import KTOConfig
        """)
