"""The issues users opened about each feature, from a file the GitHub CLI exported.

``issues_file`` in ``[tool.fledge.promote]`` names the output of::

    gh issue list --state all --limit 10000 --json number,title,state,labels,createdAt,closedAt,body

a JSON array of issues. Every record is checked; a bad one is an error naming the file, the
record and the field. An issue *names* a feature when its title, body or labels name it:

- the feature's name as a word, any case, ``_`` also written as a space or ``-``
  (``online_dpo``, ``Online DPO``, ``online-dpo``); its import path contains it;
- one of its exported classes (``GKDTrainer``), case-sensitive, except a class named like
  its own stable parent (a ``DPOTrainer`` subclass of ``DPOTrainer`` names the stable one);
- a label equal to its name.

All names are looked for at once and the longest wins where two overlap, so an issue about
``async_distillation`` does not also name ``distillation``. Without the file the report
says "no data"; nothing is fetched from the network.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from .._errors import ConfigError
from ..repository._config import PromoteConfig
from ..repository._repo import Repo

__all__ = ["GH_COMMAND", "FeatureIssues", "Issue", "load_issues", "match_issues"]

GH_COMMAND = ("gh issue list --state all --limit 10000 "
              "--json number,title,state,labels,createdAt,closedAt,body")
_FIELDS = ("number", "title", "state", "labels", "createdAt", "closedAt", "body")


@dataclass(frozen=True)
class Issue:
    """One issue of the exported file.

    Attributes:
        number: its number.
        title: its title.
        open: whether it is open.
        labels: its labels' names.
        created: when it was opened (UTC).
        closed: when it was closed (UTC), or None while open.
        body: its text.
    """

    number: int
    title: str
    open: bool
    labels: tuple[str, ...]
    created: dt.datetime
    closed: dt.datetime | None
    body: str

    def days_open(self, today: dt.date) -> int:
        return max((today - self.created.date()).days, 0)

    @property
    def days_to_close(self) -> float | None:
        if self.closed is None:
            return None
        return max((self.closed - self.created).total_seconds() / 86400, 0.0)

    def ref(self) -> dict:
        """The issue as the report's JSON names it (top-level ``issues``)."""
        return {"title": self.title, "state": "open" if self.open else "closed",
                "labels": list(self.labels),
                "created": self.created.strftime("%Y-%m-%d"),
                "closed": self.closed.strftime("%Y-%m-%d") if self.closed else None}


@dataclass
class FeatureIssues:
    """The issues that name one feature.

    Attributes:
        names: what was looked for (its name, classes, label).
        open: the open ones, oldest first.
        closed: the closed ones, oldest first.
    """

    names: list[str]
    open: list[Issue] = field(default_factory=list)
    closed: list[Issue] = field(default_factory=list)

    @property
    def oldest_open(self) -> Issue | None:
        return self.open[0] if self.open else None

    @property
    def median_days_to_close(self) -> float | None:
        days = [i.days_to_close for i in self.closed if i.days_to_close is not None]
        return statistics.median(days) if days else None

    def open_days(self, today: dt.date) -> int:
        """Days the open issues have been open, added up."""
        return sum(i.days_open(today) for i in self.open)

    def to_dict(self, today: dt.date, file: str) -> dict:
        oldest = self.oldest_open
        median = self.median_days_to_close
        return {
            "file": file, "names": self.names,
            "open": {"count": len(self.open), "issues": [i.number for i in self.open]},
            "closed": {"count": len(self.closed), "issues": [i.number for i in self.closed]},
            "oldest_open": None if oldest is None else {
                "number": oldest.number, "title": oldest.title,
                "created": oldest.created.strftime("%Y-%m-%d"),
                "days_open": oldest.days_open(today)},
            "open_days": self.open_days(today),
            "median_days_to_close": None if median is None else round(median, 1),
        }


def _fail(rel: str, where: str, problem: str) -> ConfigError:
    return ConfigError("issues_file", "pyproject.toml",
                       f"names {rel}: {where}{problem}; export the file again with "
                       f"`{GH_COMMAND} > {rel}`")


def _when(value: object, rel: str, where: str, name: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _fail(rel, where, f"field {name!r} must be an ISO-8601 time such as "
                                f"'2025-03-01T12:00:00Z'; got {value!r}")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(rel, where, f"field {name!r} must be an ISO-8601 time such as "
                                f"'2025-03-01T12:00:00Z'; got {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _issue(item: object, index: int, rel: str) -> Issue:
    if not isinstance(item, dict):
        raise _fail(rel, f"record {index}: ", f"must be an object; got {type(item).__name__}")
    number = item.get("number")
    where = f"record {index}" + (f" (#{number})" if isinstance(number, int) else "") + ": "
    missing = [f for f in _FIELDS if f not in item]
    if missing:
        raise _fail(rel, where, f"field {missing[0]!r} is missing (every record needs "
                                f"{', '.join(_FIELDS)})")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise _fail(rel, where, f"field 'number' must be a positive integer; got {number!r}")
    for name in ("title", "body"):
        if not isinstance(item[name], str):
            raise _fail(rel, where, f"field {name!r} must be a string; got {item[name]!r}")
    state = item["state"]
    if state not in ("OPEN", "CLOSED"):
        raise _fail(rel, where, f"field 'state' must be 'OPEN' or 'CLOSED'; got {state!r}")
    labels = item["labels"]
    if not isinstance(labels, list) or not all(
            isinstance(lab, dict) and isinstance(lab.get("name"), str) for lab in labels):
        raise _fail(rel, where, "field 'labels' must be a list of objects with a 'name' "
                                f"string; got {labels!r}")
    created = _when(item["createdAt"], rel, where, "createdAt")
    closed = None
    if state == "CLOSED":
        closed = _when(item["closedAt"], rel, where, "closedAt")
        if closed < created:
            raise _fail(rel, where, f"field 'closedAt' ({item['closedAt']}) is before "
                                    f"'createdAt' ({item['createdAt']})")
    elif item["closedAt"] is not None:
        raise _fail(rel, where, "field 'closedAt' must be null for an open issue; got "
                                f"{item['closedAt']!r}")
    return Issue(number, item["title"], state == "OPEN",
                 tuple(lab["name"] for lab in labels), created, closed, item["body"])


def load_issues(repo: Repo, config: PromoteConfig) -> list[Issue] | None:
    """The issues of the configured ``issues_file``; None when none is configured.

    Raises:
        ConfigError: the file is missing, not JSON, not a list, or has a bad record (named
            by its index and number, with the field and what it must be).
    """
    rel = config.issues_file
    if not rel:
        return None
    path = repo.root / rel
    if not repo.inside(rel):
        raise ConfigError("issues_file", "pyproject.toml", "must be a file inside the "
                          f"repository; it leads to {path.resolve()}", rel)
    if not path.is_file():
        raise ConfigError("issues_file", "pyproject.toml",
                          f"names {rel}, which does not exist; export it with "
                          f"`{GH_COMMAND} > {rel}`, or remove the key", rel)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(rel, "", f"it is not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise _fail(rel, "", f"it must be a JSON array of issues, as `gh issue list --json` "
                             f"writes; got {type(data).__name__}")
    issues = [_issue(item, index, rel) for index, item in enumerate(data)]
    seen: set[int] = set()
    for index, issue in enumerate(issues):
        if issue.number in seen:
            raise _fail(rel, f"record {index} (#{issue.number}): ",
                        "the number appears twice")
        seen.add(issue.number)
    return issues


def _name_pattern(name: str) -> str:
    return "(?i:" + r"[_\- ]".join(map(re.escape, name.split("_"))) + ")"


def match_issues(issues: Iterable[Issue], features: dict[str, list[str]]
                 ) -> dict[str, FeatureIssues]:
    """The issues that name each feature.

    Args:
        features: per feature, its exported class names that count (see the module).
    """
    terms: list[tuple[str, str, str]] = []  # (pattern, feature, what)
    out: dict[str, FeatureIssues] = {}
    for name, classes in features.items():
        out[name] = FeatureIssues([name, *classes])
        terms.append((_name_pattern(name), name, name))
        terms += [(re.escape(c), name, c) for c in classes]
    if not terms:
        return out
    terms.sort(key=lambda t: -len(t[2]))  # the longest first: it wins where two overlap
    regex = re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(f"({p})" for p, _, _ in terms)
                       + r")(?![A-Za-z0-9])")
    labels = {name.lower(): name for name in features}
    for issue in sorted(issues, key=lambda i: (i.created, i.number)):
        named = {terms[m.lastindex - 1][1] for m in regex.finditer(
            f"{issue.title}\n{issue.body}") if m.lastindex}
        named |= {labels[lab.lower().replace("-", "_").replace(" ", "_")]
                  for lab in issue.labels
                  if lab.lower().replace("-", "_").replace(" ", "_") in labels}
        for name in named:
            (out[name].open if issue.open else out[name].closed).append(issue)
    return out
