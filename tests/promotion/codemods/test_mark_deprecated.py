from codemod_helpers import same, transform

from fledge_promote.planning.codemods import AddDeprecationWarningCommand, MarkDeprecatedCommand
from fledge_promote.repository._style import TargetStyle


def test_named_classes_and_functions_are_marked_for_type_checkers_once():
    command = MarkDeprecatedCommand("x is deprecated", ["Foo", "helper", "LIMIT"],
                                    TargetStyle())
    before = '''
        """Doc."""
        from __future__ import annotations

        import os


        class Foo:
            pass


        @cache
        def helper(x: int) -> int:
            return x


        def kept() -> None:
            pass


        LIMIT = 1
        '''
    once = transform(before, AddDeprecationWarningCommand("x is deprecated"), command)
    assert once == same('''
        """Doc."""
        from __future__ import annotations

        import warnings as _warnings  # fledge-promote: deprecated
        _warnings.warn("x is deprecated", FutureWarning, stacklevel=2)  # fledge-promote: deprecated

        import os

        TYPE_CHECKING = False  # fledge-promote: deprecated (checkers read True)
        if TYPE_CHECKING:  # fledge-promote: deprecated (PEP 702, for type checkers)
            import sys

            if sys.version_info >= (3, 13):
                from warnings import deprecated as _deprecated
            else:
                from typing_extensions import deprecated as _deprecated
        else:

            def _deprecated(message, *, category=None, stacklevel=1):
                return lambda thing: thing


        @_deprecated(
            "x is deprecated",
            category=FutureWarning,
        )
        class Foo:
            pass


        @_deprecated(
            "x is deprecated",
            category=FutureWarning,
        )
        @cache
        def helper(x: int) -> int:
            return x


        def kept() -> None:
            pass


        LIMIT = 1
        ''')
    assert transform(once, command) == once


def test_an_existing_type_checking_import_is_reused():
    command = MarkDeprecatedCommand("gone", ["f"], TargetStyle())
    after = transform("from typing import TYPE_CHECKING\n\n\ndef f():\n    pass\n", command)
    assert "TYPE_CHECKING = False" not in after and "@_deprecated(" in after


def test_the_block_follows_the_import_block_with_the_targets_blank_lines():
    style = TargetStyle(lines_after_imports=2)
    after = transform("import os\nfrom x import y\n\n\ndef f():\n    pass\n",
                      MarkDeprecatedCommand("gone", ["f"], style))
    assert after.startswith("import os\nfrom x import y\n\n\nTYPE_CHECKING = False  #")


def test_a_module_without_the_names_is_left_alone():
    assert transform("def other():\n    pass\n", MarkDeprecatedCommand("gone", ["f"],
                                                                    TargetStyle())) == (
        "def other():\n    pass\n")
