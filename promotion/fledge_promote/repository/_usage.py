"""Usage counts of experimental features: from the ``fledge_promote_usage`` hook and from the
``usage_file`` named in ``[tool.fledge.promote]``.

A record says: feature, period, runs (and where it came from). Periods are days
(``2025-10-14``), months (``2025-10``) or ranges (``2025-10-01/2025-10-14``). A feature that
no source has a record for has *no data*; nothing is ever estimated.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import inspect
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigError
from ._config import PromoteConfig
from ._repo import Repo

__all__ = ["Usage", "UsageData", "UsageRecord", "load_usage", "parse_period"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period: ``YYYY-MM-DD``, ``YYYY-MM`` or ``A/B`` of days.

    Raises:
        ValueError: ``text`` is none of these; the message shows the accepted forms.
    """
    text = str(text).strip()
    try:
        if _DAY.match(text):
            day = dt.date.fromisoformat(text)
            return day, day
        if _MONTH.match(text):
            year, month = map(int, text.split("-"))
            return (dt.date(year, month, 1),
                    dt.date(year, month, calendar.monthrange(year, month)[1]))
        first, slash, last = text.partition("/")
        if slash and _DAY.match(first) and _DAY.match(last):
            start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            if start <= end:
                return start, end
    except ValueError:
        pass
    raise ValueError(f"period {text!r} is not a day (2025-10-14), a month (2025-10) or a "
                     "range of days (2025-10-01/2025-10-14)")


@dataclass(frozen=True)
class UsageRecord:
    """Runs of one feature in one period, from one source."""

    feature: str
    period: str
    start: dt.date
    end: dt.date
    runs: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "period": self.period, "runs": self.runs,
                "source": self.source}


@dataclass(frozen=True)
class Usage:
    """What the usage data says about one feature.

    Attributes:
        runs: runs in the periods that overlap the last ``window_days`` days.
        window_days: the window.
        total: runs in every period recorded.
        latest: the latest period with a record.
        sources: where the records came from.
        records: the records themselves.
    """

    runs: int
    window_days: int
    total: int
    latest: str
    sources: tuple[str, ...]
    records: tuple[UsageRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "window_days": self.window_days, "total": self.total,
                "latest_period": self.latest, "sources": list(self.sources),
                "records": [r.to_dict() for r in self.records]}


@dataclass
class UsageData:
    """Every usage record found, and what could not be read.

    Attributes:
        records: the records, from every source.
        problems: one sentence per source that failed (a hook that raised, a bad record).
        sources: the sources consulted that gave records.
    """

    records: list[UsageRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def for_feature(self, name: str, window_days: int, today: dt.date) -> Usage | None:
        """The usage of ``name``, or None when no source has a record of it."""
        mine = sorted((r for r in self.records if r.feature == name),
                      key=lambda r: (r.start, r.end, r.source))
        if not mine:
            return None
        since = today - dt.timedelta(days=max(window_days - 1, 0))
        runs = sum(r.runs for r in mine if r.end >= since and r.start <= today)
        return Usage(runs, window_days, sum(r.runs for r in mine), mine[-1].period,
                     tuple(dict.fromkeys(r.source for r in mine)), tuple(mine))


def _record(raw: Any, default_source: str) -> UsageRecord:
    """One record from a mapping or an object; ValueError says what is wrong with it."""
    get = raw.get if isinstance(raw, Mapping) else (lambda key, d=None: getattr(raw, key, d))
    feature, period, runs = get("feature"), get("period"), get("runs")
    if not isinstance(feature, str) or not feature:
        raise ValueError(f"'feature' must be a feature name, got {feature!r}")
    if isinstance(runs, str) and runs.strip().isdigit():
        runs = int(runs)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        raise ValueError(f"'runs' must be a non-negative integer, got {runs!r}")
    start, end = parse_period(period if period is not None else "")
    source = get("source") or default_source
    return UsageRecord(feature, str(period).strip(), start, end, runs, str(source))


def read_usage_file(repo: Repo, config: PromoteConfig) -> list[UsageRecord]:
    """The records of the configured ``usage_file`` (CSV with a header row, or JSON).

    JSON is a list of records or ``{"usage": [...]}``; CSV has the columns ``feature``,
    ``period``, ``runs`` and optionally ``source``.

    Raises:
        ConfigError: the file is missing, unreadable, or has a bad record (named by line or
            index, with what was expected).
    """
    rel = config.usage_file
    path = repo.root / rel
    if not path.is_file():
        raise ConfigError("usage_file", "pyproject.toml",
                          f"names {rel}, which does not exist; write the file (columns "
                          "feature, period, runs) or remove the key", rel)
    text = path.read_text(encoding="utf-8")
    label = f"file:{rel}"
    records = []
    if rel.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("usage_file", "pyproject.toml",
                              f"names {rel}, which is not valid JSON ({exc})") from None
        items = data.get("usage") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ConfigError("usage_file", "pyproject.toml",
                              f"names {rel}, which must hold a list of records or "
                              '{"usage": [...]}')
        for index, item in enumerate(items):
            try:
                records.append(_record(item, label))
            except (ValueError, TypeError) as exc:
                raise ConfigError("usage_file", "pyproject.toml",
                                  f"names {rel}: record {index}: {exc}") from None
        return records
    reader = csv.DictReader(io.StringIO(text))
    missing = {"feature", "period", "runs"} - set(reader.fieldnames or ())
    if missing:
        raise ConfigError("usage_file", "pyproject.toml",
                          f"names {rel}, whose header row lacks {', '.join(sorted(missing))} "
                          "(columns: feature, period, runs[, source])")
    for row in reader:
        try:
            records.append(_record({k: (v or "").strip() or None for k, v in row.items()
                                    if k is not None}, label))
        except (ValueError, TypeError) as exc:
            raise ConfigError("usage_file", "pyproject.toml",
                              f"names {rel}: line {reader.line_num}: {exc}") from None
    return records


def _from_hooks(features: Sequence[str], root: str, data: UsageData) -> None:
    import fledge

    try:
        registry = fledge.get_registry()
        registry.names()  # loads the plugins, so their hook implementations are registered
        impls = registry.pm.hook.fledge_promote_usage.get_hookimpls()
    except Exception as exc:  # noqa: BLE001 - a broken registry must not stop the report
        data.problems.append(f"plugins failed to load ({exc}); run `fledge doctor`")
        return
    arguments = {"features": list(features), "root": root}
    for impl in impls:
        plugin = impl.plugin_name
        try:
            wanted = inspect.signature(impl.function).parameters
            returned = impl.function(**{k: v for k, v in arguments.items() if k in wanted})
            got = [_record(item, plugin) for item in _iterable(returned)]
        except Exception as exc:  # noqa: BLE001 - isolate each plugin
            data.problems.append(f"plugin {plugin!r}: its fledge_promote_usage hook failed "
                                 f"({type(exc).__name__}: {exc}); its records are left out")
            continue
        data.records.extend(r for r in got if r.feature in features)
        if got:
            data.sources.append(f"hook:{plugin}")


def _iterable(returned: Any) -> Iterable[Any]:
    if returned is None:
        return []
    if isinstance(returned, (Mapping, str, bytes)) or not isinstance(returned, Iterable):
        raise TypeError(f"returned {type(returned).__name__}, not a list of records")
    return list(returned)


def load_usage(repo: Repo, config: PromoteConfig, features: Sequence[str]) -> UsageData:
    """Every usage record of ``features``: the plugins' hook, then ``usage_file``.

    Raises:
        ConfigError: the configured usage file is missing or malformed.
    """
    data = UsageData()
    _from_hooks(features, str(repo.root), data)
    if config.usage_file:
        from_file = [r for r in read_usage_file(repo, config) if r.feature in features]
        data.records.extend(from_file)
        data.sources.append(f"file:{config.usage_file}")
    return data
