"""Benchmark: ``promote NAME`` (the dry run) on a generated repository of 2,000 Python files
and 300 Markdown pages, and a flat promotion on a copy of TRL's real package.

Prints the dry run's wall time (in-process, and through the command line), where the time
goes (cProfile, by module), and two references measured in the same run: reading every file
(the floor) and parsing every Python file with LibCST (what a planner without the text
pre-filter would pay). Then the TRL copy (the installed release's sdist, or its installed
package, with docs and tests laid out like TRL's; see tests/promotion/trl_copy.py): the dry
runs of a feature's whole life there (a flat promotion of ``cpo``, a demotion of ``rloo``, an
inclusion of a plugin made by ``fledge new`` and of TRL's real ``trl-cgrpo`` 0.2.0 from PyPI
(see tests/promotion/cgrpo_copy.py), the prune of the shims the demotion leaves), against
reading its files. Last, ``promote demote cpo`` on TRL 0.25.0's sdist, where CPO is still
stable (tests/promotion/trl_025_copy.py), and TRL 0.28.0's sdist developing 0.29 (see
tests/promotion/trl_028_copy.py): the dry run ``promote prune --version 0.29`` of its 33
hand-written shims (aim: under 2 s through the CLI).

    python benchmarks/bench_promote.py            # 2,000 .py / 300 .md (aim: under 10 s),
                                                  # then the TRL copy (aim: under 2 s)
    python benchmarks/bench_promote.py --quick    # 400 / 60, then the TRL copy
    python benchmarks/bench_promote.py --no-trl   # the generated repository only
    python benchmarks/bench_promote.py --only-trl028   # TRL 0.28's shims only
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import libcst as cst

from fledge_promote import Repo, find_feature, load_config, plan_promotion
from fledge_promote.planning._demote import plan_demotion
from fledge_promote.planning._include import plan_inclusion
from fledge_promote.planning._prune import plan_prune

CONFIG = """
[project]
name = "biglib"
version = "1.4.0"

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
docs_format = "mkdocs"
nav_file = "mkdocs.yml"
experimental_section = "Experimental"
stable_section = "Trainers"
"""

MODULE = '''"""Module {i} of biglib: helpers for component {i}."""

from __future__ import annotations

import math
{extra}

__all__ = ["Component{i}", "helper_{i}"]


class Component{i}:
    """Component number {i}."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def forward(self, values: list[float]) -> list[float]:
        return [math.tanh(v * self.scale) for v in values]

    def __repr__(self) -> str:
        return f"Component{i}(scale={{self.scale}})"


def helper_{i}(x: float) -> float:
    """Square ``x`` and add {i}."""
    return x * x + {i}
'''

PAGE = """# Page {i}

Component {i} does things. {extra}

```python
from biglib.pkg{d}.mod{i} import Component{i}

Component{i}(2.0).forward([1.0, 2.0])
```
"""


def generate(root: Path, n_py: int, n_md: int) -> None:
    """A repository with ``n_py`` Python files and ``n_md`` pages; 5% mention the feature."""
    (root / "pyproject.toml").write_text(CONFIG)
    pkg = root / "biglib"
    for folder in ("experimental/foo", "trainer"):
        (pkg / folder).mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text('__version__ = "1.4.0"\n')
    (pkg / "experimental/__init__.py").write_text("")
    (pkg / "trainer/__init__.py").write_text('_import_structure = {"base": ["Base"]}\n')
    (pkg / "experimental/foo/__init__.py").write_text("from .foo_trainer import FooTrainer\n")
    (pkg / "experimental/foo/foo_trainer.py").write_text(
        "from ...pkg0.mod0 import Component0\n\n\nclass FooTrainer(Component0):\n    pass\n")
    written = 4
    per_folder = 50
    i = 0
    while written < n_py:
        d = i // per_folder
        folder = pkg / f"pkg{d}"
        if not folder.exists():
            folder.mkdir()
            (folder / "__init__.py").write_text(f'"""Package {d}."""\n')
            written += 1
        extra = ("from biglib.experimental.foo import FooTrainer" if i % 20 == 0 else "")
        (folder / f"mod{i}.py").write_text(MODULE.format(i=i, extra=extra))
        written += 1
        i += 1
    tests = root / "tests/experimental"
    tests.mkdir(parents=True)
    (root / "tests/__init__.py").write_text("")
    (tests / "__init__.py").write_text("")
    (tests / "test_foo_trainer.py").write_text(
        "from biglib.experimental.foo import FooTrainer\n\n\ndef test_foo():\n"
        "    assert FooTrainer()\n")
    docs = root / "docs"
    docs.mkdir()
    nav = ["nav:", "  - Home: index.md", "  - Trainers:", "      - page0.md", "  - Experimental:",
           "      - Foo: foo.md"]
    (docs / "index.md").write_text("# biglib\n")
    (docs / "foo.md").write_text(textwrap.dedent("""\
        # Foo

        !!! warning "Experimental"
            May change.

        ```python
        from biglib.experimental.foo import FooTrainer
        ```

        ::: biglib.experimental.foo.FooTrainer
        """))
    for j in range(n_md - 2):
        extra = "See `biglib.experimental.foo`." if j % 20 == 0 else ""
        (docs / f"page{j}.md").write_text(PAGE.format(i=j, d=j // per_folder, extra=extra))
        if j:
            nav.insert(4, f"      - page{j}.md")
    (root / "mkdocs.yml").write_text("site_name: biglib\n" + "\n".join(nav) + "\n")


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def trl_copy_figure() -> None:
    """The dry runs of a feature's whole life on a git repository built from TRL's real
    package: a flat promotion, a demotion, the prune of the shims it leaves, an inclusion."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "promotion"))
    from cgrpo_copy import cgrpo_sdist, unpack_cgrpo
    from trl_copy import PROMOTED, build_trl_copy, git

    with tempfile.TemporaryDirectory(prefix="bench-promote-trl-") as tmp:
        root, source = build_trl_copy(Path(tmp) / "trl")
        files = Repo(root).files()
        read_seconds, _ = timed(lambda: [(root / f).read_text() for f in files])
        print(f"\nTRL copy ({source}): {len(files)} text files; reference: read every file "
              f"{read_seconds:.2f} s. Dry runs, in process (best of 3) and through the CLI "
              "(aim: each under 2 s):")

        def lifecycle(plan_fn):
            def dry_run():
                repo = Repo(root)
                config, _ = load_config(root)
                return plan_fn(repo, config)
            return dry_run

        plugin = Path(tmp) / "plugin"
        made = subprocess.run([sys.executable, "-m", "fledge.cli", "new", "length_bonus", "-d",
                               str(plugin)], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        steps = [
            (f"promote {PROMOTED} (flat)", lambda r, c: plan_promotion(
                r, c, find_feature(r, c, PROMOTED)), [PROMOTED]),
            ("demote rloo", lambda r, c: plan_demotion(r, c, "rloo"), ["demote", "rloo"]),
            ("include length_bonus", lambda r, c: plan_inclusion(r, c, str(plugin)),
             ["include", str(plugin)]),
        ]
        archive = cgrpo_sdist()
        if archive is None:
            print("  include trl-cgrpo: skipped (its sdist could not be fetched: offline?)")
        else:
            cgrpo = unpack_cgrpo(archive, Path(tmp) / "cgrpo")
            steps.append(("include trl-cgrpo (PyPI)", lambda r, c: plan_inclusion(
                r, c, str(cgrpo)), ["include", str(cgrpo)]))
        for label, plan_fn, argv in steps:
            _lifecycle_figure(root, label, lifecycle(plan_fn), argv, read_seconds)
        # prune needs shims: apply the demotion, then plan the removal of what it left
        done = subprocess.run([sys.executable, "-m", "fledge_promote.cli", "demote", "rloo",
                               "--apply", "--root", str(root), "-q", "--json"],
                              capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "demoted rloo")
        due = json.loads(done.stdout)["plan"]["facts"]["shims removed in"]
        _lifecycle_figure(root, f"prune --version {due}", lifecycle(
            lambda r, c: plan_prune(r, c, due)), ["prune", "--version", due], read_seconds)


def trl_025_figure() -> None:
    """The dry run of ``promote demote cpo`` on TRL 0.25.0's real package, CPO stable, as
    TRL stood just before its maintainers moved CPO into ``trl.experimental``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "promotion"))
    from trl_025_copy import VERSION, build_trl_025_copy

    with tempfile.TemporaryDirectory(prefix="bench-promote-trl025-") as tmp:
        root = build_trl_025_copy(Path(tmp) / "trl")
        if root is None:
            print(f"\nTRL {VERSION} copy: its sdist could not be fetched from PyPI; skipped")
            return
        files = Repo(root).files()
        read_seconds, _ = timed(lambda: [(root / f).read_text() for f in files])
        print(f"\nTRL {VERSION} copy (sdist, CPO stable): {len(files)} text files; reference: "
              f"read every file {read_seconds:.2f} s (aim: under 2 s through the CLI):")

        def dry_run():
            return plan_demotion(Repo(root), load_config(root)[0], "cpo")

        _lifecycle_figure(root, "demote cpo (flat, 0.25)", dry_run, ["demote", "cpo"],
                          read_seconds)


def trl028_prune_figure() -> None:
    """The dry run of ``promote prune --version 0.29`` on TRL 0.28.0 developing 0.29: its
    hand-written shims, found by their shape."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "promotion"))
    from trl_028_copy import build_trl_028_copy

    with tempfile.TemporaryDirectory(prefix="bench-promote-trl028-") as tmp:
        root = build_trl_028_copy(Path(tmp) / "trl")
        if root is None:
            print("\nTRL 0.28.0's sdist could not be fetched: no prune figure")
            return
        files = Repo(root).files()
        read_seconds, _ = timed(lambda: [(root / f).read_text() for f in files])
        print(f"\nTRL 0.28.0 developing 0.29 (sdist): {len(files)} text files; reference: "
              f"read every file {read_seconds:.2f} s (aim: the CLI dry run under 2 s):")

        def dry_run():
            repo = Repo(root)
            config, _ = load_config(root)
            return plan_prune(repo, config, "0.29")

        _lifecycle_figure(root, "prune --version 0.29", dry_run,
                          ["prune", "--version", "0.29"], read_seconds)


def _lifecycle_figure(root: Path, label: str, dry_run, argv: list[str], read_seconds: float
                      ) -> None:
    dry_run()  # warm the imports
    seconds, plan = min((timed(dry_run) for _ in range(3)), key=lambda run: run[0])
    cli_seconds, done = timed(lambda: subprocess.run(
        [sys.executable, "-m", "fledge_promote.cli", *argv, "--root", str(root), "-q"],
        capture_output=True, text=True))
    assert done.returncode == 0, done.stderr
    print(f"  {label:28} {seconds:5.2f} s in process, {cli_seconds:5.2f} s CLI  "
          f"({len(plan.moves)} moves, {len(plan.writes)} written, {len(plan.deletes)} deleted;"
          f" dry run / read = {seconds / read_seconds:4.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 Python files, 60 pages")
    parser.add_argument("--git", action="store_true", help="make the repository a git one")
    parser.add_argument("--no-trl", action="store_true", help="skip the TRL copy")
    parser.add_argument("--only-trl028", action="store_true",
                        help="only the prune of TRL 0.28's hand-written shims")
    args = parser.parse_args()
    if args.only_trl028:
        trl028_prune_figure()
        return
    n_py, n_md = (400, 60) if args.quick else (2000, 300)
    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        root = Path(tmp)
        generate(root, n_py, n_md)
        if args.git:
            env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
                   "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
            for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "gen"]):
                subprocess.run(["git", *cmd], cwd=root, check=True, env=env)
        py_files = sorted(root.rglob("*.py"))
        md_files = sorted(root.rglob("*.md"))
        print(f"repository: {len(py_files)} Python files, {len(md_files)} Markdown pages"
              f"{' (git)' if args.git else ''}")

        def dry_run():
            repo = Repo(root)
            config, _ = load_config(root)
            return plan_promotion(repo, config, find_feature(repo, config, "foo"))

        seconds, plan = timed(dry_run)
        profile = cProfile.Profile()
        profile.enable()
        dry_run()
        profile.disable()
        cli_seconds, done = timed(lambda: subprocess.run(
            [sys.executable, "-m", "fledge_promote.cli", "foo", "--root", str(root), "-q"],
            capture_output=True, text=True))
        assert done.returncode == 0, done.stderr
        read_seconds, _ = timed(lambda: [p.read_text() for p in py_files + md_files])
        parse_seconds, _ = timed(lambda: [cst.parse_module(p.read_text()) for p in py_files])

        print(f"plan: {len(plan.moves)} moves, {len(plan.writes)} files written, "
              f"{len(plan.mentions)} mentions listed, diff {len(plan.diff()):,} characters")
        print(f"dry run, in process:            {seconds:6.2f} s")
        print(f"dry run, `promote foo` (CLI):   {cli_seconds:6.2f} s  (aim: under 10 s)")
        print(f"reference: read every file:     {read_seconds:6.2f} s  "
              f"(dry run / read = {seconds / read_seconds:5.1f}x)")
        print(f"reference: LibCST-parse all .py:{parse_seconds:6.2f} s  "
              f"(dry run / parse-all = {seconds / parse_seconds:5.2f}x)")
        print("\nwhere the time goes (cumulative seconds inside fledge_promote, by module):")
        stats = pstats.Stats(profile, stream=io.StringIO())
        by_module: dict[str, float] = defaultdict(float)
        for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
            if "fledge_promote" in filename:
                key = "fledge_promote/" + filename.split("fledge_promote/")[1]
            elif "libcst" in filename:
                key = "libcst (parsing, visiting, code generation)"
            elif "/yaml/" in filename:
                key = "yaml"
            else:
                key = "other (I/O, re, difflib, stdlib)"
            by_module[key] += tottime
        total = sum(by_module.values())
        for key, value in sorted(by_module.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {value:6.2f} s  {100 * value / total:5.1f}%  {key}")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
            "fledge_promote", 8)
        print("\ntop functions by cumulative time:")
        print("\n".join(line for line in out.getvalue().splitlines()
                        if "fledge_promote" in line)[:2000])
    if not args.no_trl:
        trl_copy_figure()
        trl_025_figure()
        trl028_prune_figure()


if __name__ == "__main__":
    main()
