"""Reading the key columns of a ``promote report --format json`` file for the catalogue.

Like the readiness file, it is another tool's output, written at another time: it is read
defensively, and whatever is missing or cannot be understood shows as "no data".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["NO_DATA", "Evidence", "load_evidence"]

NO_DATA = "no data"


@dataclass(frozen=True)
class Evidence:
    """What the last ``promote report`` found about one feature, in words for the catalogue.

    Attributes:
        age: days since it landed, with the date (``412 days (since 2025-03-02)``).
        last_own_work: the date of its last own-work commit, or ``never``.
        owner: its most recent own-work author (and CODEOWNERS), or "no data".
        usage: runs in the report's usage window, or "no data".
    """

    age: str = NO_DATA
    last_own_work: str = NO_DATA
    owner: str = NO_DATA
    usage: str = NO_DATA


#: Shown for a feature the report does not mention.
UNREPORTED = Evidence()


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _evidence(item: dict[str, Any]) -> Evidence:
    days, landed = _get(item, "age", "days"), _get(item, "age", "landed", "date")
    age = (f"{days} days" + (f" (since {landed})" if isinstance(landed, str) else "")
           if isinstance(days, int) else NO_DATA)
    history = item.get("history")
    last = _get(history, "last_own_work", "date")
    if isinstance(last, str):
        last_own = last
    elif isinstance(history, dict) and "last_own_work" in history:
        last_own = "never"
    else:
        last_own = NO_DATA
    authors = _get(item, "owners", "authors")
    names = [a.get("name") for a in authors if isinstance(a, dict)] if isinstance(
        authors, list) else []
    codeowners = _get(item, "owners", "codeowners")
    owner_parts = [n for n in names[:1] if isinstance(n, str)]
    if isinstance(codeowners, list) and codeowners:
        owner_parts.append(" ".join(str(c) for c in codeowners))
    owner = "; ".join(owner_parts) or NO_DATA
    runs, window = _get(item, "usage", "runs"), _get(item, "usage", "window_days")
    usage = (f"{runs:,} runs in {window} days" if isinstance(runs, int)
             and isinstance(window, int) else NO_DATA)
    return Evidence(age, last_own, owner, usage)


def load_evidence(path: Path) -> dict[str, Evidence]:
    """The key columns of each feature in a ``promote report --format json`` file.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not JSON, or holds no ``features`` list.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON ({exc})") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise ValueError('it holds no "features" list; write it with '
                         "`promote report --all --format json`")
    return {item["feature"]: _evidence(item) for item in features
            if isinstance(item, dict) and isinstance(item.get("feature"), str)}
