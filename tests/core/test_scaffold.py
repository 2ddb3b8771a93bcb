"""`fledge new NAME`: the scaffolded plugin package installs, passes its tests, and lists."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import tomllib
from venvs import make_venv, run_clean

from fledge import cli
from fledge._scaffold import scaffold

REPO = Path(__file__).resolve().parents[2]
FILES = ["pyproject.toml", "README.md", "fledge_word_variety/__init__.py",
         "fledge_word_variety/core.py", "tests/test_word_variety.py", "docs/word_variety.md"]


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
    test = (tmp_path / "pkg" / "tests" / "test_word_variety.py").read_text()
    assert "fledge_registry" in test and "ExperimentalWarning" in test


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
    assert "4 passed" in tests.stdout
    listed = json.loads(run(str(venv / "bin" / "fledge"), "list", "--json").stdout)
    row = next(r for r in listed if r["name"] == "word_variety")
    assert (row["distribution"], row["version"], row["status"], row["stage"]) == (
        "fledge-word-variety", "0.1.0", "ok", "experimental")
    assert row["import_path"] == "fledge.experimental.word_variety"
