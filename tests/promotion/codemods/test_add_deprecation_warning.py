from codemod_helpers import same, transform

from fledge_promote.planning.codemods import AddDeprecationWarningCommand


def test_warning_goes_after_docstring_and_future_imports_once():
    command = AddDeprecationWarningCommand("x is deprecated")
    once = transform('''
        """Doc."""
        from __future__ import annotations

        import os
        ''', command)
    assert once == same('''
        """Doc."""
        from __future__ import annotations

        import warnings as _warnings  # fledge-promote: deprecated
        _warnings.warn("x is deprecated", FutureWarning, stacklevel=2)  # fledge-promote: deprecated

        import os
        ''')
    assert transform(once, AddDeprecationWarningCommand("again")) == once
