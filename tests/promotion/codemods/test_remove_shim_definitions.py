from codemod_helpers import same, transform

from fledge_promote.planning.pruning import RemoveShimDefinitionsCommand


def test_a_shim_class_goes_with_the_imports_and_the_with_block_only_it_used():
    assert transform('''
        import logging
        import warnings

        from ..import_utils import is_weave_available, suppress_experimental_warning
        from .utils import pad


        with suppress_experimental_warning():
            from ..experimental.winrate_callback import WinRateCallback as _WinRateCallback

        logger = logging.getLogger(__name__)


        class RichCallback:
            def log(self):
                warnings.warn("rich is slow")
                return pad(is_weave_available())


        class WinRateCallback(_WinRateCallback):
            def __init__(self, *args, **kwargs):
                warnings.warn("moved; removed in 0.29", FutureWarning)
                super().__init__(*args, **kwargs)


        class LogCallback:
            pass
        ''', RemoveShimDefinitionsCommand({"WinRateCallback"})) == same('''
        import logging
        import warnings

        from ..import_utils import is_weave_available
        from .utils import pad

        logger = logging.getLogger(__name__)


        class RichCallback:
            def log(self):
                warnings.warn("rich is slow")
                return pad(is_weave_available())


        class LogCallback:
            pass
        ''')


def test_a_shim_function_and_its_all_entry_go_and_an_import_still_used_stays():
    assert transform('''
        import os
        import warnings

        from .experimental.merge import merge_models as _merge_models
        from .unused import nothing

        __all__ = ["keep", "merge_models"]


        def merge_models(*args, **kwargs):
            warnings.warn("removed in 0.29", FutureWarning)
            return _merge_models(*args, **kwargs)


        def keep():
            return _merge_models
        ''', RemoveShimDefinitionsCommand({"merge_models"})) == same('''
        import os

        from .experimental.merge import merge_models as _merge_models
        from .unused import nothing

        __all__ = ["keep"]


        def keep():
            return _merge_models
        ''')


def test_a_deprecated_alias_goes():
    assert transform('''
        from typing_extensions import deprecated

        from .new import Thing as _Thing

        Thing = deprecated("Thing moved; removed in 2.0", category=FutureWarning)(_Thing)
        OTHER = 1
        ''', RemoveShimDefinitionsCommand({"Thing"})) == same('''
        OTHER = 1
        ''')
