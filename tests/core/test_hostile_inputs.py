"""Bad input a user can type or set, each met with a clear message and a documented exit status.

One table per kind of input: command-line arguments, environment switches, and the
catalogue's readiness file. Every row names what it tries, the exit status (or outcome) it
expects, and the words the message must hold; none may end in a traceback. The exit
statuses: 0 done and nothing wrong, 1 done but a problem was found, 2 a bad argument.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from fledge import Host, Registry, _switches
from fledge.cli import main

from sample_plugins import manifest, plugin_source

HOST_FORMS = "neither a registered name nor a dotted import path such as 'trl.experimental'"
NOT_A_NAME = "NAME must be a feature's name, a Python identifier such as 'bema_for_ref_model'"


@pytest.fixture(autouse=True)
def _fresh_switch_warnings(monkeypatch):
    """Each test sees the once-per-process switch warnings anew."""
    monkeypatch.setattr(_switches, "_WARNED", set())


@pytest.fixture
def site(fledge_site):
    """fledge's own host over a site with a good plugin, one with a demo that cannot load,
    and a module whose import raises (for --host)."""
    fledge_site.add("fledge-good", {
        "good": plugin_source(manifest("good", "good_impl")), "good_impl": "thing = 1\n"})
    fledge_site.add("fledge-lost-demo", {
        "lost": plugin_source(manifest("lost", "lost_impl", demo="'lost_gone.demo:main'")),
        "lost_impl": "thing = 1\n"})
    fledge_site.add("raising-namespace", {"raising_ns": "raise RuntimeError('boom')\n"},
                    entry_points={})
    return fledge_site


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# -- command-line arguments ----------------------------------------------------------------

ARGUMENTS = [
    # (what is tried, argv, exit status, words stderr must hold)
    ("--host a relative path", ["info", "NAME", "--host", "../etc"], 2,
     ["fledge: --host: no fledge host '../etc'", HOST_FORMS]),
    ("--host empty", ["list", "--host", ""], 2, ["no fledge host ''", "it is empty"]),
    ("--host a relative module", ["list", "--host", ".foo"], 2, ["'.foo'", HOST_FORMS]),
    ("--host with a space", ["doctor", "--host", "a b"], 2, [HOST_FORMS]),
    ("--host a path with slashes", ["demo", "--host", "trl/experimental", "good"], 2,
     [HOST_FORMS]),
    ("--host a module that is not there", ["list", "--host", "no_such_lib_x.experimental"], 2,
     ["importing it failed: No module named 'no_such_lib_x'"]),
    ("--host a module whose import raises", ["list", "--host", "raising_ns"], 2,
     ["importing it raised RuntimeError: boom"]),
    ("--host a module that serves no host", ["list", "--host", "json"], 2,
     ["that module serves no host", "Known hosts: fledge"]),
    ("info NAME a relative path", ["info", "../etc"], 2, [NOT_A_NAME, "got '../etc'"]),
    ("info NAME empty", ["info", ""], 2, [NOT_A_NAME]),
    ("info NAME a terminal escape", ["info", "\x1b[2J"], 2, [NOT_A_NAME, "'\\x1b[2J'"]),
    ("demo NAME a shell command", ["demo", "$(rm -rf ~)"], 2, [NOT_A_NAME]),
    ("demo NAME misspelt", ["demo", "goood"], 2, ["no feature named 'goood'",
                                                   "Did you mean 'good'?"]),
    ("demo whose manifest names a module that is not there", ["demo", "lost"], 1,
     ["names the demo 'lost_gone.demo:main', which cannot be loaded",
      "ModuleNotFoundError", "Fix the manifest's 'demo' field"]),
    ("demo of a feature without one", ["demo", "good"], 2,
     ["has no demo: its manifest sets no 'demo'", "demo='module:function'",
      "demo='good_impl.demo:main'", "main(argv: list[str]) -> int"]),
    ("list --stage not a stage", ["list", "--stage", "beta"], 2,
     ["argument --stage: invalid choice: 'beta'"]),
    ("new NAME a relative path", ["new", "../x"], 2,
     ["field 'name' must be a Python identifier"]),
]


@pytest.mark.parametrize(("what", "argv", "status", "words"), ARGUMENTS,
                         ids=[row[0] for row in ARGUMENTS])
def test_a_bad_argument_is_refused_with_a_clear_message(site, capsys, tmp_path, monkeypatch,
                                                        what, argv, status, words):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # `fledge new` must write nothing where the test runs
    site.install()
    code, out, err = run(capsys, *argv)
    assert code == status, (what, out, err)
    for word in words:
        assert word in err, (what, err)
    assert "Traceback" not in out + err
    assert "\x1b" not in out + err  # a typed escape is never echoed raw
    assert list(work.iterdir()) == []


# -- environment switches ------------------------------------------------------------------

ALLOW = "FLEDGE_PLUGINS_ALLOW"
AUTOLOAD = "FLEDGE_DISABLE_PLUGIN_AUTOLOAD"
BLOCK = "FLEDGE_PLUGINS_BLOCK"
SILENCE = "FLEDGE_EXPERIMENTAL_SILENCE"

SWITCHES = [
    # (what is tried, environment, does 'good' load, warning words (None: no warning),
    #  doctor's note words)
    ("autoload garbage", {AUTOLOAD: "garbage"}, False,
     [f"{AUTOLOAD}='garbage'", "not an accepted value (on: 1, true, yes, on; off: 0, false, "
      "no, off or empty); it is taken as on"], ["[switch] " + AUTOLOAD]),
    ("autoload 2", {AUTOLOAD: "2"}, False, [f"{AUTOLOAD}='2'", "taken as on"], [AUTOLOAD]),
    ("autoload yes-please", {AUTOLOAD: "yes-please"}, False, ["'yes-please'"], [AUTOLOAD]),
    ("autoload off spelled 0", {AUTOLOAD: "0"}, True, None, []),
    ("autoload on", {AUTOLOAD: "TRUE"}, False, None, []),
    ("allow only commas", {ALLOW: ",,,"}, True,
     [f"{ALLOW}=',,,'", "holds no plugin names, only commas; it is taken as unset"], [ALLOW]),
    ("allow empty", {ALLOW: ""}, True, None, []),
    ("allow a name with a space", {ALLOW: "good plugin"}, False,
     ["'good plugin' cannot be a plugin name"], [ALLOW, "matches no installed plugin"]),
    ("allow a misspelt name", {ALLOW: "goood"}, False, None,
     [f"note: [switch] {ALLOW}='goood'", "'goood' matches no installed plugin, so it has no "
      "effect", "check the spelling against `fledge list`"]),
    ("block a name that matches nothing", {BLOCK: "nonexistent"}, True, None,
     ["'nonexistent' matches no installed plugin, distribution or feature"]),
    ("block by distribution, other spelling", {BLOCK: "Fledge_Good"}, False, None, []),
    ("silence a misspelt feature", {SILENCE: "goood"}, True, None,
     [f"{SILENCE}='goood'", "'goood' matches no feature of fledge.experimental, so it "
      "silences nothing"]),
    ("silence not a name", {SILENCE: "good feature"}, True, None,
     ["'good feature' is not a feature name (accepted: 1 (every feature), 0 (none) or a "
      "comma list of feature names)"]),
    ("silence only commas", {SILENCE: ",,"}, True, None, ["holds no feature names"]),
]


@pytest.mark.parametrize(("what", "environ", "loads", "warned", "notes"), SWITCHES,
                         ids=[row[0] for row in SWITCHES])
def test_a_switch_outside_its_values_warns_and_doctor_names_it(site, capsys, what, environ,
                                                               loads, warned, notes):
    site.install(environ)
    code, out, err = run(capsys, "doctor", "--shallow")
    assert code == 0, (what, out, err)  # switch notes are not errors
    good = "note: [blocked] plugin 'good'" not in out
    assert good is loads, (what, out)
    warning_lines = [line for line in err.splitlines() if line.startswith("fledge: warning:")]
    if warned is None:
        assert warning_lines == [], (what, err)
    else:
        assert len(warning_lines) == 1, (what, err)
        for word in warned:
            assert word in warning_lines[0], (what, err)
    for word in notes:
        assert word in out, (what, out)
    if not notes:
        assert "[switch]" not in out
    report = json.loads(run(capsys, "doctor", "--shallow", "--json")[1])
    assert bool(report["switches"]) is bool(notes)
    for issue in report["switches"]:
        assert set(issue) == {"variable", "value", "message", "fix"}
        assert issue["variable"] in environ


def test_a_bad_switch_warns_once_per_process(site, capsys):
    site.install({AUTOLOAD: "maybe"})
    run(capsys, "list")
    site.install({AUTOLOAD: "maybe"})
    code, out, err = run(capsys, "list")
    assert "fledge: warning:" not in err  # said once already


def test_another_hosts_switches_are_checked_under_their_own_names(fledge_site):
    host = Host("hostlib_sw.experimental", switch_prefix="HOSTLIB")
    fledge_site.add("hostlib-plugin", {
        "hp": plugin_source(manifest("hp", "hp_impl")), "hp_impl": "thing = 1\n"},
        group="hostlib_sw.experimental")
    registry = Registry(path=[str(fledge_site.root)], host=host, environ={
        "HOSTLIB_DISABLE_PLUGIN_AUTOLOAD": "sure", "HOSTLIB_PLUGINS_BLOCK": "hq",
        "HOSTLIB_SW_EXPERIMENTAL_SILENCE": "hx", "FLEDGE_PLUGINS_BLOCK": "nothing"})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        registry.features()
    assert [str(w.message).partition(":")[0] for w in seen] == [
        "HOSTLIB_DISABLE_PLUGIN_AUTOLOAD='sure'"]
    assert {i.variable: i.message for i in registry.switch_issues()} == {
        "HOSTLIB_DISABLE_PLUGIN_AUTOLOAD": seen[0].message.args[0].split(": ", 1)[1].split(
            ". Fix:")[0],
        "HOSTLIB_PLUGINS_BLOCK": "'hq' matches no installed plugin, distribution or feature, "
                                 "so it has no effect",
        "HOSTLIB_SW_EXPERIMENTAL_SILENCE": "'hx' matches no feature of hostlib_sw.experimental,"
                                           " so it silences nothing",
    }  # fledge's own variables are not this host's business


def test_a_bad_silence_value_warns_when_a_notice_is_due(site, monkeypatch):
    import fledge

    monkeypatch.setenv(SILENCE, "good feature")
    site.install()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        import fledge.experimental.good  # noqa: F401
    messages = [str(w.message) for w in seen if type(w.category) is type and
                issubclass(w.category, fledge.FledgeWarning)]
    assert any(m.startswith(f"{SILENCE}='good feature': 'good feature' is not a feature name")
               for m in messages), messages
    assert any("fledge.experimental.good is an experimental feature" in m for m in messages)


# -- the hints doctor gives ----------------------------------------------------------------

@pytest.mark.parametrize(("environ", "fix"), [
    ({AUTOLOAD: "1"}, f"add 'good' to {ALLOW} to load it (or unset {AUTOLOAD})"),
    ({ALLOW: "lost"}, f"add 'good' to {ALLOW} to load it"),
    ({BLOCK: "good"}, f"remove 'good' from {BLOCK} to load it"),
])
def test_a_blocked_plugins_fix_says_what_to_change(site, capsys, environ, fix):
    site.install(environ)
    code, out, _ = run(capsys, "doctor", "--shallow")
    assert code == 0
    assert f"fix: {fix}" in out


def test_a_manifest_error_at_import_is_an_invalid_manifest(fledge_site, capsys):
    source = ("import fledge\nFEATURE = fledge.Feature(name='bad', summary='s', module='m', "
              "exports=('x',), since='soon')\n")
    fledge_site.add("fledge-bad", {"bad": source})
    fledge_site.install()
    code, out, _ = run(capsys, "doctor", "--shallow")
    assert code == 1
    assert "error: [invalid-manifest] plugin 'bad'" in out
    assert "field 'since' must be a PEP 440 version string" in out
    assert "fix: correct the field in the plugin's Feature(...) manifest" in out
    assert "install what" not in out


def test_a_plugin_that_raises_on_import_is_not_told_to_install_anything(fledge_site, capsys):
    fledge_site.add("fledge-crash", {"crash": "raise KeyError('config')\n"})
    fledge_site.install()
    code, out, _ = run(capsys, "doctor", "--shallow")
    assert code == 1
    assert "raised KeyError: 'config' while being imported" in out
    assert "fix: a bug of fledge-crash (nothing is missing): upgrade it" in out


# -- list --json and the exit statuses -----------------------------------------------------

def test_list_json_carries_the_problems_the_table_counts(site, capsys):
    site.add("fledge-broken", {"broken": "raise ImportError('needs numpy')\n"})
    site.install()
    code, out, _ = run(capsys, "list")
    assert code == 1
    assert "1 problem(s) found" in out
    assert "broken" in out and "needs numpy" in out  # the plugin's row, with the reason
    code, out, _ = run(capsys, "list", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 1
    assert rows["broken"]["status"] == "broken"
    assert rows["broken"]["problem"]["kind"] == "import-error"
    assert rows["good"]["status"] == "ok"


def test_a_healthy_list_exits_0(fledge_site, capsys):
    fledge_site.add("fledge-good", {
        "good": plugin_source(manifest("good", "good_impl")), "good_impl": "thing = 1\n"})
    fledge_site.install({BLOCK: "good"})
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0  # a blocked plugin is the user's choice: a note, not a problem
    assert [row["status"] for row in json.loads(out)] == ["blocked"]


def test_doctor_shows_progress_on_stderr_only(site, capsys):
    site.install()
    code, out, err = run(capsys, "doctor", "--json")
    json.loads(out)  # stdout stays one JSON document
    assert "fledge doctor: importing fledge.experimental.good (1/2; --shallow skips this)" in err
    assert "fledge doctor: importing fledge.experimental.lost (2/2" in err


# -- an in-tree folder whose name cannot be a feature's ------------------------------------

@pytest.mark.parametrize(("folder", "kind", "words"), [
    ("registry", "reserved-name", "must not start with '_' or shadow a host name"),
    ("class", "invalid-manifest", "must be a Python identifier"),
    ("caf\u00e9", "invalid-manifest", "must be an ASCII identifier"),
])
def test_an_in_tree_folder_that_cannot_be_a_feature_is_a_problem(fledge_site, folder, kind,
                                                                 words):
    root = fledge_site.root / "treelib" / "experimental"
    (root / folder).mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (fledge_site.root / "treelib" / "__init__.py").write_text("")
    (root / folder / "__init__.py").write_text("__all__ = ['thing']\nthing = 1\n")
    (root / "fine").mkdir()
    (root / "fine" / "__init__.py").write_text("__all__ = ['x']\nx = 1\n")
    fledge_site._modules.add("treelib")
    registry = Registry(path=[str(fledge_site.root)], environ={},
                        host=Host("treelib.experimental"))
    assert registry.names() == ["fine"]
    assert registry.in_tree(folder) is None
    [problem] = registry.problems()
    assert (problem.kind.value, problem.feature) == (kind, folder)
    assert words in problem.reason
    assert "rename the folder" in problem.fix


# -- the catalogue's readiness file --------------------------------------------------------

def _catalogue_site(tmp_path: Path, readiness: object) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# t\n")
    (tmp_path / "promote-check.json").write_text(
        readiness if isinstance(readiness, str) else json.dumps(readiness))
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: t
        plugins:
          - fledge:
              readiness: promote-check.json
        """))
    return tmp_path / "mkdocs.yml"


READINESS_FILES = [
    # (what is tried, the file, the words the warning must hold)
    ("numbers, not objects", [1, 2], "entry 0 is a JSON number, not an object"),
    ("'features' a string", {"ready": True, "features": "all"},
     "its 'features' is a JSON string, not a list of per-feature objects"),
    ("an entry without a verdict", [{"feature": "good"}],
     "entry 0 has no verdict that can be read"),
    ("an entry without a name", [{"ready": True}], "entry 0 names no feature"),
    ("the summary only", {"ready": True}, "names 'ready', which is no feature installed here"),
    ("not JSON", "{ready", "cannot read readiness file"),
]


def _build_catalogue(tmp_path: Path, fledge_site, data: object, caplog) -> list:
    """The warnings the catalogue's events log for readiness file ``data``."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import get_files

    fledge_site.add("fledge-good", {
        "good": plugin_source(manifest("good", "good_impl")), "good_impl": "thing = 1\n"})
    fledge_site.install()
    config_file = _catalogue_site(tmp_path, data)
    config = MkDocsConfig(config_file_path=str(config_file))
    with config_file.open() as text:
        config.load_file(text)
    assert config.validate() == ([], [])
    config.plugins.on_config(config)
    with caplog.at_level("WARNING", logger="mkdocs.plugins.fledge"):
        config.plugins.on_files(get_files(config), config=config)
    return caplog.records


@pytest.mark.parametrize(("what", "data", "words"), READINESS_FILES,
                         ids=[row[0] for row in READINESS_FILES])
def test_a_readiness_file_of_the_wrong_shape_is_a_warning(tmp_path, fledge_site, what, data,
                                                          words, caplog):
    [record] = _build_catalogue(tmp_path, fledge_site, data, caplog)
    assert record.levelname == "WARNING"
    assert words in record.getMessage()
    assert "promote-check.json" in record.getMessage()


def test_the_shape_promote_check_writes_is_read_without_a_warning(tmp_path, fledge_site,
                                                                   caplog):
    data = {"ready": False, "features": [{"feature": "good", "ready": False,
                                          "verdict": "not ready", "results": [
                                              {"check": "docs", "verdict": "fail",
                                               "reason": "no page", "fix": "write one"}]}]}
    assert _build_catalogue(tmp_path, fledge_site, data, caplog) == []


def test_mkdocs_build_strict_fails_on_a_readiness_file_of_the_wrong_shape(tmp_path):
    config = _catalogue_site(tmp_path, {"features": [{"name": "x", "verdict": 3}]})
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config), "-d", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "entry 0 has no verdict that can be read" in done.stderr


def test_hosts_exits_1_when_a_registered_host_cannot_be_loaded(fledge_site, capsys):
    fledge_site.add("hostless", {"hostless_mod": "host = 'not a Host'\n"},
                    entry_points={"hostless": "hostless_mod:host"}, group="fledge.hosts")
    code, out, _ = run(capsys, "hosts", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 1
    assert rows["hostless"]["error"] == "it names a str, not a fledge.Host"
    assert rows["fledge"]["error"] is None
    code, out, err = run(capsys, "list", "--host", "hostless")
    assert code == 2
    assert "its entry point 'hostless_mod:host' failed to load" in err
