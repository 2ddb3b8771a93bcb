"""Run the built-in features' tests against other TRL (and transformers) releases.

For each requested version this creates a fresh virtual environment that sees the current
environment's packages (through a ``.pth`` file, see ``tests/venvs.py``; in a venv,
``--system-site-packages`` would expose the base Python's instead), installs the pinned
releases into it so they shadow the current ones, and runs the built-in features' test
suites there. It prints a matrix (versions, pass/fail, counts, time) as a Markdown table,
or JSON with ``--json``.

By default it tests the oldest TRL that ``pyproject.toml`` admits; ``.ci/run`` covers the
newest, since that is what a fresh install resolves to.

Usage::

    python scripts/compat.py                       # the oldest supported trl
    python scripts/compat.py --trl 1.12.0 --trl 1.14.0 --transformers 4.57.6
    python scripts/compat.py --json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
SUITES = ["tests/plugins"]

sys.path.insert(0, str(REPO / "tests"))
from venvs import clean_env, make_venv  # noqa: E402  (the tests' helper, not a package)


@dataclass
class Outcome:
    trl: str
    transformers: str
    passed: int
    failed: int
    skipped: int
    seconds: float
    ok: bool
    note: str = ""
    failures: list[str] = field(default_factory=list)


def oldest_supported(distribution: str) -> str:
    """The lower bound that the ``train`` extra of pyproject.toml sets for ``distribution``."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    for requirement in data["project"]["optional-dependencies"]["train"]:
        match = re.fullmatch(rf"{distribution}\s*>=\s*([\w.]+).*", requirement)
        if match:
            return match.group(1)
    raise SystemExit(f"pyproject.toml's train extra sets no lower bound for {distribution}")


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          env=clean_env(), **kwargs)


def make_env(root: Path, pins: list[str]) -> Path:
    """A venv over the current packages, with ``pins`` installed into it."""
    try:
        python = make_venv(root)
    except (AssertionError, subprocess.SubprocessError) as error:
        raise SystemExit(f"could not create a virtual environment: {error}") from None
    done = run([python, "-m", "pip", "install", "-q", *pins])
    if done.returncode:
        raise SystemExit(f"pip could not install {' '.join(pins)}:\n{done.stderr[-2000:]}")
    return python


def installed(python: Path, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    return run([python, "-c", code]).stdout.strip()


def test(python: Path, pytest_args: list[str]) -> tuple[dict[str, int], float, str, list[str]]:
    start = time.perf_counter()
    # Test paths given after ``--`` replace the default suites (else both would run).
    paths = [a for a in pytest_args if not a.startswith("-") and (REPO / a.split("::")[0]).exists()]
    suites = [] if paths else SUITES
    done = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suites, *pytest_args],
               cwd=REPO)
    seconds = time.perf_counter() - start
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    counts = {key: int(n) for n, key in re.findall(r"(\d+) (passed|failed|skipped|error)",
                                                    summary)}
    # pytest's short summary (-ra in pyproject.toml) names each failing test.
    failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return counts, seconds, summary, failures


def check(trl: str, transformers: str | None, pytest_args: list[str]) -> Outcome:
    pins = [f"trl=={trl}"] + ([f"transformers=={transformers}"] if transformers else [])
    print(f"compat: testing {' '.join(pins)} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="fledge-compat-") as tmp:
        python = make_env(Path(tmp), pins)
        versions = installed(python, "trl"), installed(python, "transformers")
        counts, seconds, summary, failures = test(python, pytest_args)
    failed = counts.get("failed", 0) + counts.get("error", 0)
    return Outcome(versions[0], versions[1], counts.get("passed", 0), failed,
                   counts.get("skipped", 0), round(seconds, 1),
                   ok=failed == 0 and counts.get("passed", 0) > 0,
                   note="" if failed == 0 and counts.get("passed") else summary,
                   failures=failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trl", action="append", help="a trl version (repeatable); "
                        "default: the oldest that pyproject.toml admits")
    parser.add_argument("--transformers", help="also pin this transformers version")
    parser.add_argument("--json", action="store_true", help="print the matrix as JSON")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    args = parser.parse_args()
    outcomes = [check(v, args.transformers, args.pytest_args)
                for v in args.trl or [oldest_supported("trl")]]
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        print("| trl | transformers | result | passed | failed | skipped | time |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for o in outcomes:
            print(f"| {o.trl} | {o.transformers} | {'pass' if o.ok else 'FAIL'} | {o.passed} "
                  f"| {o.failed} | {o.skipped} | {o.seconds:.0f} s |")
        for o in outcomes:
            for line in o.failures:
                print(f"\ntrl {o.trl}, transformers {o.transformers}: {line}", end="")
        print()
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
