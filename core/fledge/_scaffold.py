"""``fledge new NAME``: scaffold a third-party plugin package for a new feature.

The package it writes works as it is: ``pip install`` it and ``fledge list`` shows the
feature, ``fledge.experimental.NAME`` imports it, and its tests pass with the testing kit's
fixtures. The author then replaces the sample implementation with theirs. With ``--host``,
the plugin is another host's: its entry point group, its namespace, its notice.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from . import __version__
from ._errors import ManifestError
from ._manifest import Feature

if TYPE_CHECKING:
    from ._host import Host

__all__ = ["scaffold", "scaffold_command"]

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
dependencies = ["fledge>=$fledge_version"$host_dependency]

[project.optional-dependencies]
test = ["pytest>=8"]

# This is how fledge finds the plugin: an entry point in the "$group" group naming the
# plugin's light module.
[project.entry-points.$group_key]
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
is imported on first use of `$namespace.$name`.
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

_HOST_TEST = Template('''\
"""Tests of `$name`, offline, with fledge's testing kit, on the host `$namespace`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

import fledge
from fledge.testing import isolated_registry

HOST = fledge.find_host("$namespace")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[fledge.Registry]:
    for variable in HOST.silence_variables:
        monkeypatch.delenv(variable, raising=False)
    with isolated_registry(HOST) as fresh:
        yield fresh


def test_the_feature_is_registered(registry: fledge.Registry) -> None:
    record = registry.get("$name")
    assert record.status is fledge.Status.OK, record.problem
    assert record.distribution == "$dist"
    assert record.import_path == "$namespace.$name"


def test_importing_it_warns_once(registry: fledge.Registry) -> None:
    with pytest.warns(HOST.warning, match="$namespace.$name"):
        from $namespace.$name import $name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second notice would fail here
        from $namespace.$name import $name as again
    assert again is $name


def test_the_notice_can_be_silenced(registry: fledge.Registry) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with HOST.silence("$name"):
            from $namespace.$name import $name  # noqa: F401


def test_it_rewards_distinct_words(registry: fledge.Registry) -> None:
    with HOST.silence("$name"):
        from $namespace.$name import $name
    rewards = $name(["one two three", "yes yes yes", ""])
    assert rewards == [1.0, pytest.approx(1 / 3), 0.0]
''')

_DOCS = Template('''\
# $name

$summary

!!! warning "Experimental"
    `$name` lives in `$namespace`: its API may change in any release. Importing it
    shows a notice once; `$silence=$name` silences it.

## Install

```bash
pip install $dist
$list_command          # shows $name, from $dist 0.1.0
```

## Use

```python
from $namespace.$name import $name

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
$list_command                    # shows $name
python -m pytest               # the tests use fledge's testing kit, offline
```

Generated by `fledge new $name`; see `docs/$name.md`.
''')


def _fledge_host() -> Host:
    from ._fledge_host import host

    return host


def _names(name: str, host: Host) -> tuple[str, str]:
    """The distribution and package names of feature ``name``'s plugin for ``host``."""
    prefix = host.name.replace("-", "_").lower()
    return f"{prefix.replace('_', '-')}-{name.replace('_', '-').lower()}", f"{prefix}_{name}"


def _validate(name: str, host: Host) -> None:
    """Raise `ManifestError` when ``name`` cannot name a feature (same rules)."""
    package = _names(name, host)[1] if name.isidentifier() else f"x_{name}"
    Feature(name=name, summary="x", module=f"{package}.core", exports=(name,), since="0.1.0")
    if name in host.reserved:
        raise ManifestError("name", f"must not be one {host.namespace} reserves "
                            f"({', '.join(sorted(host.reserved))})", name, feature=name)
    if any(package == q or package.startswith(q + ".") for q in host.quiet):
        raise ManifestError(
            "name", f"must not make the package name {package!r}, which belongs to "
            f"{host.distribution}", name, feature=name,
        )


def scaffold(name: str, directory: Path, *, force: bool = False,
             host: Host | None = None) -> list[Path]:
    """Write the plugin package for feature ``name`` into ``directory``.

    Args:
        name: the feature's name (a Python identifier, not reserved by the host).
        directory: the package's folder; created when missing.
        force: write into a non-empty folder, replacing the files of the same names.
        host: the host the plugin is for (its entry point group, its namespace); by
            default fledge's own.

    Returns:
        The files written, relative to ``directory``.

    Raises:
        ManifestError: ``name`` is not a valid feature name.
        FileExistsError: ``directory`` holds files and ``force`` is false, or is a file.
    """
    host = host or _fledge_host()
    _validate(name, host)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} is a file, not a folder; choose another --directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise FileExistsError(
            f"{directory} is not empty; choose another --directory, or pass --force to write "
            "the package's files into it (files of the same names are replaced)"
        )
    dist, package = _names(name, host)
    summary = f"Reward completions by the share of distinct words they use ({name})."
    own = host.is_fledge
    values = {
        "name": name,
        "dist": dist,
        "package": package,
        "summary": summary,
        "owner": json.dumps(_owner()),
        "fledge_version": __version__,
        "namespace": host.namespace,
        "group": host.group,
        "group_key": host.group if host.group.isidentifier() else json.dumps(host.group),
        "host_dependency": "" if own else f", {json.dumps(host.distribution)}",
        "silence": host.silence_variables[0] if host.silence_variables else "",
        "list_command": host.command("list"),
    }
    files = {
        Path("pyproject.toml"): _PYPROJECT,
        Path("README.md"): _README,
        Path(package, "__init__.py"): _PLUGIN,
        Path(package, "core.py"): _CORE,
        Path("tests", f"test_{name}.py"): _TEST if own else _HOST_TEST,
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


def scaffold_command(args: argparse.Namespace, host: Host | None = None) -> int:
    """Run ``fledge new``: scaffold, then print what was written and what to do next."""
    name: str = args.name
    host = host or _fledge_host()
    dist, package = _names(name, host) if name.isidentifier() else (name, name)
    directory = Path(args.directory or dist)
    try:
        written = scaffold(name, directory, force=args.force, host=host)
    except ManifestError as exc:
        hint = ""
        if "-" in name and name.replace("-", "_").isidentifier():
            hint = f" (try {name.replace('-', '_')!r})"
        print(f"fledge new: invalid feature name: {exc}{hint}", file=sys.stderr)
        return 2
    except (FileExistsError, OSError) as exc:
        print(f"fledge new: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {"name": name, "distribution": dist, "package": package,
               "directory": str(directory), "files": [p.as_posix() for p in written]}
        if not host.is_fledge:
            out.update(host=host.name, namespace=host.namespace, group=host.group)
        print(json.dumps(out, indent=2))
        return 0
    print(f"Created {dist} in {directory}:")
    for path in written:
        print(f"  {path.as_posix()}")
    print("\nNext:")
    print(f"  pip install -e {directory}")
    print(f"  {host.command('list'):<28} # shows {name}")
    print(f"  python -m pytest {directory / 'tests'}")
    return 0
