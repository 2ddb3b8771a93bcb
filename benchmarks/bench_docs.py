"""How much 300 installed features cost the docs build.

Builds the real site (``mkdocs.yml`` and ``docs/``, as ``mkdocs build --strict`` in CI) twice
per round: with no extra feature installed (the built-ins only), and with 300 synthetic
plugins of one feature each, written as ``*.dist-info`` folders on the build's
``PYTHONPATH``. Prints the median wall time of each, and their ratio. ``--minimal`` builds a
one-page site with only the catalogue plugin instead, to isolate the catalogue's own cost.

    python benchmarks/bench_docs.py            # 3 rounds
    python benchmarks/bench_docs.py --quick    # 1 round
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

PLUGIN = '''
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(
        name="synthetic_{i:03d}", summary="Synthetic feature number {i} for the benchmark.",
        module="fledge_synthetic_{i:03d}.impl", exports=("thing",), since="0.{minor}.0",
        stage="{stage}", owners=("bench",), requires={{"fledge": ">=0.1"}},
        links={{"paper": "https://example.org/{i}"}},
        {extra}
    )]
'''


def write_plugins(root: Path, count: int) -> Path:
    """Write ``count`` one-feature distributions into ``root``, as pip would lay them out."""
    stages = ("experimental", "stable", "deprecated")
    for i in range(count):
        stage = stages[i % 3]
        extra = {"experimental": "", "stable": f'stable_path="fledge_synthetic_{i:03d}.impl",',
                 "deprecated": 'removal="9.0.0",'}[stage]
        package = root / f"fledge_synthetic_{i:03d}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            PLUGIN.format(i=i, minor=i % 10, stage=stage, extra=extra))
        (package / "impl.py").write_text("thing = 1\n")
        info = root / f"fledge_synthetic_{i:03d}-1.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: fledge-synthetic-{i:03d}\nVersion: 1.0.0\n")
        (info / "entry_points.txt").write_text(
            f"[fledge]\nsynthetic_{i:03d} = fledge_synthetic_{i:03d}\n")
    return root


def site_config(tmp: Path, minimal: bool) -> Path:
    """A config to build: the repository's (absolute paths), or a one-page catalogue site."""
    if minimal:
        docs = tmp / "docs"
        docs.mkdir()
        (docs / "index.md").write_text("# Bench\n\nSee the [catalogue](catalogue/index.md).\n")
        config = {"site_name": "bench", "docs_dir": str(docs), "theme": {"name": "material"},
                  "plugins": ["search", "fledge"]}
    else:
        config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
        config["docs_dir"] = str(REPO / "docs")
        for plugin in config["plugins"]:
            if isinstance(plugin, dict) and "mkdocstrings" in plugin:
                python = plugin["mkdocstrings"]["handlers"]["python"]
                python["paths"] = [str(REPO / p) for p in python["paths"]]
            if isinstance(plugin, dict) and "fledge" in plugin:
                plugin["fledge"]["readiness"] = None
    path = tmp / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build(config: Path, site: Path, pythonpath: Path | None) -> float:
    """Seconds one ``mkdocs build --strict`` takes, in a fresh interpreter."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config),
         "-d", str(site)], cwd=config.parent, env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"mkdocs build failed:\n{result.stdout}{result.stderr}")
    return elapsed


def catalogue_cost(plugins: Path) -> tuple[float, float]:
    """Seconds to discover the synthetic features, and to write their catalogue Markdown.

    Measured in this process, on a registry that sees only ``plugins``: the share of the
    build's extra time that is fledge's own (the rest is mkdocs rendering the extra pages).
    """
    import fledge
    from fledge import _catalogue

    sys.path.insert(0, str(plugins))
    try:
        start = time.perf_counter()
        registry = fledge.Registry(path=[str(plugins)])
        records = registry.features()
        discovered = time.perf_counter()
        _catalogue.render_index(records, registry.problems(), {}, lambda name: f"{name}/")
        for record in records:
            _catalogue.render_feature(record, _catalogue.UNKNOWN, index_url="../")
        rendered = time.perf_counter()
    finally:
        sys.path.remove(str(plugins))
    return discovered - start, rendered - discovered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--features", type=int, default=300, help="synthetic features (300)")
    parser.add_argument("--minimal", action="store_true",
                        help="a one-page site with only the catalogue plugin")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="fledge-bench-docs-") as tmp_name:
        tmp = Path(tmp_name)
        plugins = write_plugins(tmp / "plugins", args.features)
        config = site_config(tmp, args.minimal)
        none, many = [], []
        for _ in range(rounds):  # interleaved, so drift in the machine's load hits both
            none.append(build(config, tmp / "site-none", None))
            many.append(build(config, tmp / "site-many", plugins))
        pages = len(list((tmp / "site-many" / "catalogue").glob("*/index.html")))
        discovery, markdown = catalogue_cost(plugins)
    base, loaded = statistics.median(none), statistics.median(many)
    site = "one-page site" if args.minimal else "the fledge site"
    print(f"mkdocs build --strict of {site}, median of {rounds} round(s):")
    print(f"  built-in features only:          {base:7.2f} s")
    print(f"  with {args.features} synthetic features:    {loaded:7.2f} s  "
          f"({pages} feature pages)")
    print(f"  ratio (with / without):          {loaded / base:7.2f}x")
    print(f"  per extra feature:               {(loaded - base) / args.features * 1000:7.1f} ms")
    print(f"  of the extra time, fledge's own: {discovery * 1000:7.0f} ms discovering the "
          f"features, {markdown * 1000:.0f} ms writing their pages' Markdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
