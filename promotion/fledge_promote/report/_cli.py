"""``promote report [NAME ... | --all] [--format table|json|markdown] [--sort COLUMN]``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._errors import UsageError
from ..repository._config import PromoteConfig, load_config
from ..repository._repo import Repo, output_file, write_output
from ._evidence import gather
from ._output import COLUMNS, FORMATS, order, render_report

__all__ = ["build_report", "report_parser", "run_report"]

_THRESHOLDS = ("own_work_max_features", "own_work_max_other_files", "report_recent_days",
               "report_upkeep_lines", "report_upkeep_cochanges", "min_usage",
               "usage_window_days")


def report_parser() -> argparse.ArgumentParser:
    """The ``promote report`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="promote report",
        description="The evidence for promoting or removing experimental features, from git "
                    "history and the tree: age, own work vs sweeps, owners, upkeep, "
                    "consumers, tests, docs, usage. Most neglected first.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="features (or --all)")
    parser.add_argument("--all", action="store_true", help="every experimental feature")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    columns = ", ".join(["neglect", *COLUMNS])
    parser.add_argument("--sort", metavar="COLUMN", default="neglect",
                        help=f"order by COLUMN ({columns}); --sort=-COLUMN for descending; "
                             "features without data come last (default: neglect)")
    parser.add_argument("--today", metavar="YYYY-MM-DD",
                        help="count ages and the usage window up to this day (default: today)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="also write the report to FILE, in the same format")
    parser.add_argument("--root", default=".", help="the repository root (default: .)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    return parser


def build_report(
    repo: Repo,
    config: PromoteConfig,
    names: Sequence[str] | None = None,
    *,
    fmt: str = "json",
    sort: str = "neglect",
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> str:
    """The report on ``names`` (every experimental feature when None) in format ``fmt``.

    Raises:
        UsageError: an unknown feature or column, or not a git repository.
        ConfigError: a configured usage or issues file is missing or malformed.
    """
    column = sort.lstrip("-")
    if column != "neglect" and column not in COLUMNS:
        raise UsageError(f"--sort {sort!r} is not a column; choose one of neglect, "
                         f"{', '.join(COLUMNS)} (prefix - for descending: --sort=-age)")
    today = today or dt.datetime.now(dt.timezone.utc).date()
    found, usage = gather(repo, config, names, today=today, progress=progress)
    problems = list(usage.problems)
    if (repo.git("rev-parse", "--is-shallow-repository", check=False) or "").strip() == "true":
        problems.insert(0, "this is a shallow clone: the history, and every age and count "
                           "drawn from it, is cut short; fetch it whole (git fetch --unshallow, "
                           "or fetch-depth: 0 in actions/checkout)")
    for problem in problems:
        progress(f"problem: {problem}")
    ranked = order(found, config, sort)
    meta: dict[str, Any] = {
        "today": today.isoformat(),
        "head": (repo.git("rev-parse", "HEAD", check=False) or "").strip(),
        "order": sort,
        "order_words": (("least" if sort.startswith("-") else "most")
                        + " neglected first (the neglect score, 0-100)" if column == "neglect"
                        else f"sorted by {column}" + (", descending" if sort.startswith("-")
                                                      else "")),
        "thresholds": {key: getattr(config, key) for key in _THRESHOLDS},
        "usage_sources": usage.sources,
        "issues_file": config.issues_file or None,
        "problems": problems,
    }
    return render_report(ranked, config, fmt, meta)


def _today(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today {text!r} is not a date; write it as YYYY-MM-DD") from None


def run_report(args: argparse.Namespace, _command: str = "report") -> int:
    """Run ``promote report`` with parsed ``args``; return the exit status (0)."""
    if bool(args.names) == bool(args.all):
        raise UsageError("name one or more features, or pass --all")
    repo = Repo(Path(args.root))
    config, _ = load_config(repo.root)
    output = output_file("--output", args.output) if args.output else None

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    text = build_report(repo, config, args.names or None,
                        fmt="json" if args.json else args.format, sort=args.sort,
                        today=_today(args.today), progress=progress)
    print(text)
    if output is not None:
        write_output("--output", output, text + "\n")
    return 0
