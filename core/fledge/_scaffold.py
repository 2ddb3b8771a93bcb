"""``fledge new NAME``: scaffold a third-party plugin package for a new feature.

The package it writes works as it is: ``pip install`` it and ``fledge list`` shows the
feature, ``fledge.experimental.NAME`` imports it, and its tests pass with the testing kit's
fixtures. The author then replaces the sample implementation with theirs.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from string import Template

from . import __version__
from ._errors import ManifestError
from ._manifest import Feature

__all__ = ["scaffold", "scaffold_command"]

_HOST_PACKAGES = frozenset({"fledge_plugins", "fledge_promote"})

_PYPROJECT = Template('''\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "$dist"
version = "0.1.0"
description = "$summary"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["fledge>=$fledge_version"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This is how fledge finds the plugin: an entry point in the "fledge" group naming the
# plugin's light module.
[project.entry-points.fledge]
$name = "$package"

[tool.hatch.build.targets.wheel]
packages = ["$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
''')

_PLUGIN = Template('''\
"""The plugin's light module: the manifest of `$name` and its hook, nothing heavy.

fledge imports this module whenever it lists features (`fledge list`, the docs catalogue),
so it must stay cheap: no torch, no transformers. The implementation lives in `core.py` and
is imported on first use of `fledge.experimental.$name`.
"""

from __future__ import annotations

import fledge

FEATURE = fledge.Feature(
    name="$name",
    summary="$summary",
    module="$package.core",
    exports=("$name",),
    since="0.1.0",
    owners=($owner,),
    requires={"fledge": ">=$fledge_version"},
    docs="docs/$name.md",
    tests=("tests/test_$name.py",),
)


@fledge.hookimpl
def fledge_features() -> list[fledge.Feature]:
    return [FEATURE]
''')

_CORE = Template('''\
"""The implementation of `$name`: a reward function in the shape TRL's trainers call.

Replace it with your feature; keep the names listed in the manifest's `exports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _text(completion: Any) -> str:
    # TRL passes strings (standard format) or lists of {"role", "content"} (conversational).
    if isinstance(completion, str):
        return completion
    return " ".join(str(message.get("content", "")) for message in completion)


def $name(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """Reward each completion by the share of its words that are distinct (1.0: no repeats).

    Args:
        completions: the generated completions, strings or lists of messages.
        **kwargs: the other columns TRL passes (prompts, ...); unused.

    Returns:
        One reward in [0, 1] per completion; an empty completion gets 0.0.
    """
    rewards = []
    for completion in completions:
        words = _text(completion).split()
        rewards.append(len(set(words)) / len(words) if words else 0.0)
    return rewards
''')

_TEST = Template('''\
"""Tests of `$name`, offline, with the fixtures fledge's testing kit provides to pytest."""

from __future__ import annotations

import warnings

import pytest

import fledge


@pytest.fixture(autouse=True)
def _notice_not_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE"):
        monkeypatch.delenv(variable, raising=False)


def test_the_feature_is_registered(fledge_registry: fledge.Registry) -> None:
    record = fledge_registry.get("$name")
    assert record.status is fledge.Status.OK, record.problem
    assert record.distribution == "$dist"
    assert record.feature.stage is fledge.Stage.EXPERIMENTAL


def test_importing_it_warns_once(fledge_registry: fledge.Registry) -> None:
    with pytest.warns(fledge.ExperimentalWarning, match="fledge.experimental.$name"):
        from fledge.experimental.$name import $name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second notice would fail here
        from fledge.experimental.$name import $name as again
    assert again is $name


def test_the_notice_can_be_silenced(fledge_registry: fledge.Registry) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fledge.silence_experimental("$name"):
            from fledge.experimental.$name import $name  # noqa: F401


def test_it_rewards_distinct_words(fledge_registry: fledge.Registry) -> None:
    with fledge.silence_experimental("$name"):
        from fledge.experimental.$name import $name
    rewards = $name(["one two three", "yes yes yes", ""])
    assert rewards == [1.0, pytest.approx(1 / 3), 0.0]
    conversational = [[{"role": "assistant", "content": "a b a b"}]]
    assert $name(conversational) == [0.5]
''')

_DOCS = Template('''\
# $name

$summary

!!! warning "Experimental"
    `$name` lives in `fledge.experimental`: its API may change in any release. Importing it
    shows a notice once; `FLEDGE_EXPERIMENTAL_SILENCE=$name` silences it.

## Install

```bash
pip install $dist
fledge list          # shows $name, from $dist 0.1.0
```

## Use

```python
from fledge.experimental.$name import $name

print($name(["one two three", "yes yes yes"]))  # [1.0, 0.333...]
```

`$name` takes the completions and returns one reward per completion, as TRL's trainers
expect of `reward_funcs`.

## Parameters

| Parameter | Meaning |
| --- | --- |
| `completions` | The generated completions: strings, or lists of `{"role", "content"}` messages. |
| `**kwargs` | The other dataset columns TRL passes; unused. |
''')

_README = Template('''\
# $dist

A fledge plugin providing the experimental feature `$name`: $summary

```bash
pip install -e .
fledge list                    # shows $name
python -m pytest               # the tests use fledge's testing kit, offline
```

Generated by `fledge new $name`; see `docs/$name.md`.
''')


def _validate(name: str) -> None:
    """Raise `ManifestError` when ``name`` cannot name a feature (same rules)."""
    Feature(name=name, summary="x", module=f"fledge_{name}.core", exports=(name,), since="0.1.0")
    if f"fledge_{name}" in _HOST_PACKAGES:
        raise ManifestError(
            "name", f"must not make the package name 'fledge_{name}', which belongs to fledge",
            name, feature=name,
        )


def scaffold(name: str, directory: Path, *, force: bool = False) -> list[Path]:
    """Write the plugin package for feature ``name`` into ``directory``.

    Args:
        name: the feature's name (a Python identifier, not reserved by the host).
        directory: the package's folder; created when missing.
        force: write into a non-empty folder, replacing the files of the same names.

    Returns:
        The files written, relative to ``directory``.

    Raises:
        ManifestError: ``name`` is not a valid feature name.
        FileExistsError: ``directory`` holds files and ``force`` is false, or is a file.
    """
    _validate(name)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} is a file, not a folder; choose another --directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise FileExistsError(
            f"{directory} is not empty; choose another --directory, or pass --force to write "
            "the package's files into it (files of the same names are replaced)"
        )
    package = f"fledge_{name}"
    summary = f"Reward completions by the share of distinct words they use ({name})."
    values = {
        "name": name,
        "dist": f"fledge-{name.replace('_', '-').lower()}",
        "package": package,
        "summary": summary,
        "owner": json.dumps(_owner()),
        "fledge_version": __version__,
    }
    files = {
        Path("pyproject.toml"): _PYPROJECT,
        Path("README.md"): _README,
        Path(package, "__init__.py"): _PLUGIN,
        Path(package, "core.py"): _CORE,
        Path("tests", f"test_{name}.py"): _TEST,
        Path("docs", f"{name}.md"): _DOCS,
    }
    for relative, template in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.substitute(values), encoding="utf-8")
    return list(files)


def _owner() -> str:
    try:
        return getpass.getuser() or "you"
    except (OSError, KeyError, ImportError):  # no user name in this environment
        return "you"


def scaffold_command(args: argparse.Namespace) -> int:
    """Run ``fledge new``: scaffold, then print what was written and what to do next."""
    name: str = args.name
    directory = Path(args.directory or f"fledge-{name.replace('_', '-').lower()}")
    try:
        written = scaffold(name, directory, force=args.force)
    except ManifestError as exc:
        hint = ""
        if "-" in name and name.replace("-", "_").isidentifier():
            hint = f" (try {name.replace('-', '_')!r})"
        print(f"fledge new: invalid feature name: {exc}{hint}", file=sys.stderr)
        return 2
    except (FileExistsError, OSError) as exc:
        print(f"fledge new: {exc}", file=sys.stderr)
        return 2
    dist = f"fledge-{name.replace('_', '-').lower()}"
    if args.json:
        print(json.dumps({
            "name": name, "distribution": dist, "package": f"fledge_{name}",
            "directory": str(directory), "files": [p.as_posix() for p in written],
        }, indent=2))
        return 0
    print(f"Created {dist} in {directory}:")
    for path in written:
        print(f"  {path.as_posix()}")
    print("\nNext:")
    print(f"  pip install -e {directory}")
    print(f"  fledge list                  # shows {name}")
    print(f"  python -m pytest {directory / 'tests'}")
    return 0
