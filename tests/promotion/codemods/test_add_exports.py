import pytest
from codemod_helpers import same, transform
from libcst.codemod import CodemodContext

from fledge_promote.codemods import AddExportsCommand, run_commands


def add(submodule, names):
    return AddExportsCommand(CodemodContext(), submodule, names)


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
