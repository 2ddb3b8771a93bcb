from codemod_helpers import MAPPING, same, transform

from fledge_promote.planning.codemods import RewriteDocstringReferencesCommand


def test_doctests_and_cross_references_in_docstrings():
    command = RewriteDocstringReferencesCommand(MAPPING)
    assert transform('''
        """Module: see [`trl.experimental.foo.FooTrainer`]."""


        class A:
            """Uses :class:`trl.experimental.foo.FooConfig`.

            >>> from trl.experimental.foo import FooTrainer
            """

            def f(self):
                """Not trl.experimental.foobar."""
                return "trl.experimental.foo is not a docstring"
        ''', command) == same('''
        """Module: see [`trl.trainer.foo.FooTrainer`]."""


        class A:
            """Uses :class:`trl.trainer.foo.FooConfig`.

            >>> from trl.trainer.foo import FooTrainer
            """

            def f(self):
                """Not trl.experimental.foobar."""
                return "trl.experimental.foo is not a docstring"
        ''')
