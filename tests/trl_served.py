"""TRL's installed package, copied and served by ``fledge.Host`` as docs/adopting.md shows.

The installed ``trl`` package (real code, copied from site-packages at test time; nothing of
TRL is committed) is copied with its ``*.dist-info``; its ``trl/experimental/__init__.py`` is
replaced by the file docs/adopting.md shows, and the host is registered the way that page
says (an entry point in ``fledge.hosts``). Put the copy first on ``PYTHONPATH`` and
``--host trl`` finds it. Used by tests/core/test_trl_host.py and the doc-builder catalogue's
tests.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def documented_init() -> str:
    """The ``trl/experimental/__init__.py`` that docs/adopting.md shows."""
    page = (REPO / "docs" / "adopting.md").read_text()
    found = re.search(r'```python title="trl/experimental/__init__.py"\n(.*?)```', page, re.S)
    assert found, "docs/adopting.md must show trl/experimental/__init__.py"
    return found.group(1)


def served_trl_copy(root: Path) -> Path:
    """Copy the installed TRL into ``root`` and serve its namespace with fledge.

    Skips the test when TRL is not installed. Returns ``root``.
    """
    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("trl is not installed")
    source = Path(spec.submodule_search_locations[0])
    shutil.copytree(source, root / "trl", ignore=shutil.ignore_patterns("__pycache__"))
    infos = sorted(source.parent.glob("trl-*.dist-info"))
    assert infos, f"no trl-*.dist-info beside {source}"
    shutil.copytree(infos[-1], root / infos[-1].name)
    # What the adoption page asks of the library: the new __init__ and the registration.
    (root / "trl" / "experimental" / "__init__.py").write_text(documented_init())
    with (root / infos[-1].name / "entry_points.txt").open("a") as stream:
        stream.write("\n[fledge.hosts]\ntrl = trl.experimental:host\n")
    return root


def features_of(copy: Path) -> dict[str, Path]:
    """The feature subpackages of the copy's ``trl/experimental`` and their ``__init__.py``."""
    folder = copy / "trl" / "experimental"
    return {p.parent.name: p for p in sorted(folder.glob("*/__init__.py"))
            if not p.parent.name.startswith("_")}
