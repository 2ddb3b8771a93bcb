"""Outside prototypes for the include tests: TRL's real ``trl-cgrpo`` and a plain source tree.

``trl-cgrpo`` 0.2.0 (PyPI) is a ``GRPOTrainer`` subclass in its own repository: package
``trl_cgrpo``, a readme inside the package, the MIT licence, no fledge entry point and no
tests in its sdist. Its sdist is fetched once with ``pip download`` into ``build/cgrpo-sdist/``
(or the folder ``FLEDGE_CGRPO_SDIST`` names) and unpacked at test time; None offline, and
the tests skip saying so. None of its code is committed here.

The plain source tree is written here: a ``src/`` layout, absolute imports of its own
package, tests, a root ``README.md``, the Apache-2.0 licence (TRL's), no entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CGRPO = "trl-cgrpo"
CGRPO_VERSION = "0.2.0"


def cgrpo_sdist() -> Path | None:
    """The sdist of trl-cgrpo 0.2.0: the cached copy, else fetched once; None when offline."""
    cache = Path(os.environ.get("FLEDGE_CGRPO_SDIST") or REPO / "build" / "cgrpo-sdist")
    found = cache / f"trl_cgrpo-{CGRPO_VERSION}.tar.gz"
    if found.is_file():
        return found
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", f"{CGRPO}=={CGRPO_VERSION}", "-d", str(cache), "-q"],
                       check=True, capture_output=True, timeout=180)
    except (subprocess.SubprocessError, OSError):
        return None
    return found if found.is_file() else None


def unpack_cgrpo(archive: Path, into: Path) -> Path:
    """The sdist's source tree under ``into``: what a checkout of its repository holds."""
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / f"trl_cgrpo-{CGRPO_VERSION}"


PLAIN_TREE = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "trl-length-penalty"
        version = "0.1.0"
        description = "Penalise completions longer than a budget, as a GRPO reward."
        license = "Apache-2.0"
        readme = "README.md"
        authors = [{ name = "Ada Example" }]
        dependencies = ["trl>=1.12", "datasets", "scipy>=1.10"]

        [project.urls]
        Repository = "https://github.com/example/trl-length-penalty"
        """,
    "README.md": """
        # Length penalty

        A GRPO reward that penalises completions over a token budget.

        ```python
        from trl_length_penalty import LengthPenalty

        reward = LengthPenalty(budget=3)
        print(reward(["a b", "a b c d e"]))
        ```

        The scoring lives in `trl_length_penalty.scoring.overflow`; see the
        [example](examples/train.py "a training script").
        """,
    "src/trl_length_penalty/__init__.py": '''
        """A GRPO reward that penalises completions over a token budget."""

        from trl_length_penalty.reward import LengthPenalty

        __all__ = ["LengthPenalty"]
        ''',
    "src/trl_length_penalty/scoring.py": '''
        def overflow(text: str, budget: int) -> int:
            """How many whitespace tokens ``text`` has beyond ``budget``."""
            return max(0, len(text.split()) - budget)
        ''',
    "src/trl_length_penalty/reward.py": '''
        from trl.trainer.grpo_config import GRPOConfig
        from trl_length_penalty.scoring import overflow


        class LengthPenalty:
            """Reward ``-overflow``; its config defaults follow ``GRPOConfig``."""

            __name__ = "length_penalty"

            def __init__(self, budget: int = 16) -> None:
                self.budget = budget
                self.config_class = GRPOConfig

            def __call__(self, completions, **kwargs) -> list[float]:
                return [-float(overflow(c, self.budget)) for c in completions]
        ''',
    "tests/__init__.py": "",
    "tests/test_length_penalty.py": '''
        from trl_length_penalty import LengthPenalty
        from trl_length_penalty.scoring import overflow


        def test_overflow_counts_tokens_beyond_the_budget():
            assert overflow("a b c d", 2) == 2
            assert overflow("a", 2) == 0


        def test_the_reward_is_the_negative_overflow():
            assert LengthPenalty(budget=3)(["a b", "a b c d e"]) == [0.0, -2.0]
        ''',
}


def write_plain_tree(root: Path) -> Path:
    """The plain (non-plugin) prototype's source tree at ``root``."""
    for rel, text in PLAIN_TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root
