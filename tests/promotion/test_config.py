"""Configuration: defaults fit this repository; every bad value names the key and the file."""

from __future__ import annotations

import pytest
from promote_helpers import REPO, promote

from fledge_promote import ConfigError, load_config


def make(tmp_path, section: str):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\nversion = "1.2.0"\n\n[tool.fledge.promote]\n{section}\n')
    return tmp_path


def test_this_repository_loads_with_its_defaults():
    config, _ = load_config(REPO)
    assert config.experimental_dir == "plugins/fledge_plugins"
    assert config.stable_dir == "plugins/fledge_plugins/stable"
    assert config.version


@pytest.mark.parametrize(("section", "key", "words"), [
    ('experimental_pacakge = "pkg"', "experimental_pacakge",
     "did you mean 'experimental_package'"),
    ('source_root = "."\nexperimental_package = "pkg"\nmin_age_days = "ten"', "min_age_days",
     "must be an integer"),
    ('source_root = "."\nexperimental_package = "nowhere"', "experimental_package",
     "nowhere/ does not exist"),
    ('source_root = "."\nexperimental_package = "pkg"\nmanifests = "yes"', "manifests",
     "must be 'fledge' or 'none'"),
    ('source_root = "."\nexperimental_package = "pkg"\nstable_tests = "../elsewhere"',
     "stable_tests", "inside the repository"),
    ('source_root = "."\nexperimental_package = "pkg"\ncoverage_threshold = 120',
     "coverage_threshold", "between 0 and 100"),
    ('source_root = "."\nexperimental_package = "pkg"\nexamples_setup = "no function"',
     "examples_setup", "must be 'module:function'"),
])
def test_bad_values_name_key_and_file(tmp_path, section, key, words):
    root = make(tmp_path, section)
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert caught.value.key == key
    assert caught.value.file == "pyproject.toml"
    assert words in str(caught.value)


def test_missing_pyproject_and_cli_exit_status_2(tmp_path):
    with pytest.raises(ConfigError, match="needs a pyproject.toml"):
        load_config(tmp_path)
    done = promote(make(tmp_path, "min_age_days = -1"), "check", "--all")
    assert done.returncode == 2
    assert "[tool.fledge.promote] key" in done.stderr


def test_version_falls_back_to_the_package(tmp_path):
    (tmp_path / "pkg" / "exp").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text('__version__ = "2.0.0.dev0"\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fledge.promote]\nsource_root = "."\nexperimental_package = "pkg.exp"\n'
        'stable_package = "pkg"\n')
    config, _ = load_config(tmp_path)
    assert config.version == "2.0.0.dev0"
