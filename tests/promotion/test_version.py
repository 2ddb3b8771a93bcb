"""The version being developed: every way packaging tools declare it, and the override."""

from __future__ import annotations

import pytest

from fledge_promote import ConfigError, load_config

SECTION = '[tool.fledge.promote]\nsource_root = "."\nexperimental_package = "pkg.exp"\n' \
          'stable_package = "pkg"\n'


def make(tmp_path, pyproject: str, files: dict[str, str] | None = None):
    (tmp_path / "pkg" / "exp").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for rel, text in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "pyproject.toml").write_text(pyproject + "\n" + SECTION)
    return tmp_path


@pytest.mark.parametrize(("pyproject", "files", "expected"), [
    ('[project]\nname = "x"\nversion = "1.2.0"\n', {}, "1.2.0"),
    ('[project]\nname = "trl"\ndynamic = ["version"]\n\n[tool.setuptools.dynamic]\n'
     'version = { file = "VERSION" }\n', {"VERSION": "1.16.0\n"}, "1.16.0"),
    ('[project]\nname = "x"\ndynamic = ["version"]\n\n[tool.setuptools.dynamic]\n'
     'version = { attr = "pkg.about.__version__" }\n',
     {"pkg/about.py": '__version__ = "3.1.0"\n'}, "3.1.0"),
    ('[project]\nname = "x"\ndynamic = ["version"]\n\n[tool.setuptools]\n'
     'package-dir = {"pkg" = "src_pkg"}\n\n[tool.setuptools.dynamic]\n'
     'version = { attr = "pkg.__version__" }\n',
     {"src_pkg/__init__.py": '__version__ = "0.9.1"\n'}, "0.9.1"),
    ('[project]\nname = "x"\ndynamic = ["version"]\n\n[tool.hatch.version]\n'
     'path = "pkg/_version.py"\n', {"pkg/_version.py": '__version__ = "4.0.0rc1"\n'},
     "4.0.0rc1"),
    ("", {"pkg/__init__.py": '__version__ = "2.0.0.dev0"\n'}, "2.0.0.dev0"),
])
def test_version_is_found_where_the_packaging_tool_declares_it(tmp_path, pyproject, files,
                                                               expected):
    config, _ = load_config(make(tmp_path, pyproject, files))
    assert config.version == expected


def test_the_version_key_overrides(tmp_path):
    root = make(tmp_path, '[project]\nname = "x"\nversion = "1.2.0"\n')
    path = root / "pyproject.toml"
    path.write_text(path.read_text() + 'version = "1.3.0.dev0"\n')
    config, _ = load_config(root)
    assert config.version == "1.3.0.dev0"


def test_no_version_anywhere_says_where_it_looked(tmp_path):
    root = make(tmp_path, '[project]\nname = "x"\ndynamic = ["version"]\n\n'
                '[tool.setuptools.dynamic]\nversion = { file = "VERSION" }\n')
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert caught.value.key == "version"
    message = str(caught.value)
    assert "version file VERSION" in message and "__version__ in pkg/__init__.py" in message
    assert "set it to the version being developed" in message


def test_stable_layout_must_be_package_or_flat(tmp_path):
    root = make(tmp_path, '[project]\nname = "x"\nversion = "1.2.0"\n')
    path = root / "pyproject.toml"
    path.write_text(path.read_text() + 'stable_layout = "nested"\n')
    with pytest.raises(ConfigError, match="'package' or 'flat'"):
        load_config(root)


@pytest.mark.parametrize(("version", "release"), [
    ("0.29.0.dev0", "0.29"), ("0.26.0", "0.26"), ("1.2rc1", "1.2"), ("1.0.0.post1", "1.0"),
    ("2.1.3", "2.1.3"), ("3", "3"), ("1.4.0+local", "1.4"), ("not a version", "not a version"),
])
def test_a_version_being_developed_counts_as_its_release(version, release):
    from fledge_promote.repository._version import release_of

    assert release_of(version) == release
