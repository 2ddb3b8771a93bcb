"""Benchmark: ``promote report`` on a generated repository of 30 features and 5,000 commits,
and on the copy of TRL's package with a scripted history; then ``promote check --all`` with
``--junit``/``--coverage-data`` (the CI run's results) against a fresh run.

Prints wall times, where the report's time goes (the one ``git log`` against the rest), and
references measured in the same run: ``git log --name-status`` alone (the floor of any
history-based report) and, for the checks, the recording pytest run against a plain one
(the cost .ci/run pays for coverage).

    python benchmarks/bench_report.py             # 30 features, 5,000 commits (aim: < 10 s)
    python benchmarks/bench_report.py --quick     # 10 features, 1,000 commits
    python benchmarks/bench_report.py --no-trl --no-checks
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "promotion"))

import report_history as rh  # noqa: E402

from fledge_promote import Repo, load_config  # noqa: E402
from fledge_promote.report._cli import build_report  # noqa: E402

CONFIG = """
[project]
name = "biglib"
version = "1.0.0"

[tool.fledge.promote]
source_root = "."
experimental_package = "biglib.experimental"
stable_package = "biglib.trainer"
export_to = ["biglib.trainer"]
public_aliases = []
manifests = "none"
experimental_tests = ["tests/experimental/test_{name}*.py"]
stable_tests = "tests"
docs_dir = "docs"
docs_pages = ["docs/{name}.md"]
python_path = ["."]
"""
PARENTS = 5
STABLE_MODULES = 200


def parent(k: int) -> str:
    methods = "\n".join(textwrap.indent(textwrap.dedent(f"""
        def method_{m}(self, x):
            total = 0
            for i in range(x):
                total += i * {m}
            if total > 100:
                total -= 1
            return total
        """), "    ") for m in range(20))
    return f'"""Stable parent {k}."""\n\n\nclass Parent{k}:\n{methods}'


def feature(i: int, revision: int, relative: bool = True) -> str:
    """Feature ``i``'s trainer: it overrides ``i % 7 + 1`` of its parent's 20 methods."""
    k = i % PARENTS
    overrides = "\n".join(f"    def method_{m}(self, x):\n        return {revision} + x\n"
                          for m in range(i % 7 + 1))
    imports = (f"from ...trainer.parent{k} import Parent{k}" if relative
               else f"from biglib.trainer.parent{k} import Parent{k}")
    return f'"""Feature {i}, revision {revision}."""\n\n{imports}\n\n\n' \
           f"class Feature{i}Trainer(Parent{k}):\n{overrides}"


def generated_steps(features: int, commits: int, seed: int = 0) -> list[rh.Step]:
    """A history of ``commits`` commits: own work, sweeps, co-changes, stable work, moves."""
    rng = random.Random(seed)
    exp = "biglib/experimental"
    base = {"pyproject.toml": CONFIG, ".gitignore": "__pycache__/\n",
            "biglib/__init__.py": '"""biglib."""\n',
            "biglib/trainer/__init__.py": "".join(f"from .parent{k} import Parent{k}\n"
                                                  for k in range(PARENTS)),
            f"{exp}/__init__.py": '"""Experimental."""\n', "docs/index.md": "# biglib\n",
            **{f"biglib/trainer/parent{k}.py": parent(k) for k in range(PARENTS)},
            **{f"biglib/trainer/module{m}.py": f"VALUE_{m} = 0\n" for m in range(STABLE_MODULES)}}
    steps = [rh.Step("init", 0, "Root", base)]
    revision = {i: 0 for i in range(features)}
    moved_late = set(range(min(3, features)))  # these start as stable modules and move in
    location = {i: (f"biglib/trainer/feature{i}.py" if i in moved_late
                    else f"{exp}/feature{i}/trainer.py") for i in range(features)}
    for i in range(features):
        files = {location[i]: feature(i, 0, relative=i not in moved_late)}
        if i not in moved_late:
            files.update({f"{exp}/feature{i}/__init__.py":
                          f"from .trainer import Feature{i}Trainer  # {i}\n",
                          f"tests/experimental/test_feature{i}.py":
                          f"def test_feature_{i}():\n    assert {i} >= 0\n",
                          f"docs/feature{i}.md": f"# Feature {i}\n"})
        steps.append(rh.Step(f"land{i}", 1 + i * 0.1, f"Author{i % 9}", files))
    authors = [f"Author{a}" for a in range(9)] + ["Bot"]
    day = 10.0
    stable = [f"biglib/trainer/module{m}.py" for m in range(STABLE_MODULES)]
    while len(steps) < commits:
        day += 0.05
        n = len(steps)
        kind = rng.random()
        i = rng.randrange(features)
        if i in moved_late and rng.random() < 0.02:
            new = f"{exp}/feature{i}/trainer.py"
            moved_late.discard(i)
            revision[i] += 1
            steps.append(rh.Step(f"c{n}", day, authors[i % 9], {
                new: feature(i, revision[i]),
                f"{exp}/feature{i}/__init__.py": f"from .trainer import Feature{i}Trainer\n"},
                move={location[i]: new}))
            location[i] = new
            continue
        if kind < 0.55:  # own work
            revision[i] += 1
            files = {location[i]: feature(i, revision[i], relative=i not in moved_late)}
            steps.append(rh.Step(f"c{n}", day, authors[rng.randrange(9)], files))
        elif kind < 0.70:  # a sweep across many features
            chosen = rng.sample(range(features), rng.randint(5, features))
            files = {}
            for j in chosen:
                revision[j] += 1
                files[location[j]] = feature(j, revision[j], relative=j not in moved_late)
            steps.append(rh.Step(f"c{n}", day, "Bot", files))
        elif kind < 0.80:  # the feature changes with its stable parent
            revision[i] += 1
            k = i % PARENTS
            steps.append(rh.Step(f"c{n}", day, authors[rng.randrange(9)], {
                location[i]: feature(i, revision[i], relative=i not in moved_late),
                f"biglib/trainer/parent{k}.py": parent(k) + f"\n# revision {n}\n"}))
        elif kind < 0.95:  # stable work only
            files = {path: f"VALUE = {n}\n" for path in rng.sample(stable, rng.randint(1, 3))}
            steps.append(rh.Step(f"c{n}", day, authors[rng.randrange(10)], files))
        else:  # a repository-wide refactor that also touches one feature
            revision[i] += 1
            files = {path: f"VALUE = {n}  # refactor\n" for path in rng.sample(stable, 25)}
            files[location[i]] = feature(i, revision[i], relative=i not in moved_late)
            steps.append(rh.Step(f"c{n}", day, "Bot", files))
    return steps


def timed(label: str, function, *args, **kw):
    start = time.perf_counter()
    result = function(*args, **kw)
    seconds = time.perf_counter() - start
    print(f"  {label:<56} {seconds:7.2f} s")
    return result, seconds


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fledge_promote.cli", *args, "--root",
                           str(root)], capture_output=True, text=True, timeout=1800)


def git_log_floor(root: Path) -> None:
    subprocess.run(["git", "log", "-z", "--topo-order", "-M", "--name-status",
                    "--format=%H"], cwd=root, capture_output=True, check=True)


def bench_report(root: Path, label: str, aim: float | None) -> None:
    config, _ = load_config(root)
    count = rh.commit_count(root)
    print(f"{label}: {count:,} commits")
    _, floor = timed("reference: git log --name-status alone (floor)", git_log_floor, root)
    text, seconds = timed("promote report --all --format json (in-process)", build_report,
                          Repo(root), config, fmt="json")
    features = json.loads(text)["features"]
    _, through_cli = timed("promote report --all (command line, table)", cli, root,
                           "report", "--all", "-q")
    own = sum(f["history"]["own_work"]["count"] for f in features)
    sweeps = sum(f["history"]["sweeps"]["count"] for f in features)
    print(f"  {len(features)} features; {own:,} own-work and {sweeps:,} sweep attributions")
    verdict = "" if aim is None else f"; aim < {aim:g} s: {'met' if seconds < aim else 'MISSED'}"
    print(f"  report / git log floor: {seconds / floor:.1f}x{verdict} "
          f"(command line {through_cli:.2f} s)")


def add_history(root: Path, commits: int, seed: int = 1) -> None:
    """Scripted commits on top of the TRL copy: own work, sweeps, parent co-changes."""
    rng = random.Random(seed)
    experimental = sorted(p for p in (root / "trl" / "experimental").iterdir()
                          if p.is_dir() and (p / "__init__.py").is_file())
    trainers = sorted((root / "trl" / "trainer").glob("*_trainer.py"))
    texts: dict[str, str] = {}

    def edit(path: Path, n: int) -> tuple[str, str]:
        rel = path.relative_to(root).as_posix()
        texts.setdefault(rel, path.read_text(encoding="utf-8"))
        return rel, texts[rel] + f"\n# scripted edit {n}\n"

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()
    start = int(subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root,
                               capture_output=True, text=True, check=True).stdout)
    stream = bytearray()
    for n in range(commits):
        kind = rng.random()
        pick = rng.choice(experimental)
        modules = sorted(pick.glob("*.py"))
        if kind < 0.6:
            files = dict([edit(rng.choice(modules), n)])
        elif kind < 0.8:
            files = dict(edit(sorted(p.glob("*.py"))[0], n)
                         for p in rng.sample(experimental, min(8, len(experimental))))
        else:
            files = dict([edit(rng.choice(modules), n), edit(rng.choice(trainers), n)])
        when = f"{start + n + 1} +0000"  # a second apart, after the copy's own commit
        author = f"Dev{rng.randrange(6)}"
        stream += f"commit refs/heads/main\nauthor {author} <{author}@x> {when}\n".encode()
        stream += f"committer {author} <{author}@x> {when}\n".encode()
        message = f"scripted {n}".encode()
        stream += b"data %d\n%s\n" % (len(message), message)
        stream += (f"from {head}\n" if n == 0 else "").encode()
        for rel, text in files.items():
            raw = text.encode()
            stream += f'M 100644 inline "{rel}"\n'.encode() + b"data %d\n" % len(raw) + raw + b"\n"
        stream += b"\n"
    subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=root, input=bytes(stream),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)


def bench_trl(tmp: Path, commits: int) -> None:
    from trl_copy import build_trl_copy

    root, source = build_trl_copy(tmp / "trl-copy")
    add_history(root, commits)
    bench_report(root, f"TRL copy (from its {source}) with {commits:,} scripted commits", None)


CHECK_FEATURE = '''
import math


def heavy_{i}(n):
    """Some work for the tests to do."""
    return sum(math.sqrt(k) for k in range(n))


class Trainer{i}:
    def step(self, n=200_000):
        return heavy_{i}(n)
'''
CHECK_TEST = '''
from biglib.experimental.feature{i} import Trainer{i}, heavy_{i}


def test_step():
    assert Trainer{i}().step() > 0


def test_heavy():
    assert heavy_{i}(400_000) > heavy_{i}(10)
'''


def bench_checks(tmp: Path, features: int) -> None:
    """promote check --all: a fresh run against the recorded run's results."""
    root = tmp / "checks"
    files = {"pyproject.toml": CONFIG + "min_age_days = 0\n", ".gitignore": "__pycache__/\n",
             "biglib/__init__.py": "", "biglib/trainer/__init__.py": "",
             "biglib/experimental/__init__.py": "", "tests/__init__.py": "",
             "tests/experimental/__init__.py": "", "docs/index.md": "# biglib\n"}
    for i in range(features):
        files[f"biglib/experimental/feature{i}/__init__.py"] = (
            f"from .core import Trainer{i}, heavy_{i}\n")
        files[f"biglib/experimental/feature{i}/core.py"] = CHECK_FEATURE.format(i=i)
        files[f"tests/experimental/test_feature{i}.py"] = CHECK_TEST.format(i=i)
        files[f"docs/feature{i}.md"] = f"# Feature {i}\n"
    rh.build(root, [rh.Step("init", 0, "Root", files)])
    env = {**os.environ, "PYTHONPATH": str(root)}
    print(f"promote check --all on {features} features (their tests take real time)")
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    _, plain = timed("reference: python -m pytest (plain)", subprocess.run, pytest,
                     cwd=root, env=env, capture_output=True)
    junit, data = tmp / "junit.xml", tmp / "promote.coverage"
    recording = [*pytest, f"--junitxml={junit}", "-p", "fledge_promote._pytest_coverage",
                 f"--promote-coverage={data}"]
    _, recorded_run = timed("python -m pytest with --junitxml and per-test coverage",
                            subprocess.run, recording, cwd=root, env=env, capture_output=True)
    fresh, fresh_s = timed("promote check --all (fresh: pytest under coverage, each)",
                           cli, root, "check", "--all", "--json", "-q")
    again, again_s = timed("promote check --all --junit --coverage-data", cli, root,
                           "check", "--all", "--json", "-q", "--junit", str(junit),
                           "--coverage-data", str(data))

    def verdicts(done):
        return {f["feature"]: {r["check"]: r["verdict"] for r in f["results"]}
                for f in json.loads(done.stdout)["features"]}

    same = verdicts(fresh) == verdicts(again)
    print(f"  same verdicts: {same}; check speed-up {fresh_s / again_s:.1f}x; recording "
          f"costs {100 * (recorded_run - plain) / plain:+.0f}% on this suite's pytest run "
          "(a worst case: its tests spend their time in the measured feature code)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 features, 1,000 commits")
    parser.add_argument("--no-trl", action="store_true", help="skip the TRL copy")
    parser.add_argument("--no-checks", action="store_true", help="skip promote check")
    args = parser.parse_args()
    features, commits = (10, 1000) if args.quick else (30, 5000)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp = Path(tmp)
        steps = generated_steps(features, commits)
        _, seconds = timed(f"building the generated repository ({len(steps):,} commits)",
                           rh.build, tmp / "generated", steps)
        bench_report(tmp / "generated", f"generated: {features} features",
                     None if args.quick else 10.0)
        if not args.no_trl:
            bench_trl(tmp, 300 if args.quick else 1000)
        if not args.no_checks:
            bench_checks(tmp, 4 if args.quick else 8)


if __name__ == "__main__":
    main()
