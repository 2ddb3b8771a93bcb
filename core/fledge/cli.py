"""The ``fledge`` command: list, inspect and diagnose installed features, run their demos.

Every command prints a human table by default and JSON with ``--json``. None of ``list``,
``info`` or ``doctor --shallow`` imports a feature's implementation (so no torch).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__, get_registry
from ._records import Status
from ._text import safe, table


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fledge`` command line; return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:  # `fledge list | head`
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fledge",
        description="Experimental training features: list, inspect, diagnose, try.",
    )
    parser.add_argument("--version", action="version", version=f"fledge {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("list", help="list installed features")
    p.add_argument("--stage", choices=["experimental", "stable", "deprecated"],
                   help="show only features at this stage")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("info", help="show everything known about one feature")
    p.add_argument("name", help="feature name, as in `fledge list`")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser(
        "doctor", help="report every plugin or feature that failed to load (exit 1 if any)"
    )
    p.add_argument("--shallow", action="store_true",
                   help="do not import the features' implementations (faster, finds less)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(run=_cmd_doctor)

    p = sub.add_parser("demo", help="run a feature's demo on a tiny local model")
    p.add_argument("name", help="feature name, as in `fledge list`")
    p.add_argument("demo_args", nargs=argparse.REMAINDER, help="arguments for the demo")
    p.set_defaults(run=_cmd_demo)

    p = sub.add_parser("new", help="scaffold a third-party plugin package for a new feature")
    p.add_argument("name", help="feature name (a Python identifier)")
    p.add_argument("--directory", "-d", default=None,
                   help="where to create the package (default: ./fledge-<name>)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty folder")
    p.add_argument("--json", action="store_true", help="print the created files as JSON")
    p.set_defaults(run=_cmd_new)
    return parser


def _width() -> int:
    return max(shutil.get_terminal_size((80, 24)).columns, 40)


def _blocked_plugins() -> list[dict[str, Any]]:
    """Plugins the switches kept from loading: their features are unknown, so one row each."""
    return [
        {"name": p.plugin, "stage": None, "summary": "", "since": None, "module": None,
         "exports": [], "owners": [], "distribution": p.distribution, "version": p.version,
         "status": Status.BLOCKED.value, "problem": p.to_dict()}
        for p in get_registry().problems()
        if p.kind.value == "blocked" and p.feature is None
    ]


def _cmd_list(args: argparse.Namespace) -> int:
    registry = get_registry()
    rows = [record.to_dict() for record in registry.features()]
    if args.stage:
        rows = [r for r in rows if r["stage"] == args.stage]
    else:
        rows += _blocked_plugins()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No features installed." + _problem_hint())
        return 0
    lines = table(
        ["NAME", "STAGE", "SINCE", "DISTRIBUTION", "STATUS", "SUMMARY"],
        [[r["name"], r["stage"] or "-", r["since"] or "-",
          f"{r['distribution'] or '?'} {r['version'] or ''}".strip(), r["status"], r["summary"]]
         for r in rows],
        _width(),
        flex=5,
    )
    print("\n".join(lines) + _problem_hint())
    return 0


def _problem_hint() -> str:
    errors = [p for p in get_registry().problems() if p.is_error]
    if not errors:
        return ""
    return f"\n\n{len(errors)} problem(s) found: run `fledge doctor` for the reasons and fixes."


def _cmd_info(args: argparse.Namespace) -> int:
    from ._errors import FeatureNotFoundError

    try:
        record = get_registry().get(args.name)
    except FeatureNotFoundError as exc:
        print(f"fledge info: {exc}", file=sys.stderr)
        return 2
    data = record.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for key, value in data.items():
        if key == "problem" and value:
            value = f"{value['kind']}: {value['reason']} (fix: {value['fix']})"
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        print(f"{key + ':':<14}{safe('-' if value is None else value)}")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from ._errors import FeatureUnavailableError

    registry = get_registry()
    records = registry.features()
    if not args.shallow:
        for record in records:
            if record.status is Status.OK:
                try:
                    registry.load(record.name)
                except FeatureUnavailableError:
                    pass  # recorded as a problem by the registry
    problems = registry.problems()
    errors = [p for p in problems if p.is_error]
    if args.json:
        print(json.dumps({
            "features": len(records),
            "ok": sum(r.status is Status.OK for r in registry.features()),
            "problems": [p.to_dict() for p in problems],
        }, indent=2))
        return 1 if errors else 0
    for problem in problems:
        label = "error" if problem.is_error else "note"
        print(f"{label}: [{problem.kind.value}] {safe(problem.subject)}")
        print(f"    why: {safe(problem.reason)}")
        print(f"    fix: {safe(problem.fix)}")
    ok = sum(r.status is Status.OK for r in registry.features())
    checked = "" if args.shallow else ", implementations imported"
    print(f"{len(records)} feature(s), {ok} ok, {len(errors)} problem(s){checked}.")
    return 1 if errors else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import importlib

    from ._errors import FeatureNotFoundError, FeatureUnavailableError

    registry = get_registry()
    try:
        record = registry.get(args.name)
        registry.load(args.name)
    except (FeatureNotFoundError, FeatureUnavailableError) as exc:
        print(f"fledge demo: {exc}", file=sys.stderr)
        return 2
    if record.feature.demo is None:
        print(f"fledge demo: feature {args.name!r} has no demo "
              f"(its manifest sets no 'demo').", file=sys.stderr)
        return 2
    module_name, _, function = record.feature.demo.partition(":")
    demo = getattr(importlib.import_module(module_name), function)
    result = demo(list(args.demo_args))
    return int(result or 0)


def _cmd_new(args: argparse.Namespace) -> int:
    from ._scaffold import scaffold_command

    return scaffold_command(args)


if __name__ == "__main__":
    sys.exit(main())
