"""A git repository built from TRL 0.28.0's real package, just before its 0.29 shim sweep.

TRL 0.28.0's sdist (fetched once with ``pip download`` into ``build/trl-sdist/``, or the
folder named by ``FLEDGE_TRL_SDIST``) holds the shims TRL wrote by hand for removal in 0.29:
22 modules that only re-export from ``trl.experimental`` and warn, a shim class inside
``trl/trainer/callbacks.py``, and their ``# deprecated import`` entries in the package
``__init__``s. The copy's ``VERSION`` says ``0.29.0.dev0``, as TRL's main branch did while
0.29 was being developed. The docs, tests and example around it are written here (none of
TRL's prose is copied) and still use the deprecated paths, as users' code would.

Offline, without a cached sdist, :func:`build_trl_028_copy` returns None and the tests skip.
"""

from __future__ import annotations

from pathlib import Path

from trl_copy import TRL_LAYOUT_SECTION, build_release_copy

VERSION = "0.28.0"
DEVELOPING = "0.29.0.dev0"

#: The modules TRL 0.28.0 keeps only as shims due in 0.29 (read from the sdist by hand).
SHIM_MODULES = sorted([
    "trl/mergekit_utils.py",
    "trl/models/modeling_base.py",
    "trl/models/modeling_value_head.py",
    "trl/trainer/judges.py",
    *(f"trl/trainer/{name}_{kind}.py"
      for name in ("bco", "cpo", "gkd", "nash_md", "online_dpo", "orpo", "ppo", "prm", "xpo")
      for kind in ("config", "trainer")),
])
#: Shim classes and functions: one a module in the trainer pairs, eight judges, two value
#: head models, the model wrapper, mergekit's three, and WinRateCallback in callbacks.py.
SHIM_COUNT = 18 + 8 + 2 + 1 + 3 + 1

PROMOTE_SECTION = TRL_LAYOUT_SECTION

FILES = {
    "docs/source/_toctree.yml": """
        - sections:
          - local: index
            title: TRL
          title: Getting started
        - sections:
          - local: xpo_trainer
            title: XPO
          title: Experimental
        """,
    "docs/source/index.md": """
        # TRL

        Train with [XPO](xpo_trainer). Judges such as `trl.trainer.judges.PairRMJudge` rank
        completions.
        """,
    "docs/source/xpo_trainer.md": """
        # XPO Trainer

        The XPO trainer lives in `trl.experimental.xpo`; older code imported it from the top.

        ```python
        from trl import XPOConfig, XPOTrainer
        from trl.trainer.judges import PairRMJudge

        config = XPOConfig(output_dir="xpo-model")
        trainer = XPOTrainer(model=model, judge=PairRMJudge(), args=config)
        ```

        ## XPOTrainer

        [[autodoc]] XPOTrainer

        It takes a judge such as [`PairRMJudge`].
        """,
    "examples/scripts/merge.py": """
        from trl.mergekit_utils import MergeConfig, merge_models


        def merge(path: str) -> None:
            merge_models(MergeConfig("linear"), path)
        """,
    "tests/__init__.py": "",
    "tests/test_old_paths.py": """
        from trl import GRPOConfig, PPOConfig
        from trl.trainer.callbacks import RichProgressCallback, WinRateCallback


        def test_the_callbacks_are_classes():
            assert isinstance(RichProgressCallback, type) and isinstance(WinRateCallback, type)


        def test_configs_are_dataclasses():
            assert GRPOConfig.__dataclass_fields__ and PPOConfig.__dataclass_fields__
        """,
}


def build_trl_028_copy(root: Path) -> Path | None:
    """A git repository at ``root`` from TRL 0.28.0's sdist; None when it cannot be had."""
    return build_release_copy(root, VERSION, DEVELOPING, PROMOTE_SECTION, FILES)


#: Run before importing the copy: TRL 0.28's ``import_utils`` takes transformers 4's
#: ``_is_package_available`` (a bool); transformers 5, installed here, returns a tuple, so
#: every optional package looks present. The copy's own reference is pointed at a wrapper.
IMPORT_COMPAT = """
import trl.import_utils as _trl_import_utils
from transformers.utils.import_utils import _is_package_available as _available


def _is_package_available(name, return_version=False):
    return _available(name) if return_version else _available(name)[0]


_trl_import_utils._is_package_available = _is_package_available
"""
