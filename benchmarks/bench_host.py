"""How much the host costs: ``import fledge``, and ``fledge list`` over 300 plugins.

Prints, measured in one run (medians of alternating runs, so machine noise hits both sides):

* ``python -c "import fledge"`` against ``python -c pass`` (aim: under 20 ms added);
* ``fledge list --json`` with 300 synthetic installed plugins against a bare
  ``importlib.metadata.entry_points(group="fledge")`` scan of the same environment
  (aim: under 3x).

Usage: ``python benchmarks/bench_host.py [--runs N] [--plugins N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fledge.testing.plugins import PluginSite

PLUGIN = """\
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(
        name={name!r}, summary="Synthetic feature number {i}.", module="{name}_impl",
        exports=("thing",), since="0.1.0", owners=("bench",), requires={{"pluggy": ">=1"}},
    )]
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(ours: list[str], reference: list[str], env: dict[str, str], runs: int):
    timed(ours, env), timed(reference, env)  # warm the file cache and the .pyc files
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours, env))
        b.append(timed(reference, env))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--plugins", type=int, default=300)
    args = parser.parse_args()
    env = dict(os.environ)
    # Users' installs keep compiled bytecode; measure that (the warm-up run writes it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    ours, bare = compare([sys.executable, "-c", "import fledge"],
                         [sys.executable, "-c", "pass"], env, args.runs)
    print(f"import fledge: {ours * 1e3:.1f} ms  python -c pass: {bare * 1e3:.1f} ms  "
          f"added: {(ours - bare) * 1e3:.1f} ms  ratio: {ours / bare:.2f}x  (aim: < 20 ms added)")

    with tempfile.TemporaryDirectory() as tmp:
        site = PluginSite(Path(tmp))
        for i in range(args.plugins):
            name = f"synthetic_{i:03d}"
            site.add(f"fledge-{name}", {name: PLUGIN.format(name=name, i=i),
                                        f"{name}_impl": "thing = 1\n"})
        env["PYTHONPATH"] = os.pathsep.join([tmp, env.get("PYTHONPATH", "")])
        listing = subprocess.run([sys.executable, "-m", "fledge.cli", "list", "--json"],
                                 env=env, capture_output=True, text=True, check=True)
        count = sum(r["name"].startswith("synthetic_") for r in json.loads(listing.stdout))
        assert count == args.plugins, f"fledge list saw {count} of {args.plugins} plugins"
        scan = ("import importlib.metadata as m; "
                "print(len(list(m.entry_points(group='fledge'))))")
        ours, bare = compare([sys.executable, "-m", "fledge.cli", "list", "--json"],
                             [sys.executable, "-c", scan], env, args.runs)
    print(f"fledge list --json ({args.plugins} plugins): {ours * 1e3:.1f} ms  "
          f"bare entry_points scan: {bare * 1e3:.1f} ms  ratio: {ours / bare:.2f}x  "
          f"(aim: < 3x)")


if __name__ == "__main__":
    main()
