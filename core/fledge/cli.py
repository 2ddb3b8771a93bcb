"""The ``fledge`` command: list, inspect and diagnose installed features, run their demos.

Every command prints a human table by default and JSON with ``--json``. None of ``list``,
``info`` or ``doctor --shallow`` imports a feature's implementation (so no torch).
``catalogue`` writes the catalogue into a doc-builder page (``--check``: exit 1 when it is
stale). ``--host NAME`` works on another library's namespace (``fledge hosts`` lists them); without
it, on fledge's own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import __version__
from ._errors import HostNotFoundError
from ._records import Status
from ._text import safe, table

if TYPE_CHECKING:
    from ._host import Host
    from ._registry import Registry


#: The exit statuses every command shares (``demo`` passes on its demo's own status).
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fledge`` command line; return its exit status.

    0: done, nothing wrong found; 1: done, but a plugin or feature has a problem (``list``,
    ``info``, ``doctor``, ``hosts`` print everything all the same); 2: a bad argument, an
    unknown feature or host (nothing done).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        with _fledge_warnings_as_lines():
            return args.run(args)
    except BrokenPipeError:  # `fledge list | head`
        return EXIT_OK
    except HostNotFoundError as exc:
        print(f"fledge: --host: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _UsageError as exc:
        print(f"fledge {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


class _UsageError(Exception):
    """An argument the command cannot use; printed as ``fledge CMD: message``, exit 2."""


@contextlib.contextmanager
def _fledge_warnings_as_lines() -> Iterator[None]:
    """Print fledge's own warnings (a bad switch value) as ``fledge: warning: ...`` lines."""
    from ._stability import FledgeWarning

    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, FledgeWarning):
            print(f"fledge: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


def _feature_name(args: argparse.Namespace) -> str:
    """The NAME argument, refused unless it can be a feature's name (a Python identifier)."""
    name = args.name
    if not name.isidentifier():
        raise _UsageError(f"NAME must be a feature's name, a Python identifier such as "
                          f"'bema_for_ref_model' (`{_host(args).command('list')}` lists "
                          f"them); got {name!r}")
    return name


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
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

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


def _plugin_rows(registry: Registry) -> list[dict[str, Any]]:
    """A row for each problem no feature row shows: a plugin blocked, or one that failed
    before declaring its features (or declared one that could not be registered).

    Such a row is named after the plugin, has no stage, and its status is ``blocked`` or
    ``broken``; its ``problem`` says what happened and how to fix it.
    """
    shown = {record.problem for record in registry.features() if record.problem is not None}
    return [
        {"name": p.plugin, "stage": None, "summary": "", "since": None, "module": None,
         "exports": [], "owners": [], "distribution": p.distribution, "version": p.version,
         "status": Status.BLOCKED.value if p.kind.value == "blocked" else Status.BROKEN.value,
         "problem": p.to_dict(), "namespace": registry.host.namespace, "source": "plugin"}
        for p in registry.problems()
        if p not in shown and not (p.kind.value == "blocked" and p.feature is not None)
    ]


def _status(registry: Registry) -> int:
    """1 when the registry recorded an error (not a note), else 0."""
    return EXIT_PROBLEMS if any(p.is_error for p in registry.problems()) else EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    rows = [record.to_dict() for record in registry.features()]
    if args.stage:
        rows = [r for r in rows if r["stage"] == args.stage]
    else:
        rows += _plugin_rows(registry)
    if args.json:
        print(json.dumps(rows, indent=2))
        return _status(registry)
    if not rows:
        print("No features installed." + _problem_hint(registry))
        return _status(registry)
    lines = table(
        ["NAME", "STAGE", "SINCE", "DISTRIBUTION", "STATUS", "SUMMARY"],
        [[r["name"], r["stage"] or "-", r["since"] or "-",
          f"{r['distribution'] or '?'} {r['version'] or ''}".strip(), r["status"],
          r["summary"] or (r["problem"] or {}).get("reason", "")]
         for r in rows],
        _width(),
        flex=5,
    )
    print("\n".join(lines) + _problem_hint(registry))
    return _status(registry)


def _problem_hint(registry: Registry) -> str:
    errors = [p for p in registry.problems() if p.is_error]
    if not errors:
        return ""
    return (f"\n\n{len(errors)} problem(s) found: run `{registry.host.command('doctor')}` for "
            "the reasons and fixes.")


def _cmd_info(args: argparse.Namespace) -> int:
    from ._errors import FeatureNotFoundError

    name = _feature_name(args)
    try:
        record = _registry(args).get(name)
    except FeatureNotFoundError as exc:
        raise _UsageError(str(exc)) from None
    data = record.to_dict()
    status = EXIT_OK if record.problem is None or not record.problem.is_error else EXIT_PROBLEMS
    if args.json:
        print(json.dumps(data, indent=2))
        return status
    for key, value in data.items():
        if key == "problem" and value:
            value = f"{value['kind']}: {value['reason']} (fix: {value['fix']})"
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        print(f"{key + ':':<14}{safe('-' if value is None else value)}")
    return status


def _cmd_doctor(args: argparse.Namespace) -> int:
    registry = _registry(args)
    records = registry.features()
    if not args.shallow:
        _import_implementations(registry, [r for r in records if r.status is Status.OK])
    problems = registry.problems()
    switches = registry.switch_issues()
    status = _status(registry)
    ok = sum(r.status is Status.OK for r in registry.features())
    if args.json:
        print(json.dumps({
            "features": len(records),
            "ok": ok,
            "problems": [p.to_dict() for p in problems],
            "switches": [issue.to_dict() for issue in switches],
        }, indent=2))
        return status
    for problem in problems:
        label = "error" if problem.is_error else "note"
        print(f"{label}: [{problem.kind.value}] {safe(problem.subject)}")
        print(f"    why: {safe(problem.reason)}")
        print(f"    fix: {safe(problem.fix)}")
    for issue in switches:
        print(f"note: [switch] {issue.variable}={safe(repr(issue.value))}")
        print(f"    why: {safe(issue.message)}")
        print(f"    fix: {safe(issue.fix)}")
    checked = "" if args.shallow else ", implementations imported"
    errors = sum(p.is_error for p in problems)
    print(f"{len(records)} feature(s), {ok} ok, {errors} problem(s){checked}.")
    return status


def _import_implementations(registry: Registry, records: list) -> None:
    """Import each feature's implementation (recording failures), saying so on stderr.

    Importing the training stack takes seconds; the progress lines keep the wait explained
    and stay off stdout, which ``--json`` owns.
    """
    from ._errors import FeatureUnavailableError

    for number, record in enumerate(records, 1):
        print(f"fledge doctor: importing {record.import_path} ({number}/{len(records)}; "
              "--shallow skips this)...", file=sys.stderr, flush=True)
        try:
            registry.load(record.name)
        except FeatureUnavailableError:
            pass  # recorded as a problem by the registry


def _cmd_demo(args: argparse.Namespace) -> int:
    import importlib

    from ._errors import FeatureNotFoundError, FeatureUnavailableError

    name = _feature_name(args)
    registry = _registry(args)
    try:
        record = registry.get(name)
        registry.load(name)
    except (FeatureNotFoundError, FeatureUnavailableError) as exc:
        raise _UsageError(str(exc)) from None
    if record.feature.demo is None:
        raise _UsageError(_no_demo(record, registry.host))
    module_name, _, function = record.feature.demo.partition(":")
    try:
        demo = getattr(importlib.import_module(module_name), function)
    except Exception as exc:  # noqa: BLE001 - the plugin's fault, explained, not a traceback
        print(f"fledge demo: feature {name!r} names the demo {record.feature.demo!r}, which "
              f"cannot be loaded: {type(exc).__name__}: {exc}. Fix the manifest's 'demo' "
              f"field or that module, or upgrade {record.distribution or 'its distribution'}.",
              file=sys.stderr)
        return EXIT_PROBLEMS
    result = demo(list(args.demo_args))
    return int(result or 0)


def _no_demo(record, host: Host) -> str:
    """Why ``fledge demo`` cannot run ``record``'s feature, and how its author adds a demo."""
    package = record.feature.module.partition(".")[0]
    where = ("its package's __init__.py" if record.source == "in-tree"
             else "the Feature(...) its plugin returns from fledge_features")
    return (f"feature {record.name!r} has no demo: its manifest sets no 'demo'. Its author "
            f"adds one with demo='module:function' in {where}, e.g. "
            f"demo='{package}.demo:main', where main(argv: list[str]) -> int runs a short "
            f"example (argv: what follows `{host.command('demo')} NAME`) and returns the "
            "exit status. `fledge list` shows the features.")


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
    status = EXIT_PROBLEMS if any(r["error"] for r in rows) else EXIT_OK
    if args.json:
        print(json.dumps(rows, indent=2))
        return status
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
    return status


if __name__ == "__main__":
    sys.exit(main())
