"""Reading the readiness verdicts that ``promote check --format json`` recorded.

The catalogue shows them, but the file is another tool's output, written at another time: it
is read defensively, and whatever cannot be understood shows as ``unknown``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Check", "Readiness", "UNKNOWN", "load_readiness"]

_PASS = frozenset({"pass", "passed", "ok", "ready", "success", "succeeded", "true"})
_FAIL = frozenset({"fail", "failed", "failure", "error", "not ready", "not-ready", "not_ready",
                   "false"})


@dataclass(frozen=True)
class Check:
    """One check of a readiness report, as the catalogue shows it."""

    name: str
    outcome: str
    message: str = ""
    fix: str = ""


@dataclass(frozen=True)
class Readiness:
    """What ``promote check`` last found: ``ready``, ``not ready`` or ``unknown``."""

    state: str
    detail: str = ""
    checks: tuple[Check, ...] = ()


UNKNOWN = Readiness("unknown", "no promote check report recorded for it")


#: What a reader is told the file should hold, when it holds something else.
EXPECTED_SHAPE = ('the JSON `promote check --format json` writes: {"features": [{"feature": '
                  'NAME, "ready": true|false, "results": [...]}, ...]}')


def load_readiness(path: Path, skipped: list[str] | None = None) -> dict[str, Readiness]:
    """Read the verdicts of a ``promote check --format json`` output file.

    The file is read defensively: a list of per-feature objects (``{"feature", "ready",
    "results": [{"check", "verdict", "reason", "fix"}]}`` or similar), one such object, an
    object mapping names to verdicts, or an object holding a list or mapping under
    ``features``, ``reports``, ``results`` or ``verdicts``.
    Entries it cannot make sense of are left out (their features show ``unknown``), each
    with the reason appended to ``skipped``, so that the caller can say so.

    Args:
        path: the file.
        skipped: when given, receives one sentence per entry left out (and one when the
            file holds no verdict at all).

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not JSON, or holds neither a list nor an object.
    """
    skipped = [] if skipped is None else skipped
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("feature"), str):
        data = [data]  # one feature's report
    for key in ("features", "reports", "results", "verdicts"):
        if isinstance(data, dict) and key in data:
            if not isinstance(data[key], (list, dict)):
                raise ValueError(f"its {key!r} is a JSON {_json_type(data[key])}, not a list "
                                 f"of per-feature objects; expected {EXPECTED_SHAPE}")
            data = data[key]
            break
    if isinstance(data, list):
        pairs = []
        for number, item in enumerate(data):
            if isinstance(item, dict):
                pairs.append((_entry_name(item), item, f"entry {number}"))
            else:
                skipped.append(f"entry {number} is a JSON {_json_type(item)}, not an object")
    elif isinstance(data, dict):
        pairs = [(name, verdict, f"entry {name!r}") for name, verdict in data.items()]
    else:
        raise ValueError(f"it holds a JSON {type(data).__name__}, not a list or an object")
    found: dict[str, Readiness] = {}
    for name, verdict, where in pairs:
        if not isinstance(name, str) or not name:
            skipped.append(f"{where} names no feature (no 'feature' or 'name' string)")
            continue
        readiness = _readiness(verdict)
        if readiness is None:
            skipped.append(f"{where} has no verdict that can be read (a 'ready' true/false, "
                           "a 'verdict' such as 'pass', or a 'checks' list)")
        else:
            found[name] = readiness
    if not found:
        skipped.append(f"it holds no feature's verdict; expected {EXPECTED_SHAPE}")
    return found


def _json_type(value: object) -> str:
    return {str: "string", bool: "boolean", int: "number", float: "number",
            list: "array", type(None): "null"}.get(type(value), type(value).__name__)


def _entry_name(item: Mapping[str, Any]) -> object:
    return item.get("feature", item.get("name"))


def _outcome(value: object) -> str | None:
    """``pass``, ``fail``, or the value's own word (``skip``...), from a bool or a string."""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, str) and value.strip():
        word = value.strip().lower()
        return "pass" if word in _PASS else "fail" if word in _FAIL else word
    return None


def _readiness(verdict: object) -> Readiness | None:
    if not isinstance(verdict, dict):
        outcome = _outcome(verdict)
        return None if outcome is None else Readiness(_state(outcome))
    checks = tuple(_checks(verdict.get("checks", verdict.get("results"))))
    outcome = None
    for key in ("ready", "passed", "ok", "verdict", "status", "result", "outcome"):
        outcome = _outcome(verdict.get(key))
        if outcome is not None:
            break
    if outcome is None and checks:
        outcome = "fail" if any(c.outcome == "fail" for c in checks) else "pass"
    if outcome is None:
        return None
    detail = ""
    if checks:
        passed = sum(c.outcome == "pass" for c in checks)
        failed = sum(c.outcome == "fail" for c in checks)
        detail = f"{passed} passed, {failed} failed, {len(checks) - passed - failed} other"
    return Readiness(_state(outcome), detail, checks)


def _state(outcome: str) -> str:
    return {"pass": "ready", "fail": "not ready"}.get(outcome, "unknown")


def _checks(value: object) -> Iterable[Check]:
    if not isinstance(value, (dict, list)):
        return
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, check in items:
        if isinstance(check, dict):
            name = check.get("name", check.get("check", key))
            outcome = next((o for o in (_outcome(check.get(k)) for k in
                                        ("verdict", "status", "outcome", "result", "passed",
                                         "ok"))
                            if o is not None), "unknown")
            message = check.get("reason", check.get("message")) or ""
            yield Check(str(name), outcome, str(message), str(check.get("fix") or ""))
        else:
            yield Check(str(key), _outcome(check) or "unknown")
