"""The neglect score: one number from 0 to 100 per feature, and the facts that weigh most.

Each *term* turns one figure of the evidence into a value between 0 (cared for) and 1
(neglected), with the configured thresholds as the scale: a figure *at* its threshold gives
one half, ``r / (1 + r)`` for a figure ``r`` times its threshold. The score is the weighted
mean of the terms that have data, times 100:

=============  ======  =================================================================
term           weight  value
=============  ======  =================================================================
``stale``        30    ``d / (d + report_recent_days)``, d = days since the last own-work
                       commit (no own work: days since its first commit; no commit: 0)
``swept``        15    sweeps / commits (0 without commits)
``upkeep``       20    ``u / (1 + u)``, u = overridden parent lines / ``report_upkeep_lines``
                       + co-changes / ``report_upkeep_cochanges``
``unconsumed``   10    ``1 / (1 + c)``, c = files outside the feature that name it
``untested``      5    ``1 / (1 + t / 10)``, t = its tests
``size``          5    ``l / (l + 1000)``, l = lines of its package's Python modules: the
                       code there is to keep
``unused``       15    ``1 / (1 + runs / min_usage)``, runs in the usage window; only with
                       usage data
``issues``       10    ``i / (1 + i)``, i = (days its open issues have been open, added up,
                       + the median days it took to close one) / ``report_recent_days``;
                       only with an ``issues_file``
=============  ======  =================================================================

A term without data (no usage record, no issues file) is left out of the mean, never
guessed. Every figure is a whole count of days, lines, files or runs, so two features score
the same only when the figures the score reads are the same; the order then falls back to
the terms one by one (heaviest first) and last to the name.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..repository._config import PromoteConfig
from ._evidence import Evidence

__all__ = ["TERMS", "Score", "score"]

#: (term, weight), heaviest first: the order also breaks exact ties, term by term.
TERMS = (("stale", 30), ("upkeep", 20), ("swept", 15), ("unused", 15), ("unconsumed", 10),
         ("issues", 10), ("untested", 5), ("size", 5))


@dataclass(frozen=True)
class Term:
    """One term of a feature's score.

    Attributes:
        name: the term.
        weight: its weight.
        value: its value, from 0 (cared for) to 1 (neglected).
        points: what it adds to the score (value times weight, over the weights in use,
            times 100).
        fact: the figure behind it, in words.
    """

    name: str
    weight: int
    value: float
    points: float
    fact: str

    def to_dict(self) -> dict:
        return {"weight": self.weight, "value": round(self.value, 6),
                "points": round(self.points, 4), "fact": self.fact}


@dataclass(frozen=True)
class Score:
    """A feature's neglect score.

    Attributes:
        value: from 0 to 100, higher is more neglected.
        terms: the terms with data, in :data:`TERMS` order.
        missing: the terms left out for want of data.
    """

    value: float
    terms: tuple[Term, ...]
    missing: tuple[str, ...]

    def why(self, count: int = 3) -> list[Term]:
        """The terms that weigh most in this score (at most ``count``, none that add 0)."""
        ranked = sorted(self.terms, key=lambda t: -t.points)
        return [t for t in ranked[:count] if t.points > 0.05]

    def key(self) -> tuple:
        """The sort key, most neglected first: the score, then each term (heaviest first)."""
        values = {t.name: t.value for t in self.terms}
        return (-round(self.value, 9), *(-values.get(name, -1.0) for name, _ in TERMS))


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _ratio(r: float) -> float:
    return r / (1 + r)


def _figures(e: Evidence, config: PromoteConfig) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    recent = max(config.report_recent_days, 1)
    since = e.days_since_own
    if since is not None:
        last = e.last_own
        fact = f"last own work {_n(since, 'day')} ago, {last.date}" if last else ""
    elif e.commits:
        since = (e.today - e.first_day).days
        fact = f"no own work in {_n(since, 'day')}"
    else:
        since, fact = 0, "not committed yet"
    out["stale"] = (since / (since + recent) if since > 0 else 0.0, fact)
    share = len(e.sweeps) / len(e.commits) if e.commits else 0.0
    out["swept"] = (share, f"{len(e.sweeps)} of its {_n(len(e.commits), 'commit')} are sweeps")
    lines = e.overridden[1]
    u = (lines / max(config.report_upkeep_lines, 1)
         + len(e.cochanges) / max(config.report_upkeep_cochanges, 1))
    out["upkeep"] = (_ratio(u), f"overrides {_n(lines, 'line')} of stable parents, "
                                f"{_n(len(e.cochanges), 'co-change')}" if e.parents
                     else "subclasses no stable class")
    consumers = e.consumer_count
    out["unconsumed"] = (1 / (1 + consumers), f"named by {_n(consumers, 'file')} outside it"
                         if consumers else "no file outside it names it")
    out["untested"] = (1 / (1 + e.test_count / 10), f"only {_n(e.test_count, 'test')}"
                       if e.test_count else "no tests")
    files, size = e.code_lines
    out["size"] = (size / (size + 1000), f"{_n(size, 'line')} of code in {_n(files, 'module')}")
    if e.usage is not None:
        runs = e.usage.runs
        out["unused"] = (1 / (1 + runs / max(config.min_usage, 1)),
                         f"{_n(runs, 'run')} in the last {e.usage.window_days} days")
    if e.issues is not None:
        issues = e.issues
        median = issues.median_days_to_close or 0.0
        i = (issues.open_days(e.today) + median) / recent
        oldest = issues.oldest_open
        fact = f"{_n(len(issues.open), 'open issue')}"
        if oldest is not None:
            fact += f", the oldest #{oldest.number} open {_n(oldest.days_open(e.today), 'day')}"
        if issues.median_days_to_close is not None:
            fact += f", closed in {issues.median_days_to_close:.0f} days (median)"
        out["issues"] = (_ratio(i), fact)
    return out


def score(e: Evidence, config: PromoteConfig) -> Score:
    """The neglect score of ``e`` (see the module docstring for the formula)."""
    figures = _figures(e, config)
    used = [(name, weight) for name, weight in TERMS if name in figures]
    total = sum(weight for _, weight in used)
    terms = tuple(Term(name, weight, figures[name][0],
                       100 * weight * figures[name][0] / total, figures[name][1])
                  for name, weight in used)
    return Score(sum(t.points for t in terms), terms,
                 tuple(name for name, _ in TERMS if name not in figures))
