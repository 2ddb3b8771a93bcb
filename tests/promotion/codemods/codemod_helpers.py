"""Before/after helpers for the codemod tests."""

from __future__ import annotations

import textwrap

from fledge_promote.planning._paths import DottedMap
from fledge_promote.planning.codemods import run_commands

MAPPING = DottedMap([("trl.experimental.foo", "trl.trainer.foo"),
                     ("tests.experimental.test_foo", "tests.test_foo")])


def transform(before: str, *commands) -> str:
    result = run_commands("example.py", textwrap.dedent(before), commands)
    assert result.status in ("changed", "unchanged"), result.reason
    return result.code if result.status == "changed" else textwrap.dedent(before)


def same(text: str) -> str:
    return textwrap.dedent(text)
