"""fledge's pytest plugin (entry point ``pytest11``): the testing kit's fixtures.

Installing fledge makes these fixtures available to every test suite, so a plugin author
tests offline with no conftest of their own. Importing this module stays light: fixtures
import torch only when a test asks for a training fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fledge

from .plugins import PluginSite, forget_experimental_modules, isolated_registry


@pytest.fixture
def fledge_site(tmp_path: Path) -> Iterator[PluginSite]:
    """A sample plugin site: ``add()`` writes distributions into it, ``registry()`` builds
    a registry over it only, ``install()`` also makes that registry the process-wide one
    that ``fledge.experimental`` resolves through. Everything is restored afterwards.
    """
    site = PluginSite(tmp_path / "site")
    previous = fledge.set_registry(None)
    forget_experimental_modules()
    yield site
    site.close()
    fledge.set_registry(previous)
    forget_experimental_modules()


@pytest.fixture
def fledge_registry() -> Iterator[fledge.Registry]:
    """A fresh registry of the installed plugins, made the process-wide one for the test.

    The record of which features already warned is reset, so each test sees the
    experimental notice again; everything is restored afterwards.
    """
    with isolated_registry() as registry:
        yield registry


# --- the offline training kit (torch is imported inside the fixtures, never at import) ---


@pytest.fixture
def tiny_tokenizer() -> Any:
    """A fresh copy of the kit's tokenizer (`fledge.testing.tiny_tokenizer`, seed 0).

    Built per test (it takes milliseconds), so a test may change its settings freely.
    """
    from fledge.testing.training import tiny_tokenizer as build

    return build()


@pytest.fixture
def tiny_model(tiny_tokenizer: Any) -> Any:
    """A fresh tiny Qwen2 causal LM (`fledge.testing.tiny_model`, seed 0) per test."""
    from fledge.testing.training import tiny_model as build

    return build(tokenizer=tiny_tokenizer)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the tiny model and its tokenizer (``save_pretrained``), built once.

    Load it with ``AutoModelForCausalLM.from_pretrained(tiny_model_path)``; do not write
    into it, other tests share it.
    """
    from fledge.testing.training import tiny_model as build
    from fledge.testing.training import tiny_tokenizer as build_tokenizer

    path = tmp_path_factory.mktemp("fledge-tiny-model")
    tokenizer = build_tokenizer()
    build(tokenizer=tokenizer).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def _fledge_hub_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fledge.testing.training import write_hub

    return write_hub(tmp_path_factory.mktemp("fledge-hub-cache"))


@pytest.fixture
def offline_hub(
    _fledge_hub_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh folder holding the kit's hub, made the current directory, offline mode on.

    ``trl-internal-testing/tiny-Qwen2ForCausalLM-2.5`` and ``trl-internal-testing/zen``
    resolve there, so hub-style code (``from_pretrained``, ``load_dataset``) runs unchanged.
    ``HF_HUB_OFFLINE`` and ``HF_DATASETS_OFFLINE`` are set (also in the already imported
    ``huggingface_hub`` and ``datasets``, which read them at import). The hub is written once
    per session and copied into each test's own folder, so a test may write beside it
    (``trainer_output``, say). On a machine without a bf16-capable accelerator, TRL's
    configs default to ``bf16=False`` for the test (TRL's default ``bf16=True`` is refused
    there). Directory, environment and defaults are restored afterwards.
    """
    from fledge.testing.offline import OFFLINE_ENVIRONMENT, offline_attributes

    root = tmp_path / "hub"
    shutil.copytree(_fledge_hub_cache, root)
    for variable, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(variable, value)
    for target, attribute, value in offline_attributes():
        monkeypatch.setattr(target, attribute, value)
    monkeypatch.chdir(root)
    yield root


@pytest.fixture(scope="session")
def preference_dataset() -> Any:
    """The kit's ``standard_preference`` train split (prompt, chosen, rejected; 17 rows)."""
    from fledge.testing.training import make_dataset

    return make_dataset("standard_preference")


@pytest.fixture(scope="session")
def prompt_only_dataset() -> Any:
    """The kit's ``standard_prompt_only`` train split (prompt; 17 rows)."""
    from fledge.testing.training import make_dataset

    return make_dataset("standard_prompt_only")
