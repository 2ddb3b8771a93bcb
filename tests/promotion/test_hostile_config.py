"""``[tool.fledge.promote]`` comes from whoever sent the pull request: every path (list
entries included) is checked when the table loads, wrong types are errors, templates carry
their placeholders; a bad value is exit status 2 naming the key, with nothing written inside
the repository or beside it, whichever command reads the configuration."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hostile_helpers import assert_clean_failure, run, tree_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fledge_promote import ConfigError, load_config
from fledge_promote.repository._config import PATH_KEYS, PATH_LIST_KEYS, path_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture
def hostile_root(trl_repo: Path) -> Path:
    """The miniature TRL, with ``outside/`` beside it holding a precious file and folder."""
    outside = trl_repo.parent / "outside"
    (outside / "docs").mkdir(parents=True)
    (outside / "precious.txt").write_text("keep me\n")
    (outside / "issues.json").write_text("[]\n")
    return trl_repo


def set_key(root: Path, key: str, toml_value: str) -> None:
    """Set ``key`` in the section (replacing its line when it is there)."""
    path = root / "pyproject.toml"
    head, marker, section = path.read_text().partition("[tool.fledge.promote]\n")
    line = f"{key} = {toml_value}\n"
    if re.search(rf"^{key} = .*$", section, flags=re.M):
        section = re.sub(rf"^{key} = .*\n", lambda _: line, section, flags=re.M)
    else:
        section = line + section
    path.write_text(head + marker + section)


def link(name: str, target: str, value: str | None = None):
    def make(root: Path) -> None:
        (root / name).symlink_to(root.parent / target)
        key = {"issues.json": "issues_file", "usage.csv": "usage_file",
               "CHANGES.md": "changelog", "docs-link": "docs_dir",
               "nav.yml": "nav_file"}[name]
        set_key(root, key, f'"{value or name}"')

    return make


def key(name: str, toml_value: str):
    return lambda root: set_key(root, name, toml_value)


def raw_pyproject(content: bytes):
    return lambda root: (root / "pyproject.toml").write_bytes(content)


# (id, the hostile configuration, the words of the error); loaded by every command below
AT_LOAD = [
    ("docs-pages-climb-out", key("docs_pages", '["../outside/{name}.md"]'), "'docs_pages'"),
    ("tests-absolute", key("experimental_tests", '["/etc/{name}"]'), "'experimental_tests'"),
    ("python-path-absolute", key("python_path", '["/nonexistent", "."]'), "'python_path'"),
    ("python-path-climbs", key("python_path", '[".", "../x"]'), "'python_path'"),
    ("python-path-home", key("python_path", '["~/x"]'), "'python_path'"),
    ("python-path-backslash", key("python_path", r'["..\\x"]'), "with '/' between"),
    ("list-as-string", key("python_path", '"."'), "write ['.'] for one"),
    ("docs-pages-as-string", key("docs_pages", '"docs/source/{name}.md"'), "must be a list"),
    ("list-of-numbers", key("skip_checks", "[1, 2]"), "must be a list of strings"),
    ("list-empty-entry", key("experimental_tests", '[""]'), "must not hold an empty string"),
    ("template-without-name", key("docs_pages", '["docs/source/index.md"]'),
     "must contain {name}"),
    ("template-unknown-field", key("experimental_tests", '["tests/{nme}.py"]'),
     "may use only {name}"),
    ("template-attribute", key("docs_pages", '["docs/{name.__class__}.md"]'),
     "may use only {name}"),
    ("template-positional", key("docs_pages", '["docs/{0}{name}.md"]'), "may use only"),
    ("template-broken", key("docs_pages", '["docs/{name"]'), "is not a valid template"),
    ("alias-without-name", key("public_aliases", '["trl.foo"]'), "must contain {name}"),
    ("release-url-without-page", key("docs_release_url", '"https://x/{version}/"'),
     "must contain {page}"),
    ("issues-file-symlink-out", link("issues.json", "outside/issues.json"), "'issues_file'"),
    ("usage-file-symlink-out", link("usage.csv", "outside/precious.txt"), "'usage_file'"),
    ("changelog-symlink-out", link("CHANGES.md", "outside/precious.txt"), "'changelog'"),
    ("docs-dir-symlink-out", link("docs-link", "outside/docs"), "'docs_dir'"),
    ("nav-file-symlink-out", link("nav.yml", "outside/precious.txt"), "'nav_file'"),
    ("stable-tests-climb", key("stable_tests", '"tests/../../outside"'), "'stable_tests'"),
    ("check-report-absolute", key("check_report", '"/tmp/report.json"'), "'check_report'"),
    ("source-root-absolute", key("source_root", '"/"'), "'source_root'"),
    ("version-not-pep440", key("version", '"banana"'), "PEP 440"),
    ("bool-for-integer", key("min_age_days", "true"), "must be an integer"),
    ("string-for-number", key("coverage_threshold", '"80"'), "must be a number"),
    ("table-for-string", key("changelog", "{ path = 'x' }"), "must be a string"),
    ("unknown-key", key("experimental_test", '["x/{name}"]'), "did you mean"),
    ("export-not-dotted", key("export_to", '["trl trainer"]'), "dotted package"),
    ("not-toml", raw_pyproject(b"[tool.fledge.promote\n"), "could not be read as TOML"),
    ("not-utf8", raw_pyproject(b'[project]\nname = "\xff"\n'), "could not be read as TOML"),
]
COMMANDS = [["check", "--all", "-q"], ["check", "--all", "--json", "-q"], ["foo", "-q"],
            ["foo", "--json", "-q"], ["prune", "-q"], ["retire", "foo", "-q"],
            ["report", "--all", "-q"]]


@pytest.mark.parametrize(("make_hostile", "words"), [(c[1], c[2]) for c in AT_LOAD],
                         ids=[c[0] for c in AT_LOAD])
def test_a_hostile_configuration_is_an_error_everywhere(hostile_root, make_hostile, words):
    make_hostile(hostile_root)
    before = tree_state(hostile_root.parent)
    for argv in COMMANDS:
        done = run([*argv, "--root", str(hostile_root)])
        assert_clean_failure(done, 2, words)
        if "--json" in argv:
            assert done.json()["error"]["kind"] == "ConfigError"
            assert words in done.json()["error"]["message"]
        assert tree_state(hostile_root.parent) == before, argv
    with pytest.raises(ConfigError):
        load_config(hostile_root)


# Loaded fine, found wrong by a check: still a configuration error, not a crashed check.
IN_CHECK = [
    ("nav-file-not-yaml", key("nav_file", '"README.md"'), "'nav_file' names a file that is not"),
    ("docs-format-unknown", key("docs_format", '"sphinx"'), "'docs_format' must be one of"),
]


@pytest.mark.parametrize(("make_hostile", "words"), [(c[1], c[2]) for c in IN_CHECK],
                         ids=[c[0] for c in IN_CHECK])
def test_a_configuration_error_found_by_a_check_exits_2(hostile_root, make_hostile, words):
    (hostile_root / "README.md").write_text("# mini trl\n\n```python\nx: [\n```\n")
    make_hostile(hostile_root)
    before = tree_state(hostile_root.parent)
    for argv in (["check", "foo", "--only", "docs-page"],
                 ["check", "foo", "--only", "docs-page", "--format", "json"]):
        done = run([*argv, "--root", str(hostile_root)])
        assert_clean_failure(done, 2, words)
        assert "the check crashed" not in done.stdout + done.stderr
    assert tree_state(hostile_root.parent) == before


# -- property-based: whatever the table holds, load_config raises ConfigError or returns a
# configuration whose every path lies inside the repository

VALUES = (st.text(max_size=25) | st.integers(-5, 10**6) | st.booleans()
          | st.floats(allow_nan=False, allow_infinity=False)
          | st.lists(st.text(max_size=25), max_size=3)
          | st.sampled_from(["../x", "/etc", "~", "a\\b", "docs/{name}.md", "{name}", "{",
                             "outside-link", "outside-link/x", ".", "x/../y", ""]))
KEYS = st.sampled_from([*PATH_KEYS, *PATH_LIST_KEYS, "public_aliases", "docs_release_url",
                        "docs_examples_test", "version", "export_to", "min_age_days",
                        "coverage_threshold", "stable_layout", "manifests", "skip_checks"])


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode().replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.dictionaries(KEYS, VALUES, max_size=4))
def test_any_table_loads_safely_or_is_a_config_error(hostile_root, table):
    if not (hostile_root / "outside-link").is_symlink():
        (hostile_root / "outside-link").symlink_to(hostile_root.parent / "outside")
    pyproject = hostile_root / "pyproject.toml"
    genuine = pyproject.read_text()
    base = {"source_root": '"."', "experimental_package": '"trl.experimental"',
            "stable_package": '"trl.trainer"', "docs_dir": '"docs/source"'}
    base.update({k: toml_value(v) for k, v in table.items()})
    text = genuine[:genuine.index("[tool.fledge.promote]")]
    pyproject.write_text(text + "[tool.fledge.promote]\n"
                         + "".join(f"{k} = {v}\n" for k, v in base.items()))
    try:
        tomllib.loads(pyproject.read_text())
    except tomllib.TOMLDecodeError:
        pyproject.write_text(genuine)
        return
    try:
        config, _ = load_config(hostile_root)
    except ConfigError as exc:
        assert exc.key in (*table, "experimental_package", "docs_dir", "version")
    else:
        for name in PATH_KEYS:
            assert path_problem(hostile_root, getattr(config, name)) is None
        for name in PATH_LIST_KEYS:
            for entry in getattr(config, name):
                assert path_problem(hostile_root, entry) is None
                assert not entry.startswith("/") and ".." not in Path(entry).parts
        for template in (*config.docs_pages, *config.experimental_tests,
                         *config.public_aliases):
            assert template.format(name="feature")  # never KeyError, IndexError, ...
    finally:
        pyproject.write_text(genuine)


@pytest.mark.parametrize("source", [
    '[tool.setuptools.dynamic]\nversion = {file = "../outside/VERSION"}\n',
    '[tool.setuptools.dynamic]\nversion = {file = "link/VERSION"}\n',
    '[tool.hatch.version]\npath = "../outside/about.py"\n',
])
def test_the_version_is_never_read_from_outside(hostile_root, source):
    """``[project] dynamic`` versions name files too: one outside the repository is not read
    (its first line would be printed in every message that shows the version)."""
    outside = hostile_root.parent / "outside"
    (outside / "VERSION").write_text("9.9.9\n")
    (outside / "about.py").write_text('__version__ = "9.9.9"\n')
    (hostile_root / "link").symlink_to(outside)
    pyproject = hostile_root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.3.0"\n',
                                                       'dynamic = ["version"]\n', 1) + source)
    config, _ = load_config(hostile_root)
    assert config.version == "0.3.0"  # trl/__init__.py's __version__, the last place looked


def test_a_version_found_that_is_not_pep440_is_an_error(hostile_root):
    pyproject = hostile_root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.3.0"\n',
                                                       'version = "the best"\n', 1))
    done = run(["foo", "--root", str(hostile_root)])
    assert_clean_failure(done, 2, "'version' is needed: the version found ([project] version)")
