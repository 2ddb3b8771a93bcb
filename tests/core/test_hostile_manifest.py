"""Property-based tests (Hypothesis) of what fledge reads from other people.

* the manifest: any value in any field gives a `fledge.Feature` or one `fledge.ManifestError`
  naming a field, never another exception; a valid manifest survives a round trip;
* an in-tree feature's ``__init__.py``, read without importing it: any literal
  ``Feature(...)`` call, ``__all__``, docstring or source text gives a feature (with the error,
  when its manifest is wrong); only a folder name that cannot be a feature's raises, and
  then a `ManifestError` on ``name``;
* the environment switches: any value is read, and a value outside the accepted ones is an
  issue naming its variable;
* the command line: any ``--host`` or feature name ends in an exit status, never a traceback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import keyword
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fledge import Feature, ManifestError, ReservedNameError, Stage
from fledge._intree import read_feature
from fledge._manifest import RESERVED_NAMES, field_docs
from fledge._switches import Switches, SwitchIssue, read_silence
from fledge.cli import main

FIELDS = list(field_docs())
VALID = {"name": "sample", "summary": "A sample.", "module": "sample_pkg.impl",
         "exports": ("thing",), "since": "0.1.0"}
# Hypothesis' per-example health checks are about the data, not the code under test (the
# in-tree cases write one small file per example); no example database is written into the
# repository. The example counts keep the file's run near 10 s on one core.
SETTINGS = {"suppress_health_check": list(HealthCheck), "deadline": None, "database": None}

# -- values a manifest may hold: anything a plugin can write ----------------------------------

_awkward_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x1b[2J", "a\nb", "\u202eevil", "trl>=1.0", "1.0", "paper",
                     "https://example.org", "m:f", "mod.sub:run", "x" * 600, "class", "_x",
                     "registry", "caf\u00e9"]),
)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _awkward_text,
                     st.binary(max_size=8), st.sampled_from(list(Stage)))
_anything = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.one_of(_awkward_text, st.integers()), inner,
                                            max_size=3),
                            st.frozensets(_awkward_text, max_size=3)),
    max_leaves=8,
)


def _assert_names_a_field(error: ManifestError, allowed: list[str]) -> None:
    assert error.field in allowed, error.field
    assert f"field {error.field!r}" in str(error)


@settings(max_examples=300, **SETTINGS)
@given(st.dictionaries(st.sampled_from(FIELDS), _anything, max_size=6))
def test_any_field_value_gives_a_feature_or_a_manifest_error_naming_the_field(changes):
    try:
        feature = Feature(**{**VALID, **changes})
    except ManifestError as error:
        _assert_names_a_field(error, FIELDS)
    else:
        assert isinstance(feature, Feature)
        json.dumps(feature.to_dict())  # what `fledge list --json` prints


@settings(max_examples=150, **SETTINGS)
@given(st.fixed_dictionaries({name: _anything for name in ("name", "summary", "module",
                                                            "exports", "since")}))
def test_a_manifest_of_nothing_but_bad_values_names_one_field(values):
    try:
        Feature(**values)
    except ManifestError as error:
        _assert_names_a_field(error, FIELDS)


_identifier = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and n not in RESERVED_NAMES)
_plain_text = st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?-()'",
                      min_size=1, max_size=120).filter(str.strip)
_version = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}((a|b|rc)[0-9])?", fullmatch=True)
_valid = st.fixed_dictionaries(
    {"name": _identifier, "summary": _plain_text,
     "module": st.lists(_identifier, min_size=1, max_size=3).map(".".join),
     "exports": st.lists(_identifier, min_size=1, max_size=4, unique=True).map(tuple),
     "since": _version},
    optional={"owners": st.lists(_plain_text, max_size=3, unique=True).map(tuple),
              "requires": st.dictionaries(st.sampled_from(["trl", "torch", "pluggy"]),
                                          _version.map(lambda v: ">=" + v), max_size=2),
              "links": st.dictionaries(_identifier, _identifier.map(
                  lambda p: f"https://example.org/{p}"), max_size=2),
              "demo": st.tuples(_identifier, _identifier).map(":".join),
              "docs": _plain_text},
)


@settings(max_examples=100, **SETTINGS)
@given(_valid)
def test_a_valid_manifest_survives_the_json_round_trip(values):
    feature = Feature(**values)
    again = Feature(**json.loads(json.dumps(feature.to_dict())))
    assert again.to_dict() == feature.to_dict()


# -- in-tree features: their __init__.py, read with ast ---------------------------------------

_literal = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              _awkward_text, st.binary(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner),
                            st.dictionaries(st.one_of(_awkward_text, st.integers()), inner,
                                            max_size=3),
                            st.sets(st.integers(), max_size=2)),
    max_leaves=6,
)
_folder = st.one_of(_identifier, st.sampled_from(["class", "None", "caf\u00e9", "registry",
                                                   "host", "testing", "a" * 300, "\u00e9t\u00e9"]))


def _folder_error(name: str) -> ManifestError | None:
    """The error a folder's name alone earns, as `Feature` would raise it; None if valid."""
    try:
        Feature(**{**VALID, "name": name})
    except ManifestError as error:
        return error
    return None


def _read(tmp_path, name: str, source: str, version: str | None):
    init = tmp_path / "feature_init.py"
    init.write_text(source, encoding="utf-8")
    expected = _folder_error(name)
    try:
        feature, error = read_feature(name, init, "somelib.experimental", version)
    except ManifestError as raised:  # only the name itself may be refused outright
        assert expected is not None, raised
        assert raised.field == "name"
        assert isinstance(raised, ReservedNameError) is isinstance(expected, ReservedNameError)
        return
    assert expected is None, f"{name!r} was accepted"
    assert isinstance(feature, Feature) and feature.name == name
    if error is not None:
        _assert_names_a_field(error, [*FIELDS, "Feature(...)"])


@settings(max_examples=200, **SETTINGS)
@given(name=_folder,
       arguments=st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.just("bogus")),
                                 _literal, max_size=5),
       exports=st.one_of(st.none(), _literal), doc=st.one_of(st.none(), _awkward_text),
       version=st.one_of(st.none(), st.sampled_from(["1.2.0", "dev", ":", "0.29.0.dev0"])))
def test_any_literal_manifest_in_tree_gives_a_feature_and_its_error(tmp_path_factory, name,
                                                                    arguments, exports, doc,
                                                                    version):
    source = "" if doc is None else repr(doc) + "\n"
    if exports is not None:
        source += f"__all__ = {exports!r}\n"
    if arguments:
        source += "Feature(" + ", ".join(f"{k}={v!r}" for k, v in arguments.items()) + ")\n"
    _read(tmp_path_factory.mktemp("tree"), name, source, version)


@settings(max_examples=150, **SETTINGS)
@given(name=_identifier, source=st.one_of(
    st.text(max_size=200),
    st.sampled_from(["Feature(", "Feature(*args)", "Feature(**kw)", "Feature(name=f())",
                     "x = Feature(since=1.0)", "__all__ = 3", "__all__ = ['class', 'ok']",
                     "from . import *", "\x00", "Feature(exports=[[]] * 3)",
                     "Feature(requires={[1]: 2})", "Feature(" * 200])))
def test_any_source_text_in_tree_gives_a_feature(tmp_path_factory, name, source):
    _read(tmp_path_factory.mktemp("tree"), name, source, "1.0")


# -- environment switches ---------------------------------------------------------------------

_switch_values = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(
    ["1", "0", "TRUE", " yes ", "garbage", "2", "yes-please", ",,,", ", a ,", "a b", "*",
     "all", "x,,y", "-", "é"]))


@settings(max_examples=400, **SETTINGS)
@given(autoload=_switch_values, allow=_switch_values, block=_switch_values)
def test_any_switch_value_is_read_and_what_is_not_accepted_is_named(autoload, allow, block):
    environ = {name: value for name, value in (("X_DISABLE_PLUGIN_AUTOLOAD", autoload),
                                               ("X_PLUGINS_ALLOW", allow),
                                               ("X_PLUGINS_BLOCK", block)) if value is not None}
    switches = Switches(environ, "X")
    for issue in switches.issues:
        assert isinstance(issue, SwitchIssue)
        assert environ[issue.variable] == issue.value
        assert issue.message and issue.fix
    accepted = ("1", "true", "yes", "on", "0", "false", "no", "off", "")
    autoload_issue = any(i.variable == "X_DISABLE_PLUGIN_AUTOLOAD" for i in switches.issues)
    assert autoload_issue is (autoload is not None and autoload.strip().lower() not in accepted)
    if allow is not None and allow.strip() and not allow.replace(",", "").strip():
        assert switches.allow is None  # only commas: unset, and said so
        assert any(i.variable == "X_PLUGINS_ALLOW" for i in switches.issues)
    switches.plugin_refusal("some-plugin", "some-dist", builtin=False)  # never raises


@settings(max_examples=300, **SETTINGS)
@given(_switch_values)
def test_any_silence_value_is_read(value):
    every, names, issues = read_silence("X_SILENCE", value)
    if every:
        assert (value or "").strip().lower() in ("1", "true", "yes", "on", "all", "*")
    assert all(name == name.strip().lower() for name in names)
    assert all(issue.variable == "X_SILENCE" for issue in issues)


# -- the command line -------------------------------------------------------------------------

def _run_quietly(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing, e.g. a value that looks like an option
            code = exc.code
    return code, err.getvalue()


def _not_importable(text: str) -> bool:
    """Whether ``text`` names no importable module: the test imports nothing real."""
    top = text.partition(".")[0]
    try:
        return not top.isidentifier() or importlib.util.find_spec(top) is None
    except (ImportError, ValueError):
        return True


@pytest.mark.parametrize("command", [["list", "--host"], ["doctor", "--shallow", "--host"]])
@settings(max_examples=100, **SETTINGS)
@given(host=st.one_of(st.text(max_size=30), st.sampled_from(
    ["../etc", "", ".foo", "a..b", "a.", "/etc/passwd", "trl/experimental", "..", "a b"])))
def test_any_host_argument_ends_in_an_exit_status(command, host):
    assume(_not_importable(host) and host not in ("fledge", "fledge.experimental"))
    code, err = _run_quietly([*command, host])
    assert code == 2
    assert "Traceback" not in err
    assert "--host" in err or "expected one argument" in err


@settings(max_examples=100, **SETTINGS)
@given(command=st.sampled_from(["info", "demo"]), name=st.text(max_size=30))
def test_any_feature_name_ends_in_an_exit_status(command, name):
    assume(name not in ("bema_for_ref_model", "grpo_with_replay_buffer"))  # real demos train
    code, err = _run_quietly([command, name])
    assert code == 2
    assert "Traceback" not in err
