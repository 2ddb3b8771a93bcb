"""The ``catalogue`` check: the docs' catalogue section lists the feature, up to date.

A doc-builder site keeps the catalogue in a page (``catalogue_page``), written by
``fledge catalogue``. The check runs ``fledge catalogue PAGE --check --json`` in a
subprocess, in the repository root with ``python_path`` first on ``PYTHONPATH`` (the host's
namespace is imported there, not in promote's process), once per page and tree state, and
gives each feature its own verdict.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from ._protocol import CheckContext, CheckResult, failed, passed, skipped
from ._testrun import subprocess_env

__all__ = ["CatalogueCheck"]

_RESULTS: dict[tuple[str, ...], dict[str, Any]] = {}


class CatalogueCheck:
    name = "catalogue"
    description = ("The catalogue section of catalogue_page lists the feature as its "
                   "metadata says, and nothing that is no longer shipped.")

    def run(self, context: CheckContext) -> CheckResult:
        config, repo, name = context.config, context.repo, context.feature.name
        page = config.catalogue_page
        if not page:
            return skipped(self.name, "no catalogue_page configured (mkdocs and Sphinx sites "
                                      "generate the catalogue when they build)")
        if not repo.exists(page):
            return failed(self.name, f"catalogue page {page} does not exist",
                          f"create it with the lines {_MARKERS}, or correct catalogue_page",
                          file=page)
        command = f"fledge catalogue {page} --host {config.experimental_package}"
        found = _checked(context, page)
        if found.get("error"):
            if "serves no host" in found["error"]:
                return skipped(self.name, f"{config.experimental_package} is not served by "
                                          "fledge (docs/adopting.md): no catalogue to check")
            return failed(self.name, found["error"], f"fix it, then run `{command}`",
                          file=page)
        problems = [line for line in found["problems"] if _concerns(line, name)]
        if problems:
            return failed(self.name, f"the catalogue in {page} is out of date: "
                                     + "; ".join(problems),
                          f"run `{command}` and commit the page", file=page,
                          details={"problems": problems})
        return passed(self.name, f"listed and up to date in {page}", file=page)


_MARKERS = "<!-- fledge:catalogue:begin --> and <!-- fledge:catalogue:end -->"
_ABOUT = re.compile(r"^(missing|changed): (\w+) \(")


def _concerns(line: str, name: str) -> bool:
    """Whether a problem line is this feature's: its own, a stale entry, or the whole page's."""
    about = _ABOUT.match(line)
    return about is None or about[2] == name


def _fingerprint(context: CheckContext, page: str) -> tuple[str, ...]:
    """What the section depends on in the tree: the page and the feature packages' files."""
    folder = context.repo.root / context.config.experimental_dir
    stamps = sorted(f"{p.relative_to(folder)}:{p.stat().st_mtime_ns}:{p.stat().st_size}"
                    for p in folder.glob("*/__init__.py")) if folder.is_dir() else []
    return (str(context.repo.root), page, context.repo.read(page) or "",
            context.config.experimental_package, *stamps)


def _checked(context: CheckContext, page: str) -> dict[str, Any]:
    """The JSON of ``fledge catalogue --check`` on ``page``, run once per page and content."""
    repo, config = context.repo, context.config
    key = _fingerprint(context, page)
    if key not in _RESULTS:
        done = subprocess.run(
            [sys.executable, "-m", "fledge.cli", "catalogue", page, "--check", "--json",
             "--host", config.experimental_package],
            cwd=repo.root, env=subprocess_env(repo, config), capture_output=True, text=True,
            timeout=config.tests_timeout,
        )
        try:
            found = json.loads(done.stdout) if done.returncode in (0, 1) else None
        except json.JSONDecodeError:
            found = None
        if isinstance(found, dict) and isinstance(found.get("problems"), list):
            _RESULTS[key] = found
        else:
            error = done.stderr.strip().splitlines()
            _RESULTS[key] = {"error": (error[-1] if error else f"exit {done.returncode}")
                             .removeprefix("fledge catalogue: ").removeprefix("fledge: ")}
    return _RESULTS[key]
