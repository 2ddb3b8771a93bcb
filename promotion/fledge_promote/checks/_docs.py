"""The docs checks: the page exists, is in the navigation and shows every export; its Python
examples compile and, unless marked to skip, run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .._errors import ConfigError, PlanError
from ..repository._docs_formats import get_docs_format
from ..repository._markdown import code_blocks
from ._protocol import CheckContext, CheckResult, failed, passed, skipped
from ._testrun import subprocess_env

__all__ = ["DocsPageCheck", "DocsExamplesCheck"]

# Runs each block in one shared namespace and reports the first failure as JSON. First it
# meets the feature as a user's process does: the registry loaded (it imports every feature's
# light module, binding it on its package) and the feature's own package imported.
_DRIVER = r'''
import importlib, json, pathlib, sys, traceback
blocks = json.load(open(sys.argv[1]))
if sys.argv[2]:  # examples_setup: "module:function", called with the working folder
    module, _, function = sys.argv[2].partition(":")
    getattr(importlib.import_module(module), function)(pathlib.Path.cwd())
try:
    import fledge
except ImportError:  # a repository that promotes without fledge's runtime
    pass
else:
    fledge.get_registry().features()
importlib.import_module(sys.argv[3])
namespace = {"__name__": "__main__"}
for index, (line, code) in enumerate(blocks):
    try:
        exec(compile(code, f"<block at line {line}>", "exec"), namespace)
    except BaseException as exc:
        print("@@PROMOTE@@" + json.dumps({"line": line, "error": f"{type(exc).__name__}: {exc}",
              "traceback": traceback.format_exc()[-2000:]}))
        sys.exit(1)
'''


class DocsPageCheck:
    name = "docs-page"
    description = "The docs page exists, is in the navigation, and shows every export."

    def run(self, context: CheckContext) -> CheckResult:
        info, config, repo = context.feature, context.config, context.repo
        page = info.docs_page
        if not page or not repo.exists(page):
            return failed(self.name, f"no docs page at {page}",
                          f"write {page} (usage, configuration, limits) or set the manifest's "
                          "docs")
        fmt = get_docs_format(config)
        nav = repo.read(config.nav_file)
        if nav is None and config.nav_file in repo.unreadable:
            raise ConfigError("nav_file", "pyproject.toml", "names a file that cannot be read: "
                              f"{repo.unreadable[config.nav_file]}", config.nav_file)
        if nav is None:
            return failed(self.name, f"the navigation file {config.nav_file} does not exist",
                          "create it, or set nav_file", file=page)
        ref = fmt.page_ref(config, page)
        try:
            listed = fmt.sections(nav, ref)
        except PlanError as exc:  # not the format's file: the configuration points amiss
            why = " ".join(" ".join(exc.problems).split())
            raise ConfigError("nav_file", "pyproject.toml", f"names a file that is not a "
                              f"{config.docs_format} navigation file ({why})"
                              "; point it at the navigation file, or set docs_format",
                              config.nav_file) from None
        if not listed:
            return failed(self.name, f"{ref} is not in the navigation of {config.nav_file}",
                          f"list it under {config.experimental_section!r} in {config.nav_file}",
                          file=config.nav_file)
        code = "\n".join(b.code for b in code_blocks(repo.read(page) or "") if b.is_python)
        unused = [n for n in info.exports if not re.search(rf"\b{re.escape(n)}\b", code)]
        if unused:
            return failed(self.name, f"the page's Python examples never use "
                                     f"{', '.join(unused)}",
                          f"add a ```python example using {', '.join(unused)} to {page}",
                          file=page)
        return passed(self.name, f"{page} is in the navigation and shows every export",
                      file=page)


class DocsExamplesCheck:
    name = "docs-examples"
    description = ("The page's Python code blocks compile, and those not marked to skip run, "
                   "with the registry loaded and the feature's package imported.")

    def run(self, context: CheckContext) -> CheckResult:
        page = context.feature.docs_page
        repo = context.repo
        if not page or not repo.exists(page):
            return skipped(self.name, "no docs page (see docs-page)")
        blocks = [b for b in code_blocks(repo.read(page) or "") if b.is_python]
        if not blocks:
            return skipped(self.name, f"{page} has no Python code blocks")
        for block in blocks:
            if block.language == "pycon" or block.code.lstrip().startswith(">>>"):
                continue
            try:
                compile(block.code, page, "exec", dont_inherit=True)
            except SyntaxError as exc:
                line = block.line + (exc.lineno or 1)
                return failed(self.name, f"the example at line {block.line} does not compile: "
                                         f"{exc.msg}", "fix the example's syntax",
                              file=page, line=line)
        runnable = [b for b in blocks if not b.skip and b.language != "pycon"
                    and not b.code.lstrip().startswith(">>>")]
        if not runnable:
            return passed(self.name, f"{len(blocks)} example(s) compile; all marked to skip")
        recorded = context.cache.get("recorded")  # --junit: the test that ran them, if named
        found = recorded.docs_examples(context, page, len(runnable)) if recorded else None
        if found is not None:
            return found
        context.progress(f"{context.feature.name}: running {len(runnable)} example(s) of {page}")
        with tempfile.TemporaryDirectory(prefix="promote-examples-") as tmp:
            data = Path(tmp) / "blocks.json"
            data.write_text(json.dumps([[b.line, b.code] for b in runnable]))
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _DRIVER, str(data), context.config.examples_setup,
                     context.feature.package],
                    cwd=tmp, capture_output=True, text=True,
                    env=subprocess_env(repo, context.config),
                    timeout=context.config.examples_timeout)
            except subprocess.TimeoutExpired:
                return failed(self.name, f"the examples ran longer than "
                                         f"{context.config.examples_timeout} s",
                              "make them faster, mark slow ones with "
                              "<!-- fledge: skip-run (reason) --> before the fence, or raise "
                              "examples_timeout", file=page)
        if done.returncode != 0:
            report = next((json.loads(line[11:]) for line in done.stdout.splitlines()
                           if line.startswith("@@PROMOTE@@")), None)
            if report is None:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                return failed(self.name, f"the examples crashed: {tail}",
                              "run them by hand", file=page)
            return failed(self.name, f"the example at line {report['line']} raised "
                                     f"{report['error']}",
                          "fix the example, or put <!-- fledge: skip-run (reason) --> on the line "
                          "before its fence if it cannot run offline",
                          file=page, line=report["line"],
                          details={"traceback": report["traceback"]})
        skipped_count = len(blocks) - len(runnable)
        return passed(self.name, f"{len(runnable)} example(s) ran"
                                 + (f", {skipped_count} marked to skip" if skipped_count else ""),
                      file=page)
