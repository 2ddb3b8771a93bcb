"""The ``promote`` command.

``promote check NAME|--all``, ``promote NAME [--apply]``, ``promote include SOURCE``,
``promote demote NAME``, ``promote deprecate NAME --removal VERSION``, ``promote retire NAME``,
``promote prune [--version V]``, ``promote report NAME|--all``, ``promote --recover``.
Exit status: 0 ready / done, 1 not ready / refused / failed and restored, 2 usage or
configuration error (or a crash).

May import: every part.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from ._errors import (
    ApplyError,
    ConfigError,
    JournalError,
    PlanError,
    RefusedError,
    UsageError,
)
from .applying._apply import apply_plan, journal_exists, recover
from .applying._environment import refresh_install
from .checks._output import FORMATS, render
from .checks._protocol import CheckContext, run_checks
from .checks._recorded import RecordedRun
from .checks._selection import collect_checks
from .checks._testrun import run_tests
from .planning._plan import Plan
from .report._cli import report_parser, run_report
from .repository._config import load_config
from .repository._features import find_feature, list_features
from .repository._repo import JOURNAL_DIR, Repo, output_file, write_output

__all__ = ["main"]

_SUBCOMMANDS = ("check", "include", "demote", "deprecate", "retire", "prune", "report")


_SUBCOMMAND_HELP = """\
commands (each has -h):
  promote NAME [--apply]           promote an experimental feature to the stable API
  promote check NAME|--all         is a feature ready? the checks, with reasons and fixes
  promote include SOURCE           an outside prototype -> an experimental in-tree feature
  promote demote NAME              stable -> experimental, shims at the old paths
  promote deprecate NAME --removal V   stable -> deprecated
  promote retire NAME              experimental -> gone
  promote prune [--version V]      remove the shims whose removal version has come
  promote report NAME|--all        the evidence for promoting or removing, most neglected first
  promote --recover                finish or undo a run that was interrupted
"""


def _progress(quiet: bool) -> Callable[[str], None]:
    def emit(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    return emit


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the repository root (default: .)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    check = argparse.ArgumentParser(prog="promote check",
                                    description="Is a feature ready for promotion?")
    check.add_argument("name", nargs="?", help="the feature (omit with --all)")
    check.add_argument("--all", action="store_true", help="check every experimental feature")
    check.add_argument("--format", choices=FORMATS, default="table", help="output format")
    check.add_argument("--json", action="store_true", help="same as --format json")
    check.add_argument("--only", action="append", default=[], metavar="CHECK",
                       help="run only this check (repeatable)")
    check.add_argument("--report", metavar="FILE",
                       help="also write the JSON report to FILE (the docs catalogue reads it)")
    check.add_argument("--junit", metavar="FILE",
                       help="tests-pass reads this pytest JUnit XML instead of running pytest "
                            "(with --coverage-data)")
    check.add_argument("--coverage-data", metavar="FILE",
                       help="coverage reads this coverage data file (with --junit)")
    _common(check)

    promote = argparse.ArgumentParser(
        prog="promote", description="Promote an experimental feature into the stable namespace "
        "(dry run by default).", epilog=_SUBCOMMAND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    promote.add_argument("name", nargs="?", help="the feature to promote")
    promote.add_argument("--apply", action="store_true", help="carry the plan out")
    promote.add_argument("--force", action="store_true", help="apply even if checks fail")
    promote.add_argument("--allow-dirty", action="store_true",
                         help="apply even with uncommitted changes")
    promote.add_argument("--recover", action="store_true",
                         help="finish or undo a run that was interrupted")
    promote.add_argument("--json", action="store_true", help="print the result as JSON")
    promote.add_argument("--no-diff", action="store_true", help="print the summary only")
    _common(promote)

    deprecate = argparse.ArgumentParser(prog="promote deprecate",
                                        description="Deprecate a stable feature.")
    deprecate.add_argument("name")
    deprecate.add_argument("--removal", required=True, help="the version that removes it")
    deprecate.add_argument("--replacement", help="what to use instead")
    retire = argparse.ArgumentParser(prog="promote retire",
                                     description="Remove an experimental feature for good.")
    retire.add_argument("name")
    retire.add_argument("--replacement", help="what to use instead")
    include = argparse.ArgumentParser(
        prog="promote include", description="Move a prototype made outside the repository (a "
        "fledge plugin or any project with one top-level package) into its experimental "
        "namespace, as an in-tree feature.")
    include.add_argument("source", help="the prototype's source tree (a folder with a "
                                        "pyproject.toml), or an installed distribution's name")
    include.add_argument("--name", help="the feature's name (default: the plugin's entry point, "
                                        "else its package's name without a prefix naming the "
                                        "target: trl_cgrpo -> cgrpo)")
    include.add_argument("--uninstall-prototype", action="store_true",
                         help="with --apply: uninstall the prototype's distribution from this "
                              "environment (pip) before applying, instead of refusing")
    demote = argparse.ArgumentParser(
        prog="promote demote", description="Move a stable feature back into the experimental "
        "namespace, with a FutureWarning shim at every old import path.")
    demote.add_argument("name", help="the stable feature (a package, or in the flat layout "
                                     "the stem its modules share, such as rloo)")
    demote.add_argument("--removal", help="the version that removes the shims (default: "
                                          "deprecation_releases after this one)")
    prune = argparse.ArgumentParser(
        prog="promote prune", description="Remove the deprecation shims whose removal version "
        "has come, recognised by their shape (whoever wrote them); list what is not clearly one.")
    prune.add_argument("--version", help="remove shims due at or before this release "
                                         "(default: the version being developed, as its "
                                         "release: 0.29.0.dev0 counts as 0.29)")
    for parser in (deprecate, retire, include, demote, prune):
        parser.add_argument("--apply", action="store_true", help="carry the plan out")
        parser.add_argument("--allow-dirty", action="store_true")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--no-diff", action="store_true")
        _common(parser)
    return {"check": check, "promote": promote, "deprecate": deprecate, "retire": retire,
            "include": include, "demote": demote, "prune": prune, "report": report_parser()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``promote`` command line; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in _SUBCOMMANDS else "promote"
    parser = _parsers()[command]
    try:
        args = parser.parse_args(argv[1:] if command != "promote" else argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    try:
        return {"check": _check, "promote": _promote, "report": run_report}.get(
            command, _lifecycle)(args, command)
    except (ConfigError, UsageError, JournalError) as exc:
        return _fail(args, "error", exc, 2)
    except (RefusedError, PlanError) as exc:
        return _fail(args, "refused", exc, 1)
    except ApplyError as exc:
        return _fail(args, "apply", exc, 1)
    except BrokenPipeError:
        return 0
    except Exception:  # noqa: BLE001 - a crash is exit status 2, with the traceback
        traceback.print_exc()
        print("promote: internal error (above); please report it", file=sys.stderr)
        return 2


def _fail(args: argparse.Namespace, kind: str, exc: Exception, status: int) -> int:
    """Say why the command stopped: on stderr, and with ``--json`` also as JSON on stdout,
    so a machine reading the output sees the problem the text shows."""
    label = {"error": "promote: error: ", "refused": "promote: refused: ", "apply": "promote: "}
    print(f"{label[kind]}{exc}", file=sys.stderr)
    if getattr(args, "json", False) or getattr(args, "format", None) == "json":
        print(json.dumps({"error": {"kind": type(exc).__name__, "message": str(exc),
                                    "exit_status": status}}, indent=2))
    return status


def _repo(args: argparse.Namespace) -> Repo:
    if not args.root or not Path(args.root).is_dir():
        raise UsageError(f"--root {args.root!r}: not a folder; name the repository's root")
    return Repo(Path(args.root))


def _open(args: argparse.Namespace):
    repo = _repo(args)
    config, _ = load_config(repo.root)
    return repo, config


def _check(args: argparse.Namespace, _command: str) -> int:
    if bool(args.name) == bool(args.all):
        raise UsageError("name one feature, or pass --all")
    fmt = "json" if args.json else args.format
    repo, config = _open(args)
    if bool(args.junit) != bool(args.coverage_data):
        raise UsageError("--junit and --coverage-data go together (tests-pass and coverage "
                         "read the same recorded run); pass both, or neither")
    report = output_file("--report", args.report) if args.report else None
    recorded = (RecordedRun.open(args.junit, args.coverage_data) if args.junit
                else None)
    reports = check_features(repo, config, [args.name] if args.name else None, args.only,
                             _progress(args.quiet), recorded=recorded)
    print(render(reports, fmt))
    if report is not None:
        write_output("--report", report, render(reports, "json") + "\n")
    return 0 if all(r.ready for r in reports) else 1


def check_features(repo, config, names, only=(), progress=lambda s: None, recorded=None):
    """Run the checks on ``names`` (every experimental feature when None).

    ``recorded`` (a ``RecordedRun``) gives tests-pass and coverage an earlier run's results.
    """
    names = names if names is not None else list_features(repo, config)
    checks, problems = collect_checks(config)
    if only:
        unknown = set(only) - {c.name for c in checks}
        if unknown:
            raise UsageError(f"unknown check(s) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(c.name for c in checks)}")
        checks = [c for c in checks if c.name in only]
    reports = []
    for name in names:
        info = find_feature(repo, config, name)
        context = CheckContext(repo, config, info, progress)
        if recorded is not None:
            context.cache["recorded"] = recorded
        progress(f"checking {name}: {len(checks)} checks")
        report = run_checks(context, checks, lambda r, n=name: progress(
            f"  {n}: {r.check}: {r.verdict} ({r.duration:.1f} s)"))
        report.results.extend(problems)
        reports.append(report)
    return reports


def _print_plan(plan: Plan, args: argparse.Namespace) -> None:
    if args.json:
        return
    if not args.no_diff:
        sys.stdout.write(plan.diff())
        print()
    print("\n".join(plan.summary()))


def _promote(args: argparse.Namespace, _command: str) -> int:
    repo = _repo(args)
    if args.recover:
        result = recover(repo)
        if args.json:
            print(json.dumps(result.to_dict()))
        else:
            print({"nothing": "nothing to recover: no interrupted run",
                   "undone": f"undid the interrupted {result.action or ''} run; the tree is as "
                             "it was before it",
                   "finished": f"the interrupted {result.action} run had completed; its journal "
                               "is removed"}[result.outcome])
            if result.git_lock:
                print(result.git_lock)
        return 0
    if not args.name:
        raise UsageError("name a feature to promote (or use check, deprecate, retire, "
                         "--recover); see promote -h")
    _refuse_journal(repo)
    repo, config = _open(args)
    progress = _progress(args.quiet)
    info = find_feature(repo, config, args.name)
    from .planning._promotion import plan_promotion  # LibCST: only where a plan is made

    plan = plan_promotion(repo, config, info, progress)
    _print_plan(plan, args)
    output = {"plan": plan.to_dict(), "applied": False}
    status = 0 if not plan.failures else 1
    if args.apply:
        _refuse_dirty(repo, args)
        reports = check_features(repo, config, [info.name], progress=progress)
        output["checks"] = reports[0].to_dict()
        if not reports[0].ready:
            failing = [r.check for r in reports[0].results if r.verdict.value in ("fail", "error")]
            if not args.force:
                if not args.json:
                    print(render(reports, "table"))
                raise RefusedError(f"{info.name} is not ready ({', '.join(failing)} failed); "
                                   "fix them or pass --force")
            progress(f"--force: applying although {', '.join(failing)} failed")
        apply_plan(repo, plan, progress)
        output["applied"] = True
        output["environment"] = _refresh(repo, plan, progress, args)
        status = _rerun_tests(repo, config, plan, progress, output, args)
    elif not args.json:
        print("dry run: nothing was written; add --apply to carry it out")
    if args.json:
        print(json.dumps(output, indent=2))
    return status


def _refresh(repo: Repo, plan, progress, args: argparse.Namespace) -> str | None:
    """Keep the environment's install of the project in step with the applied plan."""
    said = refresh_install(repo, plan, progress)
    if said and not args.json:
        print(said)
    return said


def _rerun_tests(repo, config, plan, progress, output, args) -> int:
    tests = [t for t in plan.test_paths if (repo.root / t).exists()]
    if not tests:
        output["tests_after"] = None
        return 0
    progress(f"running the moved tests at their new place: {', '.join(tests)}")
    run = run_tests(repo, config, tests, progress=progress)
    output["tests_after"] = run.to_dict()
    ok = not (run.failed or run.errors or run.timed_out) and run.passed > 0
    if (reason := run.no_tests_reason()) is not None:
        output["tests_after"]["reason"] = reason
    if not args.json:
        print(f"applied. tests at the new place: {run.counts()} "
              f"({'pass' if ok else 'FAIL'}{': ' + reason if reason else ''})")
        for line in run.failing_lines():
            print(line)
        if run.timed_out:
            print(f"  the tests passed the {config.tests_timeout} s limit and were stopped")
    return 0 if ok else 1


def _refuse_journal(repo: Repo) -> None:
    if journal_exists(repo):
        raise RefusedError(f"an interrupted run left {JOURNAL_DIR}/ in {repo.root}; run "
                           "`promote --recover` first")


def _refuse_dirty(repo: Repo, args: argparse.Namespace) -> None:
    dirty = repo.dirty_paths()
    if dirty and not args.allow_dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise RefusedError(f"the git tree has uncommitted changes ({shown}); commit or stash "
                           "them, or pass --allow-dirty")


def _lifecycle(args: argparse.Namespace, command: str) -> int:
    repo, config = _open(args)
    _refuse_journal(repo)
    progress = _progress(args.quiet)
    plan = _plan_lifecycle(repo, config, args, command, progress)
    _print_plan(plan, args)
    output = {"plan": plan.to_dict(), "applied": False}
    status = 1 if plan.failures else 0
    if args.apply:
        _refuse_dirty(repo, args)
        if command == "include":
            output["uninstalled"] = _installed_prototype(plan, args, progress)
        apply_plan(repo, plan, progress)
        output["applied"] = True
        output["environment"] = _refresh(repo, plan, progress, args)
        if not args.json:
            print(f"applied: {command} {plan.feature}")
        if plan.test_paths:
            status = max(status, _rerun_tests(repo, config, plan, progress, output, args))
    elif not args.json:
        print("dry run: nothing was written; add --apply to carry it out")
    if args.json:
        print(json.dumps(output, indent=2))
    return status


def _installed_prototype(plan: Plan, args: argparse.Namespace, progress) -> str | None:
    """Refuse to include a prototype still installed here, or uninstall it when asked;
    returns the distribution uninstalled."""
    from .applying._prototype import uninstall
    from .planning._include import installed_prototype

    dist = installed_prototype(plan)
    if dist is None:
        return None
    if not args.uninstall_prototype:
        raise RefusedError(f"the prototype {dist} is installed where promote runs "
                           f"({sys.executable}): it and the included feature would both provide "
                           f"{plan.feature!r}; pass --uninstall-prototype, or `pip uninstall "
                           f"{dist}` first. Nothing was written.")
    uninstall(dist, progress)
    return dist


def _plan_lifecycle(repo, config, args: argparse.Namespace, command: str, progress) -> Plan:
    """The plan of lifecycle verb ``command``: every verb but promote itself."""
    # Imported here: the planners bring LibCST, which check, report and --recover never need.
    from .planning._demote import plan_demotion
    from .planning._include import plan_inclusion
    from .planning._lifecycle import plan_deprecation, plan_retirement
    from .planning._prune import plan_prune

    if command == "deprecate":
        info = find_feature(repo, config, args.name, stage="stable")
        return plan_deprecation(repo, config, info, args.removal, args.replacement, progress)
    if command == "retire":
        info = find_feature(repo, config, args.name)
        return plan_retirement(repo, config, info, args.replacement, progress)
    if command == "include":
        return plan_inclusion(repo, config, args.source, progress, name=args.name)
    if command == "demote":
        return plan_demotion(repo, config, args.name, args.removal, progress)
    return plan_prune(repo, config, args.version, progress)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
