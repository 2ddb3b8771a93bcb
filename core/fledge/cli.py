"""The ``fledge`` command: list, inspect and diagnose installed features, run their demos.

Every command prints a human table by default and JSON with ``--json``. None of ``list``,
``info`` or ``doctor --shallow`` imports a feature's implementation (so no torch).
``catalogue`` writes the catalogue into a doc-builder page (``--check``: exit 1 when it is
stale). ``--host NAME`` works on another library's namespace (``fledge hosts`` lists them); without
it, on fledge's own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import __version__
from ._errors import HostNotFoundError
from ._records import Status
from ._text import safe, table

if TYPE_CHECKING:
    from ._host import Host
    from ._registry import Registry


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
    except HostNotFoundError as exc:
        print(f"fledge: --host: {exc}", file=sys.stderr)
        return 2


def _host(args: argparse.Namespace) -> Host:
    name = getattr(args, "host", None)
    if name is None:
        from ._fledge_host import host

        return host
    from ._hosts import find_host

    return find_host(name)


def _registry(args: argparse.Namespace) -> Registry:
    return _host(args).registry()


def _add_host(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", metavar="HOST", default=None,
                        help="another library's namespace: a name from `fledge hosts`, or "
                             "its import path such as trl.experimental (default: fledge's)")


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
    _add_host(p)
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("info", help="show everything known about one feature")
    p.add_argument("name", help="feature name, as in `fledge list`")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    _add_host(p)
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser(
        "doctor", help="report every plugin or feature that failed to load (exit 1 if any)"
    )
    p.add_argument("--shallow", action="store_true",
                   help="do not import the features' implementations (faster, finds less)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    _add_host(p)
    p.set_defaults(run=_cmd_doctor)

    p = sub.add_parser("demo", help="run a feature's demo on a tiny local model")
    p.add_argument("name", help="feature name, as in `fledge list`")
    _add_host(p)
    p.add_argument("demo_args", nargs=argparse.REMAINDER, help="arguments for the demo")
    p.set_defaults(run=_cmd_demo)

    p = sub.add_parser("new", help="scaffold a third-party plugin package for a new feature")
    p.add_argument("name", help="feature name (a Python identifier)")
    p.add_argument("--directory", "-d", default=None,
                   help="where to create the package (default: ./fledge-<name>)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty folder")
    p.add_argument("--json", action="store_true", help="print the created files as JSON")
    _add_host(p)
    p.set_defaults(run=_cmd_new)

    from . import _catalogue_command

    _catalogue_command.add_parser(sub, _add_host, _cmd_catalogue)

    p = sub.add_parser("hosts", help="list the experimental namespaces fledge serves")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(run=_cmd_hosts)
    return parser


def _width() -> int:
    return max(shutil.get_terminal_size((80, 24)).columns, 40)


def _blocked_plugins(registry: Registry) -> list[dict[str, Any]]:
    """Plugins the switches kept from loading: their features are unknown, so one row each."""
    return [
        {"name": p.plugin, "stage": None, "summary": "", "since": None, "module": None,
         "exports": [], "owners": [], "distribution": p.distribution, "version": p.version,
         "status": Status.BLOCKED.value, "problem": p.to_dict(),
         "namespace": registry.host.namespace, "source": "plugin"}
        for p in registry.problems()
        if p.kind.value == "blocked" and p.feature is None
    ]


def _cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    rows = [record.to_dict() for record in registry.features()]
    if args.stage:
        rows = [r for r in rows if r["stage"] == args.stage]
    else:
        rows += _blocked_plugins(registry)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No features installed." + _problem_hint(registry))
        return 0
    lines = table(
        ["NAME", "STAGE", "SINCE", "DISTRIBUTION", "STATUS", "SUMMARY"],
        [[r["name"], r["stage"] or "-", r["since"] or "-",
          f"{r['distribution'] or '?'} {r['version'] or ''}".strip(), r["status"], r["summary"]]
         for r in rows],
        _width(),
        flex=5,
    )
    print("\n".join(lines) + _problem_hint(registry))
    return 0


def _problem_hint(registry: Registry) -> str:
    errors = [p for p in registry.problems() if p.is_error]
    if not errors:
        return ""
    return (f"\n\n{len(errors)} problem(s) found: run `{registry.host.command('doctor')}` for "
            "the reasons and fixes.")


def _cmd_info(args: argparse.Namespace) -> int:
    from ._errors import FeatureNotFoundError

    try:
        record = _registry(args).get(args.name)
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

    registry = _registry(args)
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

    registry = _registry(args)
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

    return scaffold_command(args, _host(args))


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from ._catalogue_command import run

    return run(args, _host(args))


def _cmd_hosts(args: argparse.Namespace) -> int:
    from ._hosts import registered_hosts

    rows = []
    for entry in registered_hosts():
        row: dict[str, Any] = {"name": entry.name, "entry_point": entry.value,
                               "distribution": entry.distribution, "error": entry.error}
        if entry.host is not None:
            host = entry.host
            registry = host.registry()
            records = registry.features()
            row.update(
                namespace=host.namespace, group=host.group, version=host.version,
                warning=f"{host.warning.__module__}.{host.warning.__qualname__}",
                silence_variables=list(host.silence_variables),
                switch_variables=list(host.switch_variables),
                features=len(records),
                in_tree=sum(r.source == "in-tree" for r in records),
                problems=sum(p.is_error for p in registry.problems()),
            )
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    lines = table(
        ["HOST", "NAMESPACE", "GROUP", "FEATURES", "DISTRIBUTION"],
        [[r["name"], r.get("namespace", "-"), r.get("group", "-"),
          "-" if r["error"] else f"{r['features']} ({r['in_tree']} in-tree)",
          r["error"] and f"error: {r['error']}" or
          f"{r['distribution'] or '?'} {r.get('version') or ''}".strip()]
         for r in rows],
        _width(),
        flex=4,
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
