from codemod_helpers import MAPPING, same, transform
from libcst.codemod import CodemodContext

from fledge_promote.codemods import FixRelativeImportsCommand


def test_moved_test_climbs_one_level_less():
    command = FixRelativeImportsCommand(CodemodContext(), MAPPING, "tests.experimental.test_foo",
                                        "tests.test_foo")
    assert transform("""
        from ..testing_utils import TrlTestCase, require_peft
        from .conftest import fixture
        """, command) == same("""
        from .testing_utils import TrlTestCase, require_peft
        from .experimental.conftest import fixture
        """)


def test_moved_package_module_reaches_siblings_and_the_stable_code():
    command = FixRelativeImportsCommand(CodemodContext(), MAPPING,
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
