from codemod_helpers import same, transform

from fledge_promote.planning.pruning import RemoveShimExportsCommand

REMOVED = {"trl.trainer.callbacks.WinRateCallback", "trl.trainer.cpo_trainer.CPOTrainer",
           "trl.trainer.FDivergenceType"}


def command():
    return RemoveShimExportsCommand("trl.trainer", REMOVED, {"trl.trainer.cpo_trainer"})


def test_lazy_table_entries_and_type_checking_imports_of_removed_shims_go_with_their_comment():
    assert transform('''
        from typing import TYPE_CHECKING

        _import_structure = {
            "callbacks": [
                "RichCallback",
                "WeaveCallback",  # keeps its own comment
                "WinRateCallback",  # deprecated import
            ],
            "cpo_trainer": ["CPOTrainer"],  # deprecated import
            "dpo_config": ["DPOConfig", "FDivergenceType"],
        }

        if TYPE_CHECKING:
            from .callbacks import (
                RichCallback,
                WeaveCallback,
                WinRateCallback,  # deprecated import
            )
            from .cpo_trainer import CPOTrainer  # deprecated import
            from .dpo_config import DPOConfig
        else:
            import sys
        ''', command()) == same('''
        from typing import TYPE_CHECKING

        _import_structure = {
            "callbacks": [
                "RichCallback",
                "WeaveCallback",  # keeps its own comment
            ],
            "dpo_config": ["DPOConfig", "FDivergenceType"],
        }

        if TYPE_CHECKING:
            from .callbacks import (
                RichCallback,
                WeaveCallback,
            )
            from .dpo_config import DPOConfig
        else:
            import sys
        ''')


def test_a_key_whose_module_is_deleted_goes_even_unmarked_and_all_follows():
    assert transform('''
        from .cpo_trainer import CPOTrainer
        from .utils import pad

        _import_structure = {"cpo_trainer": [], "utils": ["pad"]}
        __all__ = ["FDivergenceType", "CPOTrainer", "pad"]
        ''', command()) == same('''
        from .utils import pad

        _import_structure = {"utils": ["pad"]}
        __all__ = ["CPOTrainer", "pad"]
        ''')


def test_a_type_checking_block_left_empty_gets_pass():
    assert transform('''
        if TYPE_CHECKING:
            from .cpo_trainer import CPOTrainer
        ''', command()) == same('''
        if TYPE_CHECKING:
            pass
        ''')


GETATTR = '''

        def __getattr__(name: str):
            if name in _DEPRECATED_IMPORTS:
                import importlib

                module = importlib.import_module(_DEPRECATED_IMPORTS[name], __name__)
                return getattr(module, name)
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        '''


def test_a_deprecated_imports_table_loses_the_entries_of_removed_shims():
    assert transform('''
        from .utils import pad


        # Moved names: imported from the shim at their old path when first used (it warns).
        _DEPRECATED_IMPORTS = {
            "CPOTrainer": ".cpo_trainer",  # deprecated import
            "WinRateCallback": ".judges",  # deprecated import
        }
        ''' + GETATTR, command()) == same('''
        from .utils import pad


        # Moved names: imported from the shim at their old path when first used (it warns).
        _DEPRECATED_IMPORTS = {
            "WinRateCallback": ".judges",  # deprecated import
        }
        ''' + GETATTR)


def test_an_emptied_deprecated_imports_table_goes_with_its_getattr():
    assert transform('''
        from .utils import pad


        # Moved names: imported from the shim at their old path when first used (it warns).
        _DEPRECATED_IMPORTS = {
            "CPOTrainer": ".cpo_trainer",  # deprecated import
        }
        ''' + GETATTR + '''

        def helper():
            return pad
        ''', command()) == same('''
        from .utils import pad


        def helper():
            return pad
        ''')
