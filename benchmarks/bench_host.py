"""How much the host costs: ``import fledge``, ``fledge list`` over 300 plugins, and
``trl.experimental`` served by a host.

Prints, measured in one run (medians of alternating runs, so machine noise hits both sides):

* ``python -c "import fledge"`` against ``python -c pass`` (aim: under 5 ms added);
* ``python -c "import fledge.experimental"``, for the record (it must not get slower);
* ``fledge list --json`` with 300 synthetic installed plugins against a bare
  ``importlib.metadata.entry_points(group="fledge")`` scan of the same environment
  (aim: under 3x);

and, on a copy of the installed TRL whose ``trl/experimental/__init__.py`` is the file of
docs/adopting.md (skipped when TRL is not installed):

* ``import trl.experimental`` with the host against TRL's own ``__init__``, timed in the
  process after ``import trl`` (the parent both share) (aim: at most 5 ms more);
* ``fledge list --host trl --json``, wall time (aim: under 300 ms), beside
  ``python -c "import trl"``, which it cannot avoid;
* the first import of a feature through the host against a plain import of the same module
  (the host's import hook taken off ``sys.meta_path``), in one process with the feature's
  dependencies already imported (aim: under 1 ms more).

Usage: ``python benchmarks/bench_host.py [--runs N] [--plugins N] [--no-trl]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
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


REPO = Path(__file__).resolve().parents[1]

# Times `import trl.experimental` after `import trl`, in the process.
NAMESPACE_PROBE = """\
import time, trl
start = time.perf_counter()
import trl.experimental
print(time.perf_counter() - start)
"""

# Imports feature {name!r} through the host and plainly, alternately, in one process; the
# feature's modules are dropped between rounds, its dependencies stay imported.
FEATURE_PROBE = """\
import importlib, json, sys, time, warnings
import trl.experimental as ns
from fledge import _namespace
warnings.simplefilter("ignore")
name = "trl.experimental." + {name!r}
finder = next(f for f in sys.meta_path if isinstance(f, _namespace._HostFinder)
              and f.host is ns.host)

def drop():
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]
    ns.__dict__.pop({name!r}, None)

def timed(through_host):
    drop()
    if not through_host:
        sys.meta_path.remove(finder)
    ns.host.notices.reset()
    start = time.perf_counter()
    importlib.import_module(name)
    elapsed = time.perf_counter() - start
    if not through_host:
        sys.meta_path.insert(0, finder)
    return elapsed

timed(False)  # the dependencies, once, so that both sides import only the feature's modules
ns.host.set_registry(None)
first = timed(True)  # the very first import through the host: its registry is built here
host, plain = [], []
for _ in range({runs}):
    plain.append(timed(False))
    host.append(timed(True))
print(json.dumps({{"first": first, "host": host, "plain": plain}}))
"""


def documented_init() -> str:
    page = (REPO / "docs" / "adopting.md").read_text()
    found = re.search(r'```python title="trl/experimental/__init__.py"\n(.*?)```', page, re.S)
    if found is None:
        raise SystemExit("docs/adopting.md shows no trl/experimental/__init__.py")
    return found.group(1)


def trl_copies(tmp: Path) -> tuple[Path, Path] | None:
    """Two copies of the installed TRL: as shipped, and adopted (the documented file)."""
    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(spec.submodule_search_locations[0])
    infos = sorted(source.parent.glob("trl-*.dist-info"))
    copies = []
    for kind in ("own", "host"):
        root = tmp / kind
        shutil.copytree(source, root / "trl", ignore=shutil.ignore_patterns("__pycache__"))
        if infos:
            shutil.copytree(infos[-1], root / infos[-1].name)
        if kind == "host":
            (root / "trl" / "experimental" / "__init__.py").write_text(documented_init())
            if infos:
                with (root / infos[-1].name / "entry_points.txt").open("a") as stream:
                    stream.write("\n[fledge.hosts]\ntrl = trl.experimental:host\n")
        copies.append(root)
    return copies[0], copies[1]


def in_process(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def bench_trl(runs: int, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copies = trl_copies(Path(tmp))
        if copies is None:
            print("trl is not installed: the trl.experimental measures are skipped")
            return
        own, host = copies
        env = dict(env, TRL_EXPERIMENTAL_SILENCE="1")  # TRL's own init warns at import
        env_own = dict(env, PYTHONPATH=os.pathsep.join([str(own), env.get("PYTHONPATH", "")]))
        env_host = dict(env, PYTHONPATH=os.pathsep.join([str(host), env.get("PYTHONPATH", "")]))
        in_process(NAMESPACE_PROBE, env_own), in_process(NAMESPACE_PROBE, env_host)  # warm up
        a, b = [], []
        for _ in range(runs):
            b.append(float(in_process(NAMESPACE_PROBE, env_own)))
            a.append(float(in_process(NAMESPACE_PROBE, env_host)))
        ours, theirs = statistics.median(a), statistics.median(b)
        print(f"import trl.experimental (after import trl): host {ours * 1e3:.2f} ms  "
              f"TRL's own __init__ {theirs * 1e3:.2f} ms  added: {(ours - theirs) * 1e3:.2f} ms"
              f" (fastest runs: {(min(a) - min(b)) * 1e3:.2f} ms)  (aim: <= 5 ms added)")

        listing, trl_import = compare(
            [sys.executable, "-m", "fledge.cli", "list", "--host", "trl", "--json"],
            [sys.executable, "-c", "import trl"], env_host, runs)
        print(f"fledge list --host trl --json: {listing * 1e3:.1f} ms  (aim: < 300 ms; "
              f"python -c 'import trl' alone: {trl_import * 1e3:.1f} ms)")

        features = sorted(p.parent.name for p in (host / "trl" / "experimental").glob(
            "*/__init__.py") if not p.parent.name.startswith("_"))
        name = "orpo" if "orpo" in features else features[0]
        rounds = json.loads(in_process(FEATURE_PROBE.format(name=name, runs=runs), env_host))
        plain = statistics.median(rounds["plain"])
        through = statistics.median(rounds["host"])
        fastest = (min(rounds["host"]) - min(rounds["plain"])) * 1e3
        print(f"first import of trl.experimental.{name}: through the host "
              f"{rounds['first'] * 1e3:.2f} ms (registry built), later rounds "
              f"{through * 1e3:.2f} ms; plain import {plain * 1e3:.2f} ms; added: "
              f"{(rounds['first'] - plain) * 1e3:.2f} ms first, {(through - plain) * 1e3:.2f}"
              f" ms later (fastest runs: {fastest:.2f} ms)  (aim: < 1 ms added)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--plugins", type=int, default=300)
    parser.add_argument("--no-trl", action="store_true", help="skip the trl.experimental part")
    args = parser.parse_args()
    env = dict(os.environ)
    # Users' installs keep compiled bytecode; measure that (the warm-up run writes it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    ours, bare = compare([sys.executable, "-c", "import fledge"],
                         [sys.executable, "-c", "pass"], env, args.runs)
    print(f"import fledge: {ours * 1e3:.1f} ms  python -c pass: {bare * 1e3:.1f} ms  "
          f"added: {(ours - bare) * 1e3:.1f} ms  ratio: {ours / bare:.2f}x  (aim: < 5 ms added)")
    ours, bare = compare([sys.executable, "-c", "import fledge.experimental"],
                         [sys.executable, "-c", "pass"], env, args.runs)
    print(f"import fledge.experimental: {ours * 1e3:.1f} ms  added: {(ours - bare) * 1e3:.1f} ms")

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
    if not args.no_trl:
        bench_trl(args.runs, env)


if __name__ == "__main__":
    main()
