"""promote on a miniature TRL: check, dry run, apply, deprecate and retire, end to end."""

from __future__ import annotations

import json

from promote_helpers import commit_all, git, promote, python


def test_check_on_trl_layout_skips_manifest_and_runs_the_rest(trl_repo):
    done = promote(trl_repo, "check", "foo", "--format", "json", "-q",
                   "--report", str(trl_repo / "build/report.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert json.loads((trl_repo / "build/report.json").read_text()) == report
    verdicts = {r["check"]: r for r in report["features"][0]["results"]}
    assert verdicts["manifest"]["verdict"] == "skip"
    assert "no fledge manifests" in verdicts["manifest"]["reason"]
    assert verdicts["tests-pass"]["verdict"] == "pass"
    assert verdicts["tests-pass"]["details"]["passed"] == 2
    assert verdicts["coverage"]["verdict"] == "pass"
    assert verdicts["docs-page"]["verdict"] == "pass"
    assert verdicts["docs-examples"]["verdict"] == "pass"
    assert verdicts["api-stable"]["reason"] == "no breaking change since v0.2.0"


def test_api_stable_finds_a_removed_parameter(trl_repo):
    path = trl_repo / "trl/experimental/foo/foo_trainer.py"
    path.write_text(path.read_text().replace(", scale: float = 1.0", "").replace(
        "self.scale = scale", "self.scale = 1.0"))
    done = promote(trl_repo, "check", "foo", "--only", "api-stable", "--format", "github", "-q")
    assert done.returncode == 1
    assert "::warning file=trl/experimental/foo/foo_trainer.py" in done.stdout
    assert "breaking change" in done.stdout and "scale" in done.stdout


def test_promote_trl_feature_end_to_end(trl_repo):
    dry = promote(trl_repo, "foo", "-q")
    assert dry.returncode == 0, dry.stderr
    assert "rename from trl/experimental/foo/foo_trainer.py" in dry.stdout
    assert "rename to trl/trainer/foo/foo_trainer.py" in dry.stdout
    assert "docs/source/index.md:3:" in dry.stdout  # the prose mention, listed not rewritten
    assert "dry run: nothing was written" in dry.stdout
    assert git(trl_repo, "status", "--porcelain") == ""

    done = promote(trl_repo, "foo", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests at the new place: 2 passed, 0 failed, 0 skipped (pass)" in done.stdout

    read = lambda rel: (trl_repo / rel).read_text()  # noqa: E731
    assert "from ..dpo_trainer import DPOTrainer" in read("trl/trainer/foo/foo_trainer.py")
    assert ">>> from trl.trainer.foo import FooTrainer" in read("trl/trainer/foo/foo_trainer.py")
    assert ":class:`trl.trainer.foo.FooTrainer`" in read("trl/trainer/foo/foo_config.py")
    test = read("tests/test_foo_trainer.py")
    assert "from .testing_utils import TrlTestCase" in test
    assert "from trl.trainer.foo import FooConfig, FooTrainer" in test
    assert '"foo": ["FooConfig", "FooTrainer"]' in read("trl/trainer/__init__.py")
    assert "from .foo import FooConfig, FooTrainer" in read("trl/trainer/__init__.py")
    assert '"trainer": ["DPOConfig", "DPOTrainer", "FooConfig", "FooTrainer"]' in read(
        "trl/__init__.py")
    page = read("docs/source/foo.md")
    assert "<Tip" not in page and "[[autodoc]] trl.trainer.foo.FooTrainer" in page
    assert "[`trl.trainer.foo.FooConfig`]" in page
    assert "blob/main/trl/trainer/foo/foo_trainer.py" in page
    toc = read("docs/source/_toctree.yml")
    assert toc.index("local: foo") < toc.index("title: Trainers") < toc.index("local: bar")
    assert "from trl.trainer.foo import FooTrainer" in read("README.md")
    assert "Promoted `foo`" in read("CHANGELOG.md")
    status = git(trl_repo, "status", "--porcelain")
    assert "RM trl/experimental/foo/foo_trainer.py -> trl/trainer/foo/foo_trainer.py" in status

    used = python(trl_repo, """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from trl.experimental.foo import FooTrainer as Old
        from trl import FooTrainer
        from trl.trainer.foo import FooConfig
        assert Old is FooTrainer
        print([str(w.message) for w in caught if w.category is FutureWarning])
        """, ".")
    assert used.returncode == 0, used.stderr
    assert "import it from trl.trainer instead" in used.stdout
    assert "removed in 0.5.0" in used.stdout

    # The stable feature can be deprecated next, with the same machinery.
    commit_all(trl_repo, "promote foo")
    assert promote(trl_repo, "deprecate", "foo", "--removal", "0.1.0", "-q").returncode == 2
    done = promote(trl_repo, "deprecate", "foo", "--removal", "0.6.0",
                   "--replacement", "trl.DPOTrainer", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<Tip warning={true}>" in read("docs/source/foo.md")
    warned = python(trl_repo, """
        import warnings
        warnings.simplefilter("error")
        try:
            import trl.trainer.foo
        except FutureWarning as w:
            print(w)
        """, ".")
    assert "trl.trainer.foo is deprecated and will be removed in 0.6.0" in warned.stdout
    assert "Use trl.DPOTrainer instead" in warned.stdout


def test_retire_removes_everything_and_the_old_path_explains(trl_repo):
    done = promote(trl_repo, "retire", "bar", "--replacement", "trl.DPOTrainer", "--apply", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (trl_repo / "trl/experimental/bar/bar_trainer.py").exists()
    assert not (trl_repo / "tests/experimental/test_bar_trainer.py").exists()
    assert not (trl_repo / "docs/source/bar.md").exists()
    assert "local: bar" not in (trl_repo / "docs/source/_toctree.yml").read_text()
    failed = python(trl_repo, "import trl.experimental.bar", ".")
    assert "ImportError" in failed.stderr
    assert "the last release that had it is 0.2.0" in failed.stderr
    assert "Use trl.DPOTrainer instead" in failed.stderr
    checks = promote(trl_repo, "check", "--all", "--format", "json", "-q")
    assert [f["feature"] for f in json.loads(checks.stdout)["features"]] == ["foo"]


def test_docs_examples_run_after_the_configured_setup_and_honour_skip_marks(trl_repo):
    (trl_repo / "docs_setup.py").write_text(
        "def prepare(folder):\n    (folder / 'fixture.txt').write_text('ready')\n")
    page = trl_repo / "docs/source/foo.md"
    page.write_text(page.read_text() + (
        "\n```python\nassert open('fixture.txt').read() == 'ready'\n```\n\n"
        "<!-- fledge: skip-run (needs a GPU) -->\n```python\nraise SystemExit('ran')\n```\n"))
    pyproject = trl_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'python_path = ["."]', 'python_path = ["."]\nexamples_setup = "docs_setup:prepare"'))
    done = promote(trl_repo, "check", "foo", "--only", "docs-examples", "--format", "json", "-q")
    result = json.loads(done.stdout)["features"][0]["results"][0]
    assert result["verdict"] == "pass", result
    assert "1 marked to skip" in result["reason"]
