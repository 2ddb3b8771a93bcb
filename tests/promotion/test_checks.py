"""Checks: isolation of crashing and contributed checks, the output formats, exit statuses."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from promote_helpers import promote

from fledge_promote import CheckResult, Verdict, render
from fledge_promote.checks._protocol import CheckContext, FeatureReport, run_checks
from fledge_promote.checks._selection import collect_checks
from fledge_promote.repository._config import PromoteConfig
from fledge_promote.repository._features import FeatureInfo

PLUGIN = """
import fledge
from fledge_promote import CheckResult, Verdict

class Crashes:
    name = "always-crashes"
    description = "raises"
    def run(self, context):
        raise RuntimeError("boom")

class Licence:
    name = "licence"
    description = "has a licence header"
    def run(self, context):
        return CheckResult("licence", Verdict.PASS, f"{context.feature.name} has one")

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="extra", summary="s", module="extra_checks", exports=("x",),
                           since="0.1.0")]

@fledge.hookimpl
def fledge_promote_checks():
    return [Crashes(), Licence(), "not a check"]
"""

BROKEN = """
import fledge

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="broken", summary="s", module="broken_checks", exports=("x",),
                           since="0.1.0")]

@fledge.hookimpl
def fledge_promote_checks():
    raise ValueError("hook exploded")
"""


def test_fledge_promote_checks(fledge_site, tmp_path):
    """Contributed checks run beside the built-ins; crashing ones stay isolated."""
    fledge_site.add("fledge-extra", {"extra_checks": PLUGIN})
    fledge_site.add("fledge-broken", {"broken_checks": BROKEN})
    fledge_site.install()
    config = PromoteConfig(skip_checks=("tests-pass", "coverage", "docs-examples"))
    checks, problems = collect_checks(config)
    names = [c.name for c in checks]
    assert "licence" in names and "always-crashes" in names and "tests-pass" not in names
    reasons = " | ".join(p.reason for p in problems)
    assert "returned str from fledge_promote_checks" in reasons
    assert "its fledge_promote_checks hook raised ValueError: hook exploded" in reasons

    from fledge_promote import Repo

    info = FeatureInfo("demo", "pkg.demo", "pkg/demo", "experimental", ("x",), "pkg.demo")
    report = run_checks(CheckContext(Repo(tmp_path), config, info), checks)
    by_name = {r.check: r for r in report.results}
    assert by_name["always-crashes"].verdict is Verdict.ERROR
    assert "RuntimeError: boom" in by_name["always-crashes"].reason
    assert by_name["licence"].verdict is Verdict.PASS  # ran after the crash
    assert not report.ready


def test_output_formats():
    reports = [FeatureReport("foo", [
        CheckResult("tests-pass", Verdict.FAIL, "1 passed, 1 failed", "fix: it, now",
                    file="tests/test_foo.py", line=3),
        CheckResult("api-stable", Verdict.SKIP, "no tag"),
        CheckResult("manifest", Verdict.PASS, "complete"),
    ])]
    table = render(reports, "table")
    assert "foo: NOT READY" in table and "fix: fix: it, now" in table
    data = json.loads(render(reports, "json"))
    assert data["ready"] is False and data["features"][0]["results"][0]["line"] == 3
    github = render(reports, "github").splitlines()
    assert github[0] == ("::warning file=tests/test_foo.py,line=3,title=promote tests-pass "
                         "(foo)::1 passed, 1 failed Fix: fix: it%2C now".replace("%2C", ","))
    assert github[1].startswith("::notice title=promote api-stable (foo)::no tag")
    assert github[2] == "foo: not ready (1 passed, 1 failed, 1 skipped, 0 errors)"
    suite = ET.fromstring(render(reports, "junit")).find("testsuite")
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"
    assert suite.find("testcase[@name='tests-pass']/failure") is not None


def test_exit_statuses(trl_repo):
    assert promote(trl_repo, "check", "foo", "--only", "manifest", "-q").returncode == 0
    assert promote(trl_repo, "check", "nope", "-q").returncode == 2
    assert promote(trl_repo, "check", "-q").returncode == 2
    assert promote(trl_repo, "check", "foo", "--only", "bogus", "-q").returncode == 2
    missing = promote(trl_repo, "check", "foo", "--only", "tests-exist", "--json", "-q")
    assert missing.returncode == 0
    (trl_repo / "tests/experimental/test_foo_trainer.py").unlink()
    failing = promote(trl_repo, "check", "foo", "--only", "tests-exist", "--json", "-q")
    assert failing.returncode == 1
    result = json.loads(failing.stdout)["features"][0]["results"][0]
    assert result["verdict"] == "fail" and "no test files found" in result["reason"]


# -- catalogue ---------------------------------------------------------------------------------

CATALOGUE_LIBRARY = {
    "pyproject.toml": """
        [project]
        name = "catlib"
        version = "0.3.0"

        [tool.fledge.promote]
        source_root = "."
        experimental_package = "catlib.experimental"
        stable_package = "catlib.stable"
        export_to = ["catlib.stable"]
        public_aliases = []
        manifests = "none"
        experimental_tests = ["tests/test_{name}.py"]
        stable_tests = "tests"
        docs_dir = "docs/source"
        docs_pages = ["docs/source/{name}.md"]
        docs_format = "doc-builder"
        nav_file = "docs/source/_toctree.yml"
        experimental_section = "Experimental"
        stable_section = "Stable"
        changelog = ""
        python_path = ["."]
        catalogue_page = "docs/source/experimental.md"
        """,
    "catlib/__init__.py": "",
    "catlib/stable/__init__.py": "",
    "catlib/experimental/__init__.py": """
        from fledge import Host

        host = Host("catlib.experimental")
        __getattr__, __dir__ = host.serve()
        """,
    "catlib/experimental/alpha/__init__.py": '"""Alpha does one thing."""\n\n'
                                             '__all__ = ["Alpha"]\n',
    "docs/source/_toctree.yml": """
        - sections:
          - local: experimental
            title: Experimental
          - local: alpha
            title: Alpha
          title: Experimental
        """,
    "docs/source/experimental.md": "# Experimental\n\n<!-- fledge:catalogue:begin -->\n"
                                   "<!-- fledge:catalogue:end -->\n",
    "docs/source/alpha.md": "# Alpha\n",
    "tests/test_alpha.py": "def test_alpha():\n    pass\n",
}


def _catalogue_verdict(root, name):
    done = promote(root, "check", name, "--only", "catalogue", "--json", "-q")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["features"][0]["results"][0]


def _only(root, check: str) -> dict:
    done = promote(root, "check", "foo", "--only", check, "--json", "-q")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["features"][0]["results"][0]


def _write_catalogue(root):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "fledge.cli", "catalogue", "docs/source/experimental.md",
         "--host", "catlib.experimental"], cwd=root, capture_output=True, text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(root)}, timeout=120)


def test_catalogue_check_fails_until_the_page_lists_the_feature(tmp_path):
    from promote_helpers import write

    root = tmp_path / "catlib"
    write(root, CATALOGUE_LIBRARY)
    result = _catalogue_verdict(root, "alpha")
    assert result["verdict"] == "fail"
    assert "missing: alpha" in result["reason"]
    assert "fledge catalogue docs/source/experimental.md --host catlib.experimental" in (
        result["fix"])
    assert result["file"] == "docs/source/experimental.md"

    assert _write_catalogue(root).returncode == 0
    assert "### alpha[[alpha]]" in (root / "docs/source/experimental.md").read_text()
    result = _catalogue_verdict(root, "alpha")
    assert result["verdict"] == "pass", result

    # A new feature: its own check fails, the listed one still passes.
    write(root, {"catlib/experimental/beta/__init__.py": '"""Beta."""\n__all__ = ["B"]\n',
                 "tests/test_beta.py": "def test_beta():\n    pass\n"})
    assert "missing: beta" in _catalogue_verdict(root, "beta")["reason"]
    assert _catalogue_verdict(root, "alpha")["verdict"] == "pass"
    # A feature removed while the page still lists it: every feature's check says so.
    assert _write_catalogue(root).returncode == 0
    __import__("shutil").rmtree(root / "catlib/experimental/alpha")
    result = _catalogue_verdict(root, "beta")
    assert result["verdict"] == "fail" and "stale: alpha" in result["reason"]


def test_catalogue_check_skips_without_a_page_and_fails_on_a_missing_one(tmp_path):
    from fledge_promote import Repo
    from fledge_promote.checks._catalogue import CatalogueCheck

    info = FeatureInfo("demo", "pkg.demo", "pkg/demo", "experimental", ("x",), "pkg.demo")
    skipped = CatalogueCheck().run(CheckContext(Repo(tmp_path), PromoteConfig(), info))
    assert skipped.verdict is Verdict.SKIP and "no catalogue_page" in skipped.reason
    config = PromoteConfig(catalogue_page="docs/source/overview.md")
    missing = CatalogueCheck().run(CheckContext(Repo(tmp_path), config, info))
    assert missing.verdict is Verdict.FAIL
    assert "docs/source/overview.md does not exist" in missing.reason
    assert "fledge:catalogue:begin" in missing.fix


def test_shadowed_exports_finds_an_export_a_submodule_replaces(trl_repo):
    assert _only(trl_repo, "shadowed-exports")["verdict"] == "pass"
    init = trl_repo / "trl/trainer/__init__.py"
    lazy = init.read_text().replace('"dpo_trainer": ["DPOConfig", "DPOTrainer"],',
                                    '"dpo_trainer": ["DPOConfig", "DPOTrainer"],\n'
                                    '    "foo_impl": ["foo"],')
    init.write_text(lazy)
    (trl_repo / "trl/trainer/foo_impl.py").write_text("def foo():\n    return 1\n")
    (trl_repo / "trl/trainer/foo.py").write_text('"""A module named like the export."""\n')
    result = _only(trl_repo, "shadowed-exports")
    assert result["verdict"] == "fail"
    assert result["reason"].startswith("trl/trainer/__init__.py exports 'foo', also a "
                                       "submodule's name: once the submodule is imported")
    assert "bind the name eagerly in trl/trainer/__init__.py" in result["fix"]
    # bound eagerly from that very submodule, the export survives its import
    (trl_repo / "trl/trainer/foo.py").write_text("def foo():\n    return 1\n")
    init.write_text("from .foo import foo\n" + lazy)
    assert _only(trl_repo, "shadowed-exports")["verdict"] == "pass"


def test_docs_examples_run_after_the_feature_package_is_imported(trl_repo):
    page = trl_repo / "docs/source/foo.md"
    page.write_text(page.read_text().replace(
        "trainer = FooTrainer(FooConfig(beta=0.2))",
        "import sys\nassert 'trl.experimental.foo' in sys.modules, 'imported as a user would'\n"
        "trainer = FooTrainer(FooConfig(beta=0.2))"))
    result = _only(trl_repo, "docs-examples")
    assert result["verdict"] == "pass", result
