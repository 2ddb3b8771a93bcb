"""Exports a submodule of the same name would shadow: the stable package promote writes keeps
them, in both orders of import; ``repository._exports`` finds the packages that do not."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fledge_promote.planning._layout import new_stable_package
from fledge_promote.repository._exports import (
    exported_names,
    shadowed_exports,
    submodule_names,
)
from fledge_promote.repository._style import TargetStyle

IMPORTS_FIRST = """
import stable.word_variety
from stable import word_variety
print(type(word_variety).__name__, word_variety(["a b", "a a"]))
"""
EXPORT_FIRST = """
from stable import word_variety
import stable.word_variety
import stable.word_variety.core
from stable import word_variety as again
print(type(again).__name__, again(["a b", "a a"]))
"""


def stable_tree(root: Path, init: str) -> None:
    (root / "stable" / "word_variety").mkdir(parents=True)
    (root / "stable" / "__init__.py").write_text(init)
    (root / "stable" / "word_variety" / "__init__.py").write_text('"""The light module."""\n')
    (root / "stable" / "word_variety" / "core.py").write_text(
        "def word_variety(completions):\n"
        "    return [len(set(c.split())) / len(c.split()) for c in completions]\n")


def run(root: Path, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("code", [IMPORTS_FIRST, EXPORT_FIRST], ids=["submodule-first",
                                                                    "export-first"])
def test_the_written_stable_package_keeps_an_export_named_like_its_submodule(tmp_path, code):
    init = new_stable_package("exp", "word_variety.core", ["word_variety"],
                              TargetStyle(line_length=100))
    stable_tree(tmp_path, init)
    assert run(tmp_path, code) == "function [1.0, 0.5]"
    # the submodule is still importable by its path (the registry imports it so)
    assert run(tmp_path, """
        import importlib, sys
        light = importlib.import_module("stable.word_variety")
        print(light is sys.modules["stable.word_variety"], light.__doc__)
        """) == "True The light module."
    assert shadowed_exports(init, {"word_variety"}) == []


def test_a_plain_lazy_package_is_found_shadowed_and_really_is(tmp_path):
    init = textwrap.dedent('''
        import importlib

        _import_structure = {"word_variety.core": ["word_variety"]}
        __all__ = ["word_variety"]


        def __getattr__(name):
            for module, names in _import_structure.items():
                if name in names:
                    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
            raise AttributeError(name)
        ''')
    stable_tree(tmp_path, init)
    assert shadowed_exports(init, {"word_variety", "other"}) == ["word_variety"]
    assert run(tmp_path, IMPORTS_FIRST.replace(', word_variety(["a b", "a a"])', "")) == "module"


def test_an_eager_import_from_the_submodule_itself_keeps_the_export(tmp_path):
    init = "from .word_variety.core import word_variety\n"
    stable_tree(tmp_path, init)
    assert shadowed_exports(init, {"word_variety"}) == []
    assert run(tmp_path, IMPORTS_FIRST) == "function [1.0, 0.5]"
    # eagerly, but from another module: the submodule still binds over it later
    elsewhere = "from .other import word_variety\n"
    assert shadowed_exports(elsewhere, {"word_variety", "other"}) == ["word_variety"]


def test_exported_names_reads_every_way_a_package_exports():
    source = textwrap.dedent('''
        from typing import TYPE_CHECKING

        from .direct import a
        _import_structure = {"mod": ["b"], "sub.pkg": ["c"]}
        _import_structure["more"] = ["d"]
        _import_structure["mod"].extend(["e"])
        __all__ = ["f"]
        if TYPE_CHECKING:
            from .mod import b
        ''')
    assert exported_names(source) == {"a", "b", "c", "d", "e", "f"}
    assert exported_names("this is not python (") == set()
    # `from . import sub` binds the submodule itself (TRL's `from . import _compat`)
    assert shadowed_exports("from . import _compat\n", {"_compat"}) == []


def test_submodule_names_are_modules_and_packages_directly_inside():
    files = ["pkg/__init__.py", "pkg/a.py", "pkg/b/__init__.py", "pkg/b/c.py", "pkg/d/e.py",
             "other/x.py", "pkg/not-a-name.py"]
    assert submodule_names("pkg", files) == {"a", "b"}
