"""The order and the output formats of ``promote report``: a table, JSON, Markdown.

The evidence is gathered by :mod:`._evidence`; this module only ranks and renders it. The
default order is the neglect score, highest first (:mod:`._score`: the formula, and the
terms that break an exact tie one by one), then the name. Each row says the facts that
weigh most in its score. The *signals* (``stale``, ``swept``, ``upkeep``, ``unused``) are
the thresholds in words: ``stale``, no own-work commit in the last ``report_recent_days``
days; ``swept``, more sweeps than own work; ``upkeep``, overridden stable parent methods of
at least ``report_upkeep_lines`` lines or at least ``report_upkeep_cochanges`` co-changes;
``unused``, no usage data or fewer than ``min_usage`` runs in the usage window.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

from ..repository._config import PromoteConfig
from ._classify import OWN_RULES, SWEEP_RULES
from ._evidence import Evidence
from ._history import Commit
from ._score import score

__all__ = ["COLUMNS", "FORMATS", "neglect", "order", "render_report"]

FORMATS = ("table", "json", "markdown")
SIGNALS = ("stale", "swept", "upkeep", "unused")
_WIDTH = 80
_RULE_WORDS = {"many-features": "across many features", "many-files": "across many files"}


def neglect(e: Evidence, config: PromoteConfig) -> list[str]:
    """The neglect signals that hold for ``e`` (see the module docstring)."""
    signals = []
    since = e.days_since_own
    if since is None or since > config.report_recent_days:
        signals.append("stale")
    if len(e.sweeps) > len(e.own):
        signals.append("swept")
    if (e.overridden[1] >= max(config.report_upkeep_lines, 1)
            or len(e.cochanges) >= max(config.report_upkeep_cochanges, 1)):
        signals.append("upkeep")
    if e.usage is None or e.usage.runs < config.min_usage:
        signals.append("unused")
    return signals


#: ``--sort`` columns: the value each sorts by (None: no data, always sorted last).
COLUMNS: dict[str, Callable[[Evidence], Any]] = {
    "feature": lambda e: e.name,
    "age": lambda e: e.age_days,
    "commits": lambda e: len(e.commits),
    "own": lambda e: len(e.own),
    "sweeps": lambda e: len(e.sweeps),
    "last-own": lambda e: None if e.last_own is None else e.last_own.time,
    "owner": lambda e: e.authors[0][0].lower() if e.authors else None,
    "upkeep": lambda e: e.overridden[1] if e.parents else None,
    "overrides": lambda e: e.overridden[0] if e.parents else None,
    "cochanges": lambda e: len(e.cochanges),
    "consumers": lambda e: e.consumer_count,
    "tests": lambda e: e.test_count,
    "usage": lambda e: None if e.usage is None else e.usage.runs,
    "issues": lambda e: None if e.issues is None else len(e.issues.open),
}


def order(found: list[Evidence], config: PromoteConfig, sort: str | None) -> list[Evidence]:
    """``found`` most neglected first, or by column ``sort`` (``-column``: descending).

    ``neglect`` (the default) is the score, highest first; ``-neglect`` reverses it.
    """
    if not sort or sort.lstrip("-") == "neglect":
        ranked = sorted(found, key=lambda e: (score(e, config).key(), e.name))
        return ranked[::-1] if sort.startswith("-") else ranked
    descending = sort.startswith("-")
    get = COLUMNS[sort.lstrip("-")]
    known = [e for e in found if get(e) is not None]
    unknown = sorted((e for e in found if get(e) is None), key=lambda e: e.name)
    ranked = sorted(sorted(known, key=lambda e: e.name), key=get, reverse=descending)
    return ranked + unknown


# -- JSON -------------------------------------------------------------------------------------


def _shas(commits: list[Commit]) -> list[str]:
    return [c.sha for c in commits]


def _by_rule(e: Evidence, rules: tuple[str, ...]) -> dict[str, list[str]]:
    return {rule: [c.commit.sha for c in e.classified if c.rule == rule] for rule in rules}


def to_dict(e: Evidence, config: PromoteConfig) -> dict[str, Any]:
    """One feature's evidence as the report's JSON writes it."""
    methods, lines = e.overridden
    last = e.last_own
    page, exists = e.docs_page
    got = score(e, config)
    return {
        "feature": e.name,
        "package_dir": e.package_dir,
        "neglect": {"score": round(got.value, 2), "signals": neglect(e, config),
                    "terms": {t.name: t.to_dict() for t in got.terms},
                    "missing": list(got.missing), "why": [t.name for t in got.why()]},
        "age": {"days": e.age_days, "landed": e.landed.ref() if e.landed else None,
                "moves": [{"from": old, "to": new, **c.ref()} for old, new, c in e.moves]},
        "history": {
            "commits": {"count": len(e.commits), "commits": _shas(e.commits)},
            "own_work": {"count": len(e.own), "commits": _shas(e.own),
                         "by_rule": _by_rule(e, OWN_RULES)},
            "sweeps": {"count": len(e.sweeps), "commits": _shas(e.sweeps),
                       "by_rule": _by_rule(e, SWEEP_RULES)},
            "classified": [c.to_dict() for c in e.classified],
            "last_own_work": last.ref() if last else None,
            "days_since_own_work": e.days_since_own,
        },
        "owners": {
            "authors": [{"name": n, "email": m, "own_work": len(cs), "commits": _shas(cs)}
                        for n, m, cs in e.authors],
            "codeowners": e.codeowners,
        },
        "upkeep": {
            "overridden_methods": methods, "overridden_lines": lines,
            "parents": [p.to_dict() for p in e.parents],
            "cochanges": {"count": len(e.cochanges), "commits": _shas(e.cochanges),
                          "modules": sorted({p.file for p in e.parents if p.in_repo})},
        },
        "overlap": {"subclasses": sorted({f"{p.module}.{p.parent}" for p in e.parents})},
        "consumers": {"count": e.consumer_count,
                      "by_kind": {k: sorted(v) for k, v in sorted(e.consumers.items())}},
        "code": {"modules": e.code_lines[0], "lines": e.code_lines[1]},
        "tests": {"count": e.test_count,
                  "files": [{"file": f, "tests": n} for f, n in e.test_files]},
        "docs": {"page": page, "exists": exists},
        "checks": e.checks,
        "usage": e.usage.to_dict() if e.usage else None,
        "issues": (e.issues.to_dict(e.today, config.issues_file) if e.issues is not None
                   else None),
    }


def _json(found: list[Evidence], config: PromoteConfig, meta: dict[str, Any]) -> str:
    features = [to_dict(e, config) for e in found]
    seen: dict[str, dict[str, str]] = {}
    for e in found:
        for c in (*e.commits, *(m[2] for m in e.moves)):
            seen.setdefault(c.sha, {k: v for k, v in c.ref().items() if k != "commit"})
    issues = {str(i.number): i.ref() for e in found if e.issues is not None
              for i in sorted((*e.issues.open, *e.issues.closed), key=lambda i: i.number)}
    return json.dumps({**meta, "features": features, "commits": seen,
                       "issues": dict(sorted(issues.items(), key=lambda kv: int(kv[0])))},
                      indent=2)


# -- words ------------------------------------------------------------------------------------


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def sentences(e: Evidence, config: PromoteConfig, code: Callable[[str], str] = str
              ) -> dict[str, str]:
    """The evidence in words, one entry per topic (the Markdown and the table's details)."""
    out: dict[str, str] = {}
    if e.landed is None:
        out["Age"] = "Not committed yet: no history."
    else:
        text = f"Landed {e.landed.date} ({e.landed.short}), {_n(e.age_days or 0, 'day')} ago"
        for old, new, c in reversed(e.moves[-3:]):
            text += f"; moved from {code(old)} to {code(new)} on {c.date} ({c.short})"
        out["Age"] = text + "."
    last = e.last_own
    def split(rules: tuple[str, ...]) -> str:
        counts = [(rule, len(shas)) for rule, shas in _by_rule(e, rules).items() if shas]
        return (" (" + ", ".join(f"{n} {_RULE_WORDS.get(rule, rule)}" for rule, n in counts)
                + ")") if counts else ""

    own = (f"{len(e.own)} own work{split(OWN_RULES)}, the last on {last.date} ({last.short})"
           if last else "no own work")
    out["History"] = (f"{_n(len(e.commits), 'commit')} since: {own}; "
                      f"{_n(len(e.sweeps), 'sweep')}{split(SWEEP_RULES)}.")
    owners = ", ".join(f"{n} ({_n(len(cs), 'own-work commit') if i == 0 else len(cs)})"
                       for i, (n, _, cs) in enumerate(e.authors)) or "no own-work authors"
    if e.codeowners:
        owners += f"; CODEOWNERS: {', '.join(e.codeowners)}"
    out["Owners"] = owners + "."
    if e.parents:
        parts = []
        for p in e.parents:
            lines = sum(o.lines for o in p.overrides)
            if p.overrides:
                parts.append(f"{p.subclass} overrides {len(p.overrides)} of {p.parent}'s "
                             f"{p.methods} methods ({_n(lines, 'line')} of its "
                             f"{p.parent_lines:,})")
            else:
                parts.append(f"{p.subclass} subclasses {p.parent} and overrides none of its "
                             f"{_n(p.methods, 'method')}")
        modules = sorted({p.file for p in e.parents if p.in_repo})
        text = "; ".join(parts) + "."
        if modules:
            shown = ", ".join(c.short for c in e.cochanges[:5])
            text += (f" Changed together with {', '.join(map(code, modules))} in "
                     f"{_n(len(e.cochanges), 'commit')}" + (f" ({shown})" if shown else "") + ".")
        else:
            text += " The parents are outside this repository: no co-changes to count."
        out["Upkeep"] = text
    else:
        out["Upkeep"] = "Subclasses no stable class."
    if e.consumers:
        kinds = "; ".join(f"{kind}: {', '.join(map(code, sorted(files)[:4]))}"
                          + (f" and {len(files) - 4} more" if len(files) > 4 else "")
                          for kind, files in sorted(e.consumers.items()))
        out["Consumers"] = f"Named by {_n(e.consumer_count, 'file')} outside it ({kinds})."
    else:
        out["Consumers"] = "Named by no file outside it."
    page, exists = e.docs_page
    docs = (f"docs page {code(page)}" if exists else
            f"no docs page ({code(page)} does not exist)" if page else "no docs page")
    tests = f"{_n(e.test_count, 'test')} in {_n(len(e.test_files), 'file')}"
    if e.checks is None:
        check = "last promote check: no data"
    else:
        failing = [c for c, v in e.checks["verdicts"].items() if v in ("fail", "error")]
        check = ("last promote check: " + ("ready" if e.checks["ready"] else "not ready")
                 + (f" ({', '.join(failing)} failed)" if failing else ""))
    out["Tests and docs"] = f"{tests}; {docs}; {check}."
    out["Issues"] = _issue_words(e, config)
    if e.usage is None:
        out["Usage"] = "No data."
    else:
        u = e.usage
        out["Usage"] = (f"{_n(u.runs, 'run')} in the last {u.window_days} days "
                        f"({_n(u.total, 'run')} recorded, latest period {u.latest}; "
                        f"from {', '.join(u.sources)}).")
    return out


def _issue_words(e: Evidence, config: PromoteConfig) -> str:
    if e.issues is None:
        return "No data (no issues_file)."
    issues = e.issues
    if not issues.open and not issues.closed:
        return f"None of the issues in {config.issues_file} names it."
    text = (f"{_n(len(issues.open), 'open issue')} and {len(issues.closed):,} closed name "
            "it")
    oldest = issues.oldest_open
    if oldest is not None:
        text += (f"; the oldest open is #{oldest.number} ({oldest.title!r}, opened "
                 f"{oldest.created:%Y-%m-%d}, {_n(oldest.days_open(e.today), 'day')} ago)")
    if issues.median_days_to_close is not None:
        text += f"; closed in {issues.median_days_to_close:.1f} days (median)"
    return text + "."


def why(e: Evidence, config: PromoteConfig) -> str:
    """The facts that weigh most in its place, with the points each adds."""
    got = score(e, config)
    facts = "; ".join(f"{t.fact} (+{t.points:.1f})" for t in got.why())
    return f"neglect {got.value:.2f}/100" + (f": {facts}" if facts else "")


# -- table and Markdown -----------------------------------------------------------------------


def _cells(e: Evidence) -> list[str]:
    methods, lines = e.overridden
    last = e.last_own
    return [e.name if len(e.name) <= 21 else e.name[:20] + "~",
            "-" if e.age_days is None else f"{e.age_days}d", str(len(e.own)),
            str(len(e.sweeps)), last.date if last else "never",
            f"{methods}m {lines}l" if e.parents else "-",
            "no data" if e.usage is None else f"{e.usage.runs:,}"]


_HEAD = ["feature", "age", "own", "sweeps", "last own", "upkeep", "usage", "neglect"]
_ALIGN = ["<21", ">6", ">4", ">6", "<10", ">10", ">8", ">7"]


def _row(cells: list[str]) -> str:
    return " ".join(f"{c:{a}}" for c, a in zip(cells, _ALIGN, strict=True)).rstrip()


def _table(found: list[Evidence], config: PromoteConfig, meta: dict[str, Any]) -> str:
    lines = [_row(_HEAD), _row(["-" * 21, "-" * 6, "-" * 4, "-" * 6, "-" * 10, "-" * 10,
                                "-" * 8, "-" * 7])]
    for e in found:
        lines.append(_row([*_cells(e), f"{score(e, config).value:.2f}"]))
        words = sentences(e, config)
        detail = " ".join(words[k] for k in ("History", "Owners", "Upkeep", "Consumers",
                                            "Tests and docs")) + f" Issues: {words['Issues']}"
        lines += textwrap.wrap(f"{why(e, config)}. {detail}", _WIDTH,
                               initial_indent="    ", subsequent_indent="    ",
                               break_on_hyphens=False)
    lines += ["", *textwrap.wrap(
        f"{len(found)} feature(s), {meta['order_words']}. own/sweeps: commits about the "
        "feature / commits across many features or files. upkeep: stable parent "
        "methods overridden (m) and their lines (l). usage: runs in the last "
        f"{config.usage_window_days} days. neglect: 0-100, its formula in docs/promote.md. "
        "Details: --format markdown or json.", _WIDTH,
        break_on_hyphens=False)]
    return "\n".join(lines)


def _markdown(found: list[Evidence], config: PromoteConfig, meta: dict[str, Any]) -> str:
    out = ["## Evidence: promote or remove", "",
           f"From `promote report` on {meta['today']} at commit `{meta['head'][:7]}`, "
           f"{meta['order_words']}.", "",
           "| feature | age (days) | own work | sweeps | last own work | upkeep | usage "
           "| neglect |",
           "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: |"]
    for e in found:
        cells = _cells(e)
        cells[0] = f"`{e.name}`"
        cells[1] = cells[1].rstrip("d")
        cells[5] = (f"{e.overridden[0]} methods, {e.overridden[1]:,} lines" if e.parents
                    else "-")
        out.append("| " + " | ".join([*cells, f"{score(e, config).value:.2f}"]) + " |")
    for e in found:
        signals = neglect(e, config)
        out += ["", f"### `{e.name}`", "",
                why(e, config)[0].upper() + why(e, config)[1:] + "."
                + (f" Signals: {', '.join(signals)}." if signals else ""), ""]
        out += [f"- **{k}**: {v}" for k, v in sentences(e, config, lambda s: f"`{s}`").items()]
    return "\n".join(out) + "\n"


def render_report(found: list[Evidence], config: PromoteConfig, fmt: str,
                  meta: dict[str, Any]) -> str:
    """``found`` (already ordered) in format ``fmt`` (one of :data:`FORMATS`).

    Args:
        meta: ``today``, ``head`` (commit), ``order`` and ``order_words``, and the
            ``thresholds`` and ``problems``; JSON carries them all.
    """
    return {"table": _table, "json": _json, "markdown": _markdown}[fmt](found, config, meta)
