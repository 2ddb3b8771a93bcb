"""`fledge new NAME`: the scaffolded plugin package installs, passes its tests, and lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from venvs import make_venv, run_clean

from fledge import cli
from fledge._scaffold import scaffold

REPO = Path(__file__).resolve().parents[2]
FILES = ["pyproject.toml", "README.md", "fledge_word_variety/__init__.py",
         "fledge_word_variety/core.py", "fledge_word_variety/demo.py",
         "tests/test_word_variety.py", "docs/word_variety.md"]


def test_it_writes_a_complete_package(tmp_path: Path) -> None:
    written = scaffold("word_variety", tmp_path / "pkg")
    assert [p.as_posix() for p in written] == FILES
    pyproject = tomllib.loads((tmp_path / "pkg" / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "fledge-word-variety"
    assert pyproject["project"]["entry-points"]["fledge"] == {
        "word_variety": "fledge_word_variety"}
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert any(dep.startswith("fledge>=") for dep in pyproject["project"]["dependencies"])
    for path in written:
        if path.suffix == ".py":
            compile((tmp_path / "pkg" / path).read_text(), str(path), "exec")
    plugin = (tmp_path / "pkg" / "fledge_word_variety" / "__init__.py").read_text()
    assert "@fledge.hookimpl" in plugin and "def fledge_features()" in plugin
    assert "torch" not in plugin.split('"""', 2)[2]  # the light module imports nothing heavy
    assert 'demo="fledge_word_variety.demo:run"' in plugin
    test = (tmp_path / "pkg" / "tests" / "test_word_variety.py").read_text()
    assert "fledge_registry" in test and "ExperimentalWarning" in test
    # the tests hold at any stage: no stage is asserted, the expected notice is looked up
    assert "is fledge.Stage.EXPERIMENTAL" not in test and "pytest.warns" not in test
    assert 'NOTICE[fledge_registry.get("word_variety").feature.stage]' in test


def test_the_cli_prints_the_files_and_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["new", "word_variety", "--directory", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "Created fledge-word-variety" in out and "fledge_word_variety/core.py" in out
    assert f"pip install -e {tmp_path / 'p'}" in out


def test_the_cli_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "word_variety", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"name": "word_variety", "distribution": "fledge-word-variety",
                    "package": "fledge_word_variety", "directory": "fledge-word-variety",
                    "files": FILES}
    assert (tmp_path / "fledge-word-variety" / "pyproject.toml").is_file()


@pytest.mark.parametrize(("name", "message"), [
    ("word-variety", "must be a Python identifier, for example 'my_feature'; got "
                     "'word-variety' (try 'word_variety')"),
    ("class", "must be a Python identifier"),
    ("2fast", "must be a Python identifier"),
    ("testing", "must not start with '_' or shadow a host name"),
    ("_private", "must not start with '_'"),
    ("plugins", "package name 'fledge_plugins', which belongs to fledge"),
])
def test_a_bad_name_is_refused_with_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    assert cli.main(["new", name, "--directory", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fledge new: invalid feature name:") and message in err
    assert not (tmp_path / "p").exists()


def test_a_non_empty_folder_is_refused_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "p"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert cli.main(["new", "word_variety", "--directory", str(target)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert cli.main(["new", "word_variety", "--directory", str(target), "--force"]) == 0
    assert (target / "notes.txt").read_text() == "mine"  # --force keeps other files
    assert (target / "pyproject.toml").is_file()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").write_text("x")
    with pytest.raises(FileExistsError, match="is a file, not a folder"):
        scaffold("word_variety", tmp_path / "p", force=True)


@pytest.mark.slow
def test_the_package_installs_passes_its_tests_and_is_listed(tmp_path: Path) -> None:
    package = tmp_path / "fledge-word-variety"
    scaffold("word_variety", package)
    venv = tmp_path / "venv"
    python = make_venv(venv)

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return run_clean(*args, cwd=cwd)

    # fledge from this checkout (a wheel build: hatchling's editable mode needs `editables`),
    # then the generated package, as its author would.
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    run(*pip, str(REPO))
    run(*pip, str(package))
    tests = run(str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                cwd=package)
    assert "5 passed" in tests.stdout
    listed = json.loads(run(str(venv / "bin" / "fledge"), "list", "--json").stdout)
    row = next(r for r in listed if r["name"] == "word_variety")
    assert (row["distribution"], row["version"], row["status"], row["stage"]) == (
        "fledge-word-variety", "0.1.0", "ok", "experimental")
    assert row["import_path"] == "fledge.experimental.word_variety"

    demo = run(str(venv / "bin" / "fledge"), "demo", "word_variety", "a b c", "a a")
    assert demo.stdout.splitlines() == ["1.000  a b c", "0.500  a a"]


def test_the_demo_runs_without_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold("word_variety", tmp_path / "pkg")
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    try:
        from fledge_word_variety import demo

        assert demo.run([]) == 0
    finally:  # the package goes again, or later scaffolds would find it importable
        for module in [m for m in sys.modules if m.startswith("fledge_word_variety")]:
            del sys.modules[module]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(demo.SAMPLES) and lines[1] == "0.250  yes yes yes yes"
    assert "torch" not in (tmp_path / "pkg" / "fledge_word_variety" / "demo.py").read_text()


def _owners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> str:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(config)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.chdir(home)
    scaffold("word_variety", tmp_path / "pkg")
    plugin = (tmp_path / "pkg" / "fledge_word_variety" / "__init__.py").read_text()
    return next(line.strip() for line in plugin.splitlines() if "owners=" in line)


@pytest.mark.parametrize(("config", "owners"), [
    ("[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n",
     'owners=("Ada Lovelace <ada@example.org>",),'),
    ("[user]\n\temail = ada@example.org\n", 'owners=("ada@example.org",),'),
])
def test_owners_come_from_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str,
                              owners: str) -> None:
    assert _owners(tmp_path, monkeypatch, config) == owners


def test_owners_fall_back_to_the_login_without_git_identity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "someone")
    monkeypatch.setenv("LOGNAME", "someone")
    assert _owners(tmp_path, monkeypatch, "") == 'owners=("someone",),'


def test_a_name_an_installed_plugin_has_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["new", "bema_for_ref_model", "--directory", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "must not be in use already (choose another name)" in err
    assert "'fledge' entry point bema_for_ref_model = fledge_plugins.bema_for_ref_model" in err
    assert not (tmp_path / "p").exists()


def test_a_name_the_repository_uses_is_refused_naming_where(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "lib"\n\n[tool.fledge.promote]\n')
    (repo / "docs" / "tutorial.md").write_text("# Tutorial\n\nRun `fledge new sample_name`.\n")
    (repo / "docs" / "other.md").write_text("sample_name_longer is another word\n")
    assert cli.main(["new", "sample_name", "--directory", str(repo / "plugin")]) == 2
    err = capsys.readouterr().err
    assert f"it is used by the repository {repo} (docs/tutorial.md:3)" in err
    assert not (repo / "plugin").exists()
    # outside any repository the same name is free
    assert cli.main(["new", "sample_name", "--directory", str(tmp_path / "elsewhere")]) == 0
