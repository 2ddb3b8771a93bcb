import subprocess
import sys
import textwrap

import pytest
from codemod_helpers import same, transform

from fledge_promote.planning.codemods import DeprecateExportsCommand, run_commands

# trl/trainer/__init__.py after cpo_config.py and cpo_trainer.py became shims
TRAINER = DeprecateExportsCommand({"CPOConfig": "cpo_config", "CPOTrainer": "cpo_trainer"},
                                  {"cpo_config", "cpo_trainer"})
# trl/__init__.py: the same names, listed under "trainer"
TOP = DeprecateExportsCommand({"CPOConfig": "trainer.cpo_config",
                               "CPOTrainer": "trainer.cpo_trainer"},
                              {"trainer.cpo_config", "trainer.cpo_trainer"})


def test_an_entry_whose_module_is_a_shim_now_stays_marked():
    assert transform("""
        _import_structure = {
            "bco_trainer": ["BCOTrainer"],
            "cpo_config": ["CPOConfig"],
            "cpo_trainer": ["CPOTrainer"],
            "dpo_config": ["DPOConfig", "FDivergenceType"],
        }

        if TYPE_CHECKING:
            from .bco_trainer import BCOTrainer
            from .cpo_config import CPOConfig
            from .cpo_trainer import CPOTrainer
            from .dpo_config import DPOConfig, FDivergenceType
        """, TRAINER) == same("""
        _import_structure = {
            "bco_trainer": ["BCOTrainer"],
            "cpo_config": ["CPOConfig"],  # deprecated import
            "cpo_trainer": ["CPOTrainer"],  # deprecated import
            "dpo_config": ["DPOConfig", "FDivergenceType"],
        }

        if TYPE_CHECKING:
            from .bco_trainer import BCOTrainer
            from .cpo_config import CPOConfig  # deprecated import
            from .cpo_trainer import CPOTrainer  # deprecated import
            from .dpo_config import DPOConfig, FDivergenceType
        """)


def test_names_under_another_key_get_entries_pointing_at_their_shims():
    assert transform("""
        _import_structure = {
            "scripts": ["TrlParser"],
            "trainer": [
                "BCOTrainer",
                "CPOConfig",
                "CPOTrainer",
                "DPOTrainer",
            ],
            "trainer.callbacks": ["RichProgressCallback"],
        }

        if TYPE_CHECKING:
            from .scripts import TrlParser
            from .trainer import (
                BCOTrainer,
                CPOConfig,
                CPOTrainer,
                DPOTrainer,
            )
            from .trainer.callbacks import RichProgressCallback
            from .trainer.utils import get_peft_config
        """, TOP) == same("""
        _import_structure = {
            "scripts": ["TrlParser"],
            "trainer": [
                "BCOTrainer",
                "DPOTrainer",
            ],
            "trainer.callbacks": ["RichProgressCallback"],
            "trainer.cpo_config": ["CPOConfig"],  # deprecated import
            "trainer.cpo_trainer": ["CPOTrainer"],  # deprecated import
        }

        if TYPE_CHECKING:
            from .scripts import TrlParser
            from .trainer import (
                BCOTrainer,
                DPOTrainer,
            )
            from .trainer.callbacks import RichProgressCallback
            from .trainer.cpo_config import CPOConfig  # deprecated import
            from .trainer.cpo_trainer import CPOTrainer  # deprecated import
            from .trainer.utils import get_peft_config
        """)


def test_a_key_left_empty_goes():
    assert transform("""
        _import_structure = {
            "api": ["count_words"],
            "trainer": ["CPOConfig", "CPOTrainer"],
        }
        """, TOP) == same("""
        _import_structure = {
            "api": ["count_words"],
            "trainer.cpo_config": ["CPOConfig"],  # deprecated import
            "trainer.cpo_trainer": ["CPOTrainer"],  # deprecated import
        }
        """)


def test_a_last_entry_without_a_trailing_comma_is_marked_in_place():
    assert transform("""
        _import_structure = {
            "bco_trainer": ["BCOTrainer"],
            "cpo_trainer": ["CPOTrainer"]
        }
        """, TRAINER) == same("""
        _import_structure = {
            "bco_trainer": ["BCOTrainer"],
            "cpo_trainer": ["CPOTrainer"],  # deprecated import
        }
        """)


EAGER = """
    \"\"\"A package that imports its names eagerly.\"\"\"
    from .base import Base
    from .cpo_trainer import CPOTrainer, cpo_loss

    __all__ = ["Base", "CPOTrainer", "cpo_loss"]
    """


def test_an_eager_import_becomes_a_lazy_deprecated_one():
    after = transform(EAGER, DeprecateExportsCommand({"CPOTrainer": "cpo_trainer"},
                                                     {"cpo_trainer"}))
    assert after == same("""
        \"\"\"A package that imports its names eagerly.\"\"\"
        from .base import Base
        from .cpo_trainer import cpo_loss

        __all__ = ["Base", "CPOTrainer", "cpo_loss"]


        # Moved names: imported from the shim at their old path when first used (it warns).
        _DEPRECATED_IMPORTS = {
            "CPOTrainer": ".cpo_trainer",  # deprecated import
        }


        def __getattr__(name: str):
            if name in _DEPRECATED_IMPORTS:
                import importlib

                module = importlib.import_module(_DEPRECATED_IMPORTS[name], __name__)
                return getattr(module, name)
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        """)


def test_the_lazy_table_imports_on_first_use_only(tmp_path):
    """A real package: ``import pkg`` warns nothing, ``from pkg import CPOTrainer`` imports
    the shim, which warns, and gives its class."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    before = "from .base import Base\nfrom .cpo_trainer import CPOTrainer\n"
    (pkg / "__init__.py").write_text(transform(before, DeprecateExportsCommand(
        {"CPOTrainer": "cpo_trainer"}, {"cpo_trainer"})))
    (pkg / "base.py").write_text("class Base:\n    pass\n")
    (pkg / "cpo_trainer.py").write_text(
        "import warnings\n\nwarnings.warn('pkg.cpo_trainer moved', FutureWarning, stacklevel=2)"
        "\n\n\nclass CPOTrainer:\n    pass\n")
    code = textwrap.dedent("""
        import warnings
        warnings.simplefilter("error")
        import pkg
        assert pkg.Base
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from pkg import CPOTrainer
        print([str(w.message) for w in caught], CPOTrainer.__name__)
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "['pkg.cpo_trainer moved'] CPOTrainer" in done.stdout


def test_a_package_with_its_own_getattr_is_refused():
    source = textwrap.dedent(EAGER) + "\n\ndef __getattr__(name):\n    raise AttributeError(name)\n"
    result = run_commands("pkg/__init__.py", source, [DeprecateExportsCommand(
        {"CPOTrainer": "cpo_trainer"}, {"cpo_trainer"})])
    assert result.status == "failed"
    assert "defines its own __getattr__" in result.reason


@pytest.mark.parametrize("source", [
    "from .trainer import DPOTrainer\n",
    '_import_structure = {"trainer": ["DPOTrainer"]}\n',
])
def test_a_package_without_the_names_is_left_alone(source):
    assert transform(source, TOP) == source


@pytest.mark.parametrize("source", [
    '_import_structure = {"cpo_trainer": ["CPOTrainer"], "dpo": ["DPOTrainer"]}\n',
    '_import_structure = {"dpo": ["DPOTrainer"], "cpo_trainer": ["CPOTrainer"]}\n',
    '_import_structure = {"trainer": ["CPOTrainer", "DPOTrainer"]}\n',
])
def test_a_table_on_one_line_stays_valid_and_marked(source):
    after = transform(source, DeprecateExportsCommand(
        {"CPOTrainer": "cpo_trainer"}, {"cpo_trainer"}))
    scope: dict = {}
    exec(compile(after, "__init__.py", "exec", dont_inherit=True), scope)
    assert scope["_import_structure"]["cpo_trainer"] == ["CPOTrainer"]
    assert "DPOTrainer" in str(scope["_import_structure"])
    assert '"cpo_trainer": ["CPOTrainer"],  # deprecated import' in after
