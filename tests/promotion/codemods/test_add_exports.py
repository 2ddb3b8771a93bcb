import pytest
from codemod_helpers import same, transform

from fledge_promote.planning.codemods import AddExportsCommand, run_commands


def add(submodule, names):
    return AddExportsCommand(submodule, names)


def test_lazy_import_structure_and_type_checking_block():
    assert transform("""
        _import_structure = {
            "dpo_trainer": ["DPOTrainer"],
        }

        if TYPE_CHECKING:
            from .dpo_trainer import DPOTrainer
        """, add("foo", ["FooConfig", "FooTrainer"])) == same("""
        _import_structure = {
            "dpo_trainer": ["DPOTrainer"],
            "foo": ["FooConfig", "FooTrainer"],
        }

        if TYPE_CHECKING:
            from .dpo_trainer import DPOTrainer
            from .foo import FooConfig, FooTrainer
        """)


def test_existing_key_gets_the_names():
    assert transform("""
        _import_structure = {"trainer": ["DPOTrainer"]}
        if TYPE_CHECKING:
            from .trainer import DPOTrainer
        """, add("trainer", ["FooTrainer"])) == same("""
        _import_structure = {"trainer": ["DPOTrainer", "FooTrainer"]}
        if TYPE_CHECKING:
            from .trainer import DPOTrainer, FooTrainer
        """)


def test_plain_init_gets_an_import_and_all():
    assert transform('''
        """Stable API."""
        from .a import A

        __all__ = ["A"]
        ''', add("foo.api", ["Foo"])) == same('''
        """Stable API."""
        from .a import A
        from .foo.api import Foo

        __all__ = ["A", "Foo"]
        ''')


def test_a_clash_fails_the_file():
    result = run_commands("x.py", '_import_structure = {"a": ["Foo"]}\n', [add("b", ["Foo"])])
    assert result.status == "failed"
    assert "Foo already exported from .a" in result.reason


@pytest.mark.parametrize("source", ["", "x = 1\n"])
def test_empty_modules(source):
    assert "from .m import N" in transform(source, add("m", ["N"]))


def test_an_identical_export_is_left_as_it_is():
    source = '''
        _import_structure = {
            "kto_config": ["KTOConfig"],
            "kto_trainer": ["KTOTrainer"],
        }

        if TYPE_CHECKING:
            from .kto_config import KTOConfig
            from .kto_trainer import KTOTrainer
        '''
    result = run_commands("x.py", same(source), [add("kto_trainer", ["KTOTrainer"]),
                                                 add("kto_config", ["KTOConfig"])])
    assert result.status == "unchanged", result.reason


def test_a_clash_names_both_modules_in_a_plain_init_too():
    result = run_commands("x.py", "from .a import Foo\n\n__all__ = ['Foo']\n",
                          [add("b", ["Foo"])])
    assert result.status == "failed"
    assert "Foo already exported from .a, not from .b" in result.reason


def test_sorted_keys_names_and_imports_stay_sorted_and_multiline_layout_is_kept():
    assert transform("""
        _import_structure = {
            "callbacks": ["BEMACallback"],
            "dpo_trainer": ["DPOTrainer"],
        }

        if TYPE_CHECKING:
            from .callbacks import BEMACallback
            from .dpo_trainer import DPOTrainer
        """, add("cpo_trainer", ["CPOTrainer"])) == same("""
        _import_structure = {
            "callbacks": ["BEMACallback"],
            "cpo_trainer": ["CPOTrainer"],
            "dpo_trainer": ["DPOTrainer"],
        }

        if TYPE_CHECKING:
            from .callbacks import BEMACallback
            from .cpo_trainer import CPOTrainer
            from .dpo_trainer import DPOTrainer
        """)
    assert transform("""
        _import_structure = {
            "trainer": [
                "BEMACallback",
                "DPOTrainer",
                "get_peft_config",
            ],
        }

        if TYPE_CHECKING:
            from .trainer import (
                BEMACallback,
                DPOTrainer,
                get_peft_config,
            )
        """, add("trainer", ["CPOTrainer", "CPOConfig"])) == same("""
        _import_structure = {
            "trainer": [
                "BEMACallback",
                "CPOConfig",
                "CPOTrainer",
                "DPOTrainer",
                "get_peft_config",
            ],
        }

        if TYPE_CHECKING:
            from .trainer import (
                BEMACallback,
                CPOConfig,
                CPOTrainer,
                DPOTrainer,
                get_peft_config,
            )
        """)


def test_an_import_that_grows_too_long_is_wrapped():
    from fledge_promote.repository._style import TargetStyle

    narrow = AddExportsCommand("trainer", ["AVeryLongTrainerName"],
                               TargetStyle(line_length=40))
    assert transform("""
        _import_structure = {"trainer": ["Alpha", "Beta"]}
        if TYPE_CHECKING:
            from .trainer import Alpha, Beta
        """, narrow) == same("""
        _import_structure = {"trainer": ["Alpha", "AVeryLongTrainerName", "Beta"]}
        if TYPE_CHECKING:
            from .trainer import (
                Alpha,
                AVeryLongTrainerName,
                Beta,
            )
        """)
