"""Builds of the documentation site, shared by the docs tests.

:func:`catalogue_build` builds the real site (the repository's ``mkdocs.yml`` and ``docs/``)
in a subprocess whose ``PYTHONPATH`` holds sample distributions: a third-party plugin with a stable
and a deprecated feature, a plugin whose metadata tries to inject HTML, and a plugin that
fails to import. A readiness file in the shape ``promote check --format json`` writes is
configured. The build runs once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fledge.testing import PluginSite

REPO = Path(__file__).resolve().parents[2]

EVIL_SUMMARY = '<script>alert("summary")</script> and <img src=x onerror=alert(1)>'
EVIL_OWNER = '<img src=x onerror="alert(2)">'

SAMPLE_PLUGIN = '''
import fledge

@fledge.hookimpl
def fledge_features():
    return [
        fledge.Feature(
            name="sample_stable", summary="A promoted sample feature.",
            module="fledge_sample.impl", exports=("Stable",), since="0.3.0",
            stage="stable", stable_path="fledge_sample.stable", promoted_in="1.0.0",
            owners=("Ada", "Grace"), requires={"fledge": ">=0.1"},
            links={"paper": "https://example.org/paper"},
        ),
        fledge.Feature(
            name="sample_old", summary="A deprecated sample feature.",
            module="fledge_sample.impl", exports=("Old",), since="0.2.0",
            stage="deprecated", removal="2.0.0", replacement="sample_stable",
            owners=("Ada",),
        ),
    ]
'''

EVIL_PLUGIN = f'''
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(
        name="evil", summary={EVIL_SUMMARY!r}, module="fledge_evil.impl",
        exports=("x",), since="0.0.1", owners=({EVIL_OWNER!r},),
        links={{"home": "https://example.org/?q=<script>x</script>"}},
    )]
'''

BROKEN_PLUGIN = 'raise ImportError("<b>broken on purpose</b>")\n'

#: What ``promote check --all --format json`` recorded, in one of the shapes it may take.
READINESS = [
    {"feature": "sample_stable", "ready": True,
     "checks": [{"check": "tests-pass", "verdict": "pass", "reason": "3 passed"}]},
    {"feature": "sample_old", "verdict": "fail",
     "checks": [{"name": "docs-page", "status": "fail", "message": "no page",
                 "fix": "write docs/sample_old.md"},
                {"name": "manifest", "status": "pass"}]},
]


@dataclass
class Build:
    """A finished site build."""

    site: Path
    log: str

    def page(self, url: str) -> str:
        """The HTML of the page at ``url`` (a path relative to the site)."""
        return (self.site / url).read_text(encoding="utf-8")


def write_samples(root: Path) -> Path:
    """Write the sample distributions into ``root`` (``*.dist-info`` folders, no pip)."""
    site = PluginSite(root)
    site.add("fledge-sample", {"fledge_sample": SAMPLE_PLUGIN,
                               "fledge_sample.impl": "Stable = Old = object\n"},
             entry_points={"sample": "fledge_sample"}, version="1.2.0")
    site.add("fledge-evil", {"fledge_evil": EVIL_PLUGIN, "fledge_evil.impl": "x = 1\n"},
             version="0.0.1")
    site.add("fledge-broken", {"fledge_broken": BROKEN_PLUGIN}, version="0.1.0")
    site.close()  # only the files are wanted; the build runs in another process
    return root


def site_config(tmp: Path, *, readiness: Path | None) -> Path:
    """The repository's mkdocs.yml, with absolute paths, the readiness file and output in tmp."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    config["docs_dir"] = str(REPO / "docs")
    config["site_dir"] = str(tmp / "site")
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "fledge" in plugin:
            plugin["fledge"]["readiness"] = str(readiness) if readiness else None
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            python = plugin["mkdocstrings"]["handlers"]["python"]
            python["paths"] = [str(REPO / p) for p in python["paths"]]
    path = tmp / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build(config: Path, site: Path, *, pythonpath: list[Path] = ()) -> Build:
    """Run ``mkdocs build --strict`` in a subprocess; fail the test with its log if it fails."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), env.get("PYTHONPATH", "")])
    for variable in ("FLEDGE_DISABLE_PLUGIN_AUTOLOAD", "FLEDGE_PLUGINS_ALLOW",
                     "FLEDGE_PLUGINS_BLOCK"):
        env.pop(variable, None)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=300,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return Build(site, log)


_built: dict[str, Build] = {}


def catalogue_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real site, built with the sample plugins installed and a readiness file.

    Built once per session, whichever module asks first. (A plain function rather than a
    conftest fixture: the host's tests import helpers from their own ``conftest``, which a
    second conftest module would shadow.)
    """
    if "site" not in _built:
        tmp = tmp_path_factory.mktemp("catalogue-build")
        samples = write_samples(tmp / "samples")
        readiness = tmp / "promote-check.json"
        readiness.write_text(json.dumps(READINESS))
        config = site_config(tmp, readiness=readiness)
        _built["site"] = build(config, tmp / "site", pythonpath=[samples])
    return _built["site"]
