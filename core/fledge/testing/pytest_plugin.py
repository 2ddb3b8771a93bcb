"""fledge's pytest plugin (entry point ``pytest11``): the testing kit's fixtures.

Installing fledge makes these fixtures available to every test suite, so a plugin author
tests offline with no conftest of their own. Importing this module stays light: fixtures
import torch only when a test asks for a training fixture.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fledge

from .plugins import PluginSite


@pytest.fixture
def fledge_site(tmp_path: Path) -> Iterator[PluginSite]:
    """A sample plugin site; ``fledge_site.registry()`` builds registries over it only.

    Use :func:`fledge.set_registry` (or the ``fledge_registry`` fixture) to make one the
    process-wide registry that ``fledge.experimental`` resolves through.
    """
    site = PluginSite(tmp_path / "site")
    previous = fledge.set_registry(None)
    yield site
    site.close()
    fledge.set_registry(previous)
    _forget_experimental_modules()


@pytest.fixture
def fledge_registry() -> Iterator[fledge.Registry]:
    """A fresh registry of the installed plugins, made the process-wide one for the test.

    The record of which features already warned is reset, so each test sees the
    experimental notice again; everything is restored afterwards.
    """
    from fledge._stability import _reset_warned

    _reset_warned()
    registry = fledge.Registry()
    previous = fledge.set_registry(registry)
    _forget_experimental_modules()
    yield registry
    fledge.set_registry(previous)
    _forget_experimental_modules()
    _reset_warned()


def _forget_experimental_modules() -> None:
    for name in list(sys.modules):
        if name.startswith("fledge.experimental."):
            del sys.modules[name]
    experimental = sys.modules.get("fledge.experimental")
    if experimental is not None:
        for name, value in list(vars(experimental).items()):
            if isinstance(value, experimental.FeatureModule):
                delattr(experimental, name)
