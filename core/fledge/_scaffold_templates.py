"""The files ``fledge new`` writes, as `string.Template`s filled by `fledge._scaffold`.

The generated tests hold at any stage: they read the feature's stage from the registry and
expect the notice that stage gives, so they keep passing when ``promote include`` and
``promote NAME`` move the feature into a library and on to its stable API.
"""

from __future__ import annotations

from string import Template

__all__ = ["DEMO", "FILES_FOR_FLEDGE", "FILES_FOR_HOST"]

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
is imported on the feature's first use.
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
    demo="$package.demo:run",
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
"""Tests of `$name`, offline, with the fixtures fledge's testing kit provides to pytest.

They hold at any stage: each reads the feature's stage from the registry and expects the
notice that stage gives, so they keep passing when the feature is promoted.
"""

from __future__ import annotations

import importlib
import warnings

import pytest

import fledge

#: The warning importing the feature gives at each stage (None: none at all).
NOTICE = {
    fledge.Stage.EXPERIMENTAL: fledge.ExperimentalWarning,
    fledge.Stage.STABLE: None,
    fledge.Stage.DEPRECATED: FutureWarning,
}


@pytest.fixture(autouse=True)
def _notice_not_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE"):
        monkeypatch.delenv(variable, raising=False)


def test_the_feature_is_registered(fledge_registry: fledge.Registry) -> None:
    record = fledge_registry.get("$name")
    assert record.status is fledge.Status.OK, record.problem
    assert record.feature.exports == ("$name",)
    assert record.feature.stage in NOTICE


def test_importing_it_gives_its_stage_notice_once(fledge_registry: fledge.Registry) -> None:
    expected = NOTICE[fledge_registry.get("$name").feature.stage]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from fledge.experimental.$name import $name
        from fledge.experimental.$name import $name as again  # no second notice
    notices = [w.category for w in caught if "$name" in str(w.message)]
    assert notices == ([expected] if expected else [])
    assert again is $name and callable($name)


def test_the_notice_can_be_silenced(fledge_registry: fledge.Registry) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fledge.silence_experimental("$name"):
            from fledge.experimental.$name import $name  # noqa: F401


def test_it_rewards_distinct_words(fledge_registry: fledge.Registry) -> None:
    with fledge.silence_experimental("$name"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a deprecated stage's notice
        from fledge.experimental.$name import $name
    rewards = $name(["one two three", "yes yes yes", ""])
    assert rewards == [1.0, pytest.approx(1 / 3), 0.0]
    conversational = [[{"role": "assistant", "content": "a b a b"}]]
    assert $name(conversational) == [0.5]


def test_the_demo_runs_offline(fledge_registry: fledge.Registry,
                               capsys: pytest.CaptureFixture[str]) -> None:
    module, _, function = fledge_registry.get("$name").feature.demo.partition(":")
    demo = getattr(importlib.import_module(module), function)
    assert demo(["a b c", "a a a"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1.000  a b c", "0.333  a a a"]
''')

_HOST_TEST = Template('''\
"""Tests of `$name`, offline, with fledge's testing kit, on the host `$namespace`.

They hold at any stage: each reads the feature's stage from the registry and expects the
notice that stage gives, so they keep passing when the feature is promoted.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator

import pytest

import fledge
from fledge.testing import isolated_registry

HOST = fledge.find_host("$namespace")

#: The warning importing the feature gives at each stage (None: none at all).
NOTICE = {
    fledge.Stage.EXPERIMENTAL: HOST.warning,
    fledge.Stage.STABLE: None,
    fledge.Stage.DEPRECATED: FutureWarning,
}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[fledge.Registry]:
    for variable in HOST.silence_variables:
        monkeypatch.delenv(variable, raising=False)
    with isolated_registry(HOST) as fresh:
        yield fresh


def test_the_feature_is_registered(registry: fledge.Registry) -> None:
    record = registry.get("$name")
    assert record.status is fledge.Status.OK, record.problem
    assert record.feature.exports == ("$name",)
    assert record.feature.stage in NOTICE


def test_importing_it_gives_its_stage_notice_once(registry: fledge.Registry) -> None:
    expected = NOTICE[registry.get("$name").feature.stage]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from $namespace.$name import $name
        from $namespace.$name import $name as again  # no second notice
    notices = [w.category for w in caught if "$name" in str(w.message)]
    assert notices == ([expected] if expected else [])
    assert again is $name and callable($name)


def test_the_notice_can_be_silenced(registry: fledge.Registry) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with HOST.silence("$name"):
            from $namespace.$name import $name  # noqa: F401


def test_it_rewards_distinct_words(registry: fledge.Registry) -> None:
    with HOST.silence("$name"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # a deprecated stage's notice
        from $namespace.$name import $name
    rewards = $name(["one two three", "yes yes yes", ""])
    assert rewards == [1.0, pytest.approx(1 / 3), 0.0]


def test_the_demo_runs_offline(registry: fledge.Registry,
                               capsys: pytest.CaptureFixture[str]) -> None:
    module, _, function = registry.get("$name").feature.demo.partition(":")
    demo = getattr(importlib.import_module(module), function)
    assert demo(["a b c", "a a a"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1.000  a b c", "0.333  a a a"]
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
$list_command          # shows $name
$demo_command          # scores a few sample completions, offline
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
$demo_command                    # the feature on a few samples, offline
python -m pytest               # the tests use fledge's testing kit, offline
```

Generated by `fledge new $name`; see `docs/$name.md`.
''')

DEMO = Template('''\
"""`$demo_command`: the rewards of a few completions, offline.

`$name` scores text and needs no model, so the demo loads none. Pass completions as
arguments to score your own: `$demo_command "one two three" "yes yes yes"`.
"""

from __future__ import annotations

import sys

from .core import $name

SAMPLES = [
    "The quick brown fox jumps over the lazy dog.",
    "yes yes yes yes",
    "a varied sentence, then a varied sentence again",
]


def run(argv: list[str]) -> int:
    """Print each completion's reward; the exit status (0) for `fledge demo`."""
    completions = argv or SAMPLES
    for reward, completion in zip($name(completions), completions, strict=True):
        sys.stdout.write(f"{reward:.3f}  {completion}\\n")  # not print: linters bar it
    return 0
''')

FILES_FOR_FLEDGE = {"pyproject.toml": _PYPROJECT, "README.md": _README,
                    "$package/__init__.py": _PLUGIN, "$package/core.py": _CORE,
                    "$package/demo.py": DEMO, "tests/test_$name.py": _TEST,
                    "docs/$name.md": _DOCS}
FILES_FOR_HOST = {**FILES_FOR_FLEDGE, "tests/test_$name.py": _HOST_TEST}
