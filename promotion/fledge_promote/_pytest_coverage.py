"""A pytest plugin that records line coverage of the experimental features, test by test, for
``promote check --coverage-data``.

Load it by name, so that plain ``python -m pytest`` runs stay as they are::

    python -m pytest -p fledge_promote._pytest_coverage --promote-coverage=build/promote.coverage

It measures the experimental package of ``[tool.fledge.promote]`` (or the folders given with
``--promote-coverage-source``) from before the first conftest is imported, names each test's
lines after its node id (``tests/plugins/x/test_a.py::test_b``), and writes the data file
when the session ends. Lines run at import time keep the empty context.

May import: ``repository``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_KEY = pytest.StashKey[object]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fledge-promote", "coverage for promote check --coverage-data")
    group.addoption("--promote-coverage", metavar="FILE", default=None,
                    help="record per-test line coverage of the experimental features in FILE")
    group.addoption("--promote-coverage-source", metavar="DIR", action="append", default=[],
                    help="a folder to measure (repeatable; default: the experimental package "
                         "of [tool.fledge.promote])")


def _sources(root: Path, given: list[str]) -> list[str]:
    if given:
        return [str((root / folder).resolve()) for folder in given]
    from .repository._config import load_config

    config, _ = load_config(root)
    return [str(root / config.experimental_dir)]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    options = early_config.known_args_namespace
    target = getattr(options, "promote_coverage", None)
    if not target:
        return
    import coverage

    root = Path(early_config.rootpath)
    data_file = Path(target) if Path(target).is_absolute() else Path.cwd() / target
    data_file.parent.mkdir(parents=True, exist_ok=True)
    cov = coverage.Coverage(data_file=str(data_file), config_file=False,
                            source=_sources(root, options.promote_coverage_source))
    cov.erase()
    cov.start()
    early_config.stash[_KEY] = cov


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    cov = item.config.stash.get(_KEY, None)
    if cov is None:
        return (yield)
    cov.switch_context(item.nodeid)
    try:
        return (yield)
    finally:
        cov.switch_context("")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    cov = config.stash.get(_KEY, None)
    if cov is None:
        return
    del config.stash[_KEY]
    cov.stop()
    cov.save()
