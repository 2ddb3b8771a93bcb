"""How long writing and checking the doc-builder catalogue of TRL's tree takes.

On a copy of the installed TRL whose ``trl/experimental/__init__.py`` is the file of
docs/adopting.md, with a ``docs/source/`` laid out like TRL's (a toctree, an overview page
holding the markers), prints, measured in one run (medians of alternating runs):

* ``fledge catalogue PAGE --host trl`` (writing the section) and ``... --check``, wall time
  of the command (aim: each under 1 s), against ``fledge list --host trl --json``, which
  reads the same registry: the ratio is what writing or checking adds;
* the same in one process, after the registry is read: building the content, rendering the
  section and comparing it with the page.

Usage: ``python benchmarks/bench_catalogue.py [--runs N]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = "docs/source/experimental_overview.md"


def served_trl(root: Path) -> Path:
    """A copy of the installed TRL, served by fledge as docs/adopting.md shows."""
    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("trl is not installed: nothing to measure")
    source = Path(spec.submodule_search_locations[0])
    shutil.copytree(source, root / "trl", ignore=shutil.ignore_patterns("__pycache__"))
    [info] = sorted(source.parent.glob("trl-*.dist-info"))[-1:]
    shutil.copytree(info, root / info.name)
    page = (REPO / "docs" / "adopting.md").read_text()
    init = re.search(r'```python title="trl/experimental/__init__.py"\n(.*?)```', page, re.S)
    (root / "trl" / "experimental" / "__init__.py").write_text(init.group(1))
    with (root / info.name / "entry_points.txt").open("a") as stream:
        stream.write("\n[fledge.hosts]\ntrl = trl.experimental:host\n")
    docs = root / "docs" / "source"
    docs.mkdir(parents=True)
    features = sorted(p.parent.name for p in (root / "trl" / "experimental").glob(
        "*/__init__.py") if not p.parent.name.startswith("_"))
    pages = "".join(f"  - local: {name}_trainer\n    title: {name}\n" for name in features)
    (docs / "_toctree.yml").write_text(
        f"- sections:\n  - local: experimental_overview\n    title: Experimental\n{pages}"
        "  title: Experimental\n")
    for name in features:
        (docs / f"{name}_trainer.md").write_text(f"# {name}\n")
    (root / PAGE).write_text("# Experimental\n\n<!-- fledge:catalogue:begin -->\n"
                             "<!-- fledge:catalogue:end -->\n")
    return root


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{done.stdout}{done.stderr}")
    return elapsed


IN_PROCESS = """
import sys, time
from pathlib import Path
from fledge._hosts import find_host
from fledge._catalogue_model import build_catalogue
from fledge._catalogue_command import section_for
from fledge._catalogue_docbuilder import check_section, render_section
host = find_host("trl")
host.registry().features()
start = time.perf_counter()
catalogue = build_catalogue(host, shipped_only=True)
where = section_for(Path(sys.argv[1]), command="fledge catalogue " + sys.argv[1] + " --host trl")
render_section(catalogue, where)
problems = check_section(catalogue, where)
print(len(catalogue.entries), time.perf_counter() - start, len(problems))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fledge-bench-catalogue-") as tmp_name:
        root = served_trl(Path(tmp_name) / "trl")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEDGE_")}
        env["PYTHONPATH"] = str(root)
        fledge = [sys.executable, "-m", "fledge.cli"]
        commands = {
            "list --host trl --json": [*fledge, "list", "--host", "trl", "--json"],
            "catalogue (write)": [*fledge, "catalogue", PAGE, "--host", "trl"],
            "catalogue --check": [*fledge, "catalogue", PAGE, "--host", "trl", "--check"],
        }
        timed(commands["catalogue (write)"], root, env)  # warm the caches, write it once
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, root, env))
        done = subprocess.run([sys.executable, "-c", IN_PROCESS, PAGE], cwd=root, env=env,
                              capture_output=True, text=True, check=True)
        count, inside, problems = done.stdout.split()
    reference = statistics.median(times["list --host trl --json"])
    print(f"TRL's tree: {count} features; median of {args.runs} runs, wall time")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  fledge {name:<24} {median * 1000:7.0f} ms  ({median / reference:4.2f}x list)"
              + ("" if name.startswith("list") else
                 f"  {'under' if median < 1 else 'OVER'} 1 s"))
    print(f"  in process, registry read: content + render + check {float(inside) * 1000:.1f} ms "
          f"({problems} problems)")


if __name__ == "__main__":
    main()
