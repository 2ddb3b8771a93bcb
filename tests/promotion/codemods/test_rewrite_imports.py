from codemod_helpers import MAPPING, same, transform

from fledge_promote.planning.codemods import RewriteImportsCommand


def run(before, module="pkg.user", is_package=False):
    return transform(before, RewriteImportsCommand(MAPPING, module, is_package))


def test_absolute_imports_keep_comments_and_layout():
    assert run("""
        import trl.experimental.foo  # the trainer
        import trl.experimental.foo.foo_trainer as ft
        from trl.experimental.foo import (
            FooConfig,  # config
            FooTrainer,
        )
        """) == same("""
        import trl.trainer.foo  # the trainer
        import trl.trainer.foo.foo_trainer as ft
        from trl.trainer.foo import (
            FooConfig,  # config
            FooTrainer,
        )
        """)


def test_submodule_imported_from_its_parent_is_split_out():
    assert run("""
        from trl.experimental import foo, bar
        from trl.experimental import foo as f
        """) == same("""
        from trl.experimental import bar
        from trl.trainer import foo
        from trl.trainer import foo as f
        """)


def test_relative_imports_and_lazy_structure_in_an_init():
    assert run("""
        from .experimental.foo import FooTrainer
        from . import experimental
        _import_structure = {"experimental.foo": ["FooTrainer"], "trainer": ["DPOTrainer"]}
        _import_structure["experimental.foo"].append("FooConfig")
        """, module="trl", is_package=True) == same("""
        from .trainer.foo import FooTrainer
        from . import experimental
        _import_structure = {"trainer.foo": ["FooTrainer"], "trainer": ["DPOTrainer"]}
        _import_structure["trainer.foo"].append("FooConfig")
        """)


def test_dotted_attribute_chains_follow_the_move():
    assert run("""
        import trl
        trainer = trl.experimental.foo.FooTrainer()
        other = trl.experimental.foobar.Thing()
        """) == same("""
        import trl
        trainer = trl.trainer.foo.FooTrainer()
        other = trl.experimental.foobar.Thing()
        """)


def test_unrelated_code_is_untouched():
    source = """
        from trl.experimental.foobar import X  # a different feature sharing a prefix
        import os
        """
    assert run(source) == same(source)
