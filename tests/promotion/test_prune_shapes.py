"""The shapes ``promote prune`` recognises as deprecation shims, read without importing:
each shape, where its removal version comes from, and what is listed instead."""

from __future__ import annotations

import textwrap

import pytest

from fledge_promote.planning.pruning import read_module, removal_in


def read(source: str, path: str = "lib/trainer/old.py", module: str = "lib.trainer.old"):
    return read_module(path, module, textwrap.dedent(source))


@pytest.mark.parametrize(("text", "version"), [
    ("The current import path will be removed and no longer supported in TRL 0.29. See #1.",
     "0.29"),
    ("`max_prompt_length` is deprecated and will be removed in version 0.29.0. Use x.", "0.29.0"),
    ("This shim will be removed in 0.3.0.", "0.3.0"),
    ("Moved: ``a.b`` is now ``c.d``. This shim goes away in 1.4.", "1.4"),
    ("it is no longer available from v2.1 on", "2.1"),
    ("Promoting KTO to the stable API is a high-priority task; this path will remain.", None),
    ("deprecated, use y instead", None),
])
def test_the_removal_version_is_read_from_the_warnings_wording(text, version):
    assert removal_in(text) == version


def test_a_warning_subclass_of_a_class_from_the_new_place_is_a_shim():
    reading = read('''
        import warnings
        from dataclasses import dataclass

        from ..import_utils import suppress_experimental_warning


        with suppress_experimental_warning():
            from ..experimental.cpo import CPOConfig as _CPOConfig


        @dataclass
        class CPOConfig(_CPOConfig):
            def __post_init__(self):
                warnings.warn(
                    "The `CPOConfig` is now located in `lib.experimental`. The current import "
                    "path will be removed and no longer supported in Lib 0.29.",
                    FutureWarning,
                    stacklevel=3,
                )
                super().__post_init__()
        ''')
    assert reading.whole and reading.unsure == []
    (shim,) = reading.shims
    assert (shim.old, shim.new, shim.rule, shim.removal, shim.source, shim.line) == (
        "lib.trainer.old.CPOConfig", "lib.experimental.cpo.CPOConfig", "warning subclass",
        "0.29", "warning text", 13)


def test_warning_functions_and_a_subclass_that_only_warns_are_shims():
    reading = read('''
        import warnings

        from .experimental.merge import MergeConfig as _MergeConfig
        from .experimental.merge import merge_models as _merge_models


        def merge_models(*args, **kwargs):
            """Merge."""
            warnings.warn("`merge_models` moved; it will be removed in 0.29.", FutureWarning)
            return _merge_models(*args, **kwargs)


        class MergeConfig(_MergeConfig):
            def __init__(self, *args, **kwargs):
                warnings.warn("`MergeConfig` moved; it will be removed in 0.29.", FutureWarning)
        ''', "lib/mergekit_utils.py", "lib.mergekit_utils")
    assert reading.whole
    assert [(s.name, s.rule, s.new) for s in reading.shims] == [
        ("merge_models", "warning function", "lib.experimental.merge.merge_models"),
        ("MergeConfig", "warning subclass", "lib.experimental.merge.MergeConfig")]


def test_pep_702_deprecated_classes_functions_and_aliases_are_shims():
    reading = read('''
        import sys

        if sys.version_info >= (3, 13):
            from warnings import deprecated
        else:
            from typing_extensions import deprecated

        from lib.stable.count import Counter as _Counter
        from lib.stable.count import count as _count


        @deprecated("lib.old.Counter moved to lib.stable.count; removed in 0.5.0",
                    category=FutureWarning)
        class Counter(_Counter):
            pass


        @deprecated("lib.old.count moved; removed in 0.5.0", category=FutureWarning)
        def count(*args, **kwargs):
            return _count(*args, **kwargs)


        words = deprecated("lib.old.words moved; removed in 0.6", category=FutureWarning)(_count)
        ''')
    assert reading.whole
    assert [(s.name, s.rule, s.removal, s.source) for s in reading.shims] == [
        ("Counter", "warning subclass", "0.5.0", "@deprecated message"),
        ("count", "warning function", "0.5.0", "@deprecated message"),
        ("words", "deprecated alias", "0.6", "@deprecated message")]


def test_fledges_marked_re_export_module_is_one_shape_its_version_from_the_marker():
    reading = read('''
        """Moved: ``lib.old`` is now ``lib.stable.old``. This shim goes away in 0.3.0."""
        # fledge-promote: shim (promoted in 0.1.0; remove in 0.3.0)
        import warnings

        from lib.stable.old import Thing, helper

        __all__ = ["Thing", "helper"]
        warnings.warn(
            "lib.old was promoted to the stable API in 0.1.0: import it from lib.stable.old "
            "instead. This shim will be removed in 0.3.0.",
            FutureWarning,
            stacklevel=2,
        )
        ''', "lib/old.py", "lib.old")
    (shim,) = reading.shims
    assert reading.whole
    assert (shim.old, shim.new, shim.rule, shim.removal, shim.source) == (
        "lib.old", "lib.stable.old", "re-export module", "0.3.0", "marker comment")
    assert shim.names == (("lib.old.Thing", "lib.stable.old.Thing"),
                          ("lib.old.helper", "lib.stable.old.helper"))


def test_a_module_that_warns_from_its_getattr_is_a_re_export_module():
    reading = read('''
        """Moved: ``lib.old`` is now ``lib.stable.old``."""
        import importlib
        import warnings


        def __getattr__(name):
            warnings.warn(f"lib.old.{name} moved to lib.stable.old; removed in 0.4",
                          FutureWarning, stacklevel=2)
            return getattr(importlib.import_module("lib.stable.old"), name)
        ''', "lib/old.py", "lib.old")
    (shim,) = reading.shims
    assert reading.whole and (shim.rule, shim.new, shim.removal) == (
        "re-export module", "lib.stable.old", "0.4")


def test_an_unmarked_re_export_module_takes_its_version_from_the_warning():
    reading = read('''
        import warnings

        from lib.experimental.foo import *  # noqa: F403
        from lib.experimental.foo import Foo

        warnings.warn("lib.trainer.old is deprecated and will be removed in version 2.0.0",
                      DeprecationWarning)
        ''')
    (shim,) = reading.shims
    assert (shim.rule, shim.new, shim.removal, shim.source) == (
        "re-export module", "lib.experimental.foo", "2.0.0", "warning text")


def test_a_shim_inside_a_real_module_goes_alone():
    reading = read('''
        import warnings

        from ..experimental.winrate import WinRateCallback as _WinRateCallback


        class RichCallback:
            def on_log(self, logs):
                print(logs)


        class WinRateCallback(_WinRateCallback):
            def __init__(self, *args, **kwargs):
                warnings.warn("moved; removed in 0.29", FutureWarning)
                super().__init__(*args, **kwargs)
        ''')
    assert not reading.whole
    assert [s.name for s in reading.shims] == ["WinRateCallback"]


def test_what_warns_but_holds_real_code_or_says_no_version_is_unsure():
    reading = read('''
        import warnings

        from ..experimental.kto import KTOConfig as _KTOConfig
        from ..experimental.cpo import CPOTrainer as _CPOTrainer


        class KTOConfig(_KTOConfig):
            def __post_init__(self):
                warnings.warn("KTO lives in lib.experimental; this path will remain.",
                              FutureWarning)
                super().__post_init__()


        class CPOTrainer(_CPOTrainer):
            def __init__(self, *args, **kwargs):
                warnings.warn("moved; removed in 0.29", FutureWarning)
                super().__init__(*args, **kwargs)

            def train(self):
                return self.loop() + 1


        def helper(x):
            warnings.warn("helper's `y` is deprecated and will be removed in 0.29", FutureWarning)
            return x * 2
        ''')
    assert reading.shims == [] and not reading.whole
    assert [(u.what, u.removal, u.reason) for u in reading.unsure] == [
        ("lib.trainer.old.KTOConfig", None,
         "looks like a warning subclass but no text says when it goes"),
        ("lib.trainer.old.CPOTrainer", "0.29", "warns of removal but also holds real code"),
        ("lib.trainer.old.helper", "0.29", "warns of removal but also holds real code")]


def test_a_module_that_warns_at_import_but_defines_real_code_is_unsure():
    reading = read('''
        import warnings

        warnings.warn("lib.trainer.old will be removed in 0.29", FutureWarning)


        def real(x):
            return x + 1
        ''')
    assert reading.shims == [] and [u.reason for u in reading.unsure] == [
        "warns at import but also defines real code"]


def test_code_without_a_deprecation_warning_is_not_read_further():
    assert read('''
        import warnings


        class Plain(Base):
            def run(self):
                warnings.warn("slow", UserWarning)
        ''') is None


def _pep_702_shim() -> str:
    """The shim promote and demote write: ``if TYPE_CHECKING:`` stand-ins, a ``_MOVED``
    table and a warning ``__getattr__`` (see _shims.py), without its marker comment."""
    from fledge_promote.planning._shims import shim_source
    from fledge_promote.repository._style import TargetStyle

    text = shim_source(
        "lib.old", "lib.stable.old", {"lib.stable.old": ["Thing", "helper", "LIMIT"]},
        message="lib.old was promoted: import it from lib.stable.old. This shim will be "
                "removed in 0.4.0.", version="0.2.0", removal="0.4.0", style=TargetStyle(),
        texts={"lib.stable.old": "class Thing:\n    pass\n\n\ndef helper():\n    pass\n\n\n"
                                 "LIMIT = 3\n"})
    assert "if TYPE_CHECKING:" in text and "_MOVED = " in text and "@deprecated(" in text
    return "\n".join(line for line in text.splitlines() if "fledge-promote: shim" not in line)


def test_the_pep_702_shim_is_recognised_by_its_shape_not_its_marker():
    reading = read(_pep_702_shim(), "lib/old.py", "lib.old")
    assert reading.whole and reading.unsure == []
    (shim,) = reading.shims
    assert (shim.old, shim.new, shim.rule, shim.removal, shim.source) == (
        "lib.old", "lib.stable.old", "re-export module", "0.4.0", "warning text")
    assert shim.names == (("lib.old.LIMIT", "lib.stable.old.LIMIT"),
                          ("lib.old.Thing", "lib.stable.old.Thing"),
                          ("lib.old.helper", "lib.stable.old.helper"))


def test_real_code_in_either_branch_of_the_pep_702_shim_is_not_a_shim():
    shim = _pep_702_shim()
    # the run time's branch computes something: real code
    computed = shim.replace("    def __getattr__", "    TOTAL = sum(range(3))\n\n"
                                                   "    def __getattr__")
    # a stand-in with a body runs nothing, but is no stand-in: real code for type checkers
    bodied = shim.replace("class Thing(_old.Thing): ...",
                          "class Thing(_old.Thing):\n        size = 3")
    for text in (computed, bodied):
        assert text != shim
        reading = read(text, "lib/old.py", "lib.old")
        assert reading is None or not reading.whole and reading.shims == [], text
