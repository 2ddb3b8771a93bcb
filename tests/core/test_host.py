"""A library's own namespace served by fledge: `fledge.Host`, in-tree features read
statically, plugins of the host's group beside them, and several hosts in one process.

The sample library ``mylib`` is written into a temporary folder: ``mylib/experimental/`` is a
real package folder whose ``__init__`` declares the host, with feature subpackages (one
without a manifest, one with a literal ``Feature(...)``, one promoted, one whose manifest is
wrong), a plain module and a private package beside them.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest

import fledge
from fledge import FeaturePromotedWarning, FeatureUnavailableError, Host, HostError, Status
from fledge.cli import main

from sample_plugins import manifest, plugin_source

NAMESPACE_INIT = '''\
from fledge import Host

from mylib.notices import MyLibWarning

host = Host("mylib.experimental", warning=MyLibWarning)
__getattr__, __dir__ = host.serve()
'''

FILES = {
    "mylib/__init__.py": "",
    "mylib/notices.py": "class MyLibWarning(UserWarning):\n    pass\n",
    "mylib/experimental/__init__.py": NAMESPACE_INIT,
    "mylib/experimental/alpha/__init__.py": (
        '"""Alpha: the first sample feature."""\n\nfrom .core import Alpha, make_alpha\n\n'
        '__all__ = ["Alpha", "make_alpha"]\n'),
    "mylib/experimental/alpha/core.py": (
        "class Alpha:\n    pass\n\n\ndef make_alpha():\n    return Alpha()\n"),
    "mylib/experimental/beta/__init__.py": (
        "from fledge import Feature\n\n"
        "FEATURE = Feature(name='beta', summary='Beta, described by its manifest.',\n"
        "                  module='mylib.experimental.beta', exports=('beta',), since='0.3.0',\n"
        "                  owners=('bob',), links={'paper': 'https://example.org/beta'})\n\n\n"
        "def beta():\n    return 'b'\n"),
    "mylib/experimental/grown/__init__.py": (
        "from fledge import Feature\n\n"
        "FEATURE = Feature(name='grown', summary='Promoted.', module='mylib.experimental.grown',"
        "\n                  exports=('grown',), since='0.1.0', stage='stable',\n"
        "                  stable_path='mylib.grown', promoted_in='0.4.0', removal='0.6.0')\n"
        "grown = 'g'\n"),
    "mylib/experimental/wrong/__init__.py": (
        "from fledge import Feature\n\nSINCE = '1.0'\n"
        "FEATURE = Feature(name='wrong', summary='s', module='mylib.experimental.wrong',\n"
        "                  exports=('x',), since=SINCE)\nx = 1\n"),
    "mylib/experimental/utils.py": "helper = 'plain'\n",
    "mylib/experimental/_private/__init__.py": "secret = 1\n",
    "mylib/experimental/shared/data.py": "table = 'namespace package'\n",
    "mylib-2.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: mylib\nVersion: 2.0.0\n",
    "mylib-2.0.0.dist-info/entry_points.txt": "[fledge.hosts]\nmylib = mylib.experimental:host\n",
}

LISTENER = '''\
import fledge

SEEN = []

@fledge.hookimpl
def fledge_features():
    return [fledge.Feature(name="gamma", summary="A plugin of mylib's host.",
                           module="gamma_impl", exports=("gamma",), since="0.1.0")]

@fledge.hookimpl
def fledge_feature_loaded(feature, module):
    SEEN.append(feature.name)
'''


def _forget_mylib() -> None:
    from fledge import _host

    for name in list(sys.modules):
        if name == "mylib" or name.startswith("mylib."):
            del sys.modules[name]
    _host._SERVED.pop("mylib.experimental", None)
    sys.meta_path[:] = [f for f in sys.meta_path
                        if getattr(getattr(f, "host", None), "namespace", None)
                        != "mylib.experimental"]


@pytest.fixture
def mylib(fledge_site, monkeypatch):
    """The sample library, with one plugin (``gamma``) registered in its host's group."""
    for variable in ("MYLIB_EXPERIMENTAL_SILENCE", "FLEDGE_EXPERIMENTAL_SILENCE",
                     "TRL_EXPERIMENTAL_SILENCE"):
        monkeypatch.delenv(variable, raising=False)
    root = fledge_site.root
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    fledge_site.add("mylib-gamma", {"gamma": LISTENER, "gamma_impl": "gamma = 'c'\n"},
                    group="mylib.experimental")
    _forget_mylib()
    import mylib.experimental

    yield mylib.experimental
    _forget_mylib()


def notices(record, category):
    return [w for w in record if issubclass(w.category, category)]


# -- the namespace ----------------------------------------------------------------------------


def test_importing_the_namespace_imports_no_feature(mylib):
    assert not [m for m in sys.modules if m.startswith("mylib.experimental.")]
    assert isinstance(mylib.host, Host)
    assert (mylib.host.name, mylib.host.group) == ("mylib", "mylib.experimental")


def test_dir_lists_the_in_tree_features_and_the_plugins(mylib):
    assert dir(mylib) == ["alpha", "beta", "gamma", "grown", "wrong"]
    assert "gamma_impl" not in sys.modules  # listing imported no implementation
    assert not [m for m in sys.modules if m.startswith("mylib.experimental.")]


def test_an_in_tree_feature_warns_once_at_the_users_line(mylib):
    from mylib.notices import MyLibWarning

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        from mylib.experimental.alpha import Alpha
        assert sys.modules["mylib.experimental.alpha"].Alpha is Alpha  # a second use
        from mylib.experimental.alpha import make_alpha
    [notice] = notices(record, MyLibWarning)
    assert notice.filename == __file__
    assert str(notice.message).startswith(
        "mylib.experimental.alpha is an experimental feature (since mylib 2.0.0)")
    assert "MYLIB_EXPERIMENTAL_SILENCE=alpha" in str(notice.message)
    assert Alpha.__module__ == "mylib.experimental.alpha.core"  # the library's own class
    assert isinstance(make_alpha(), Alpha)
    with pytest.warns(MyLibWarning, match="mylib.experimental.beta"):
        import mylib.experimental.beta  # noqa: F401 - a second feature warns on its own
    assert sys.modules["mylib.experimental.beta"].beta() == "b"


def test_an_in_tree_feature_is_found_without_loading_the_plugins(mylib):
    registry = mylib.host.registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mylib.experimental.alpha import Alpha  # noqa: F401
    assert "gamma" not in sys.modules  # the plugin of the host's group is not loaded yet
    import gamma  # noqa: F401 - fledge_site put it on sys.path; loading the plugins...
    registry.features()
    assert sys.modules["gamma"].SEEN == ["alpha"]  # ...tells them what was loaded before


def test_metadata_is_read_without_importing(mylib):
    registry = mylib.host.registry()
    alpha, beta = registry.get("alpha"), registry.get("beta")
    assert not [m for m in sys.modules if m.startswith("mylib.experimental.")]
    assert (alpha.source, alpha.distribution, alpha.version) == ("in-tree", "mylib", "2.0.0")
    assert alpha.feature.summary == "Alpha: the first sample feature."
    assert alpha.feature.exports == ("Alpha", "make_alpha")
    assert (alpha.feature.since, alpha.feature.stage.value) == ("2.0.0", "experimental")
    assert beta.feature.owners == ("bob",) and beta.feature.since == "0.3.0"
    assert beta.import_path == "mylib.experimental.beta"
    assert registry.get("gamma").import_path == "mylib.experimental.gamma"


def test_a_promoted_in_tree_feature_warns_with_a_future_warning(mylib):
    with pytest.warns(FeaturePromotedWarning, match="import it from mylib.grown instead"):
        from mylib.experimental.grown import grown
    assert grown == "g"


def test_a_manifest_that_is_not_literal_is_a_recorded_problem(mylib):
    registry = mylib.host.registry()
    record = registry.get("wrong")
    assert record.status is Status.BROKEN
    assert record.problem.kind.value == "invalid-manifest"
    assert "field 'since' must be a literal" in record.problem.reason
    with pytest.raises(FeatureUnavailableError, match="mylib.experimental.wrong is broken"):
        import mylib.experimental.wrong  # noqa: F401


def test_unknown_names_suggest_close_ones(mylib):
    with pytest.raises(ModuleNotFoundError, match="Did you mean 'alpha'") as info:
        import mylib.experimental.alpah  # noqa: F401
    assert "fledge list --host mylib" in str(info.value)
    with pytest.raises(AttributeError, match="Did you mean 'beta'"):
        mylib.betta  # noqa: B018


def test_plain_modules_stay_plain(mylib):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from mylib.experimental._private import secret
        from mylib.experimental.shared.data import table
        from mylib.experimental.utils import helper
    assert (helper, secret, table) == ("plain", 1, "namespace package")


def test_a_plugin_of_the_hosts_group_is_served_beside_them(mylib, fledge_site):
    from mylib.notices import MyLibWarning

    with pytest.warns(MyLibWarning, match="since mylib-gamma 0.1.0"):
        from mylib.experimental.gamma import gamma
    assert gamma == "c"


def test_a_plugin_clashing_with_an_in_tree_feature_loses(mylib, fledge_site):
    fledge_site.add("mylib-clash", {
        "clash": plugin_source(manifest("alpha", "clash_impl"), manifest("utils", "clash_impl")),
        "clash_impl": "thing = 1\n"}, group="mylib.experimental")
    registry = fledge.Registry(host=mylib.host)
    assert registry.get("alpha").source == "in-tree"
    kinds = {p.kind.value: p for p in registry.problems() if p.plugin == "clash"}
    assert "already provided by the in-tree feature mylib.experimental.alpha" in (
        kinds["duplicate-name"].reason)
    assert "MYLIB_EXPERIMENTAL_PLUGINS_BLOCK" in kinds["duplicate-name"].fix
    assert "'utils' is reserved by mylib.experimental" in kinds["reserved-name"].reason


def test_the_hosts_switches_are_its_own(mylib):
    registry = fledge.Registry(host=mylib.host, environ={
        "MYLIB_EXPERIMENTAL_PLUGINS_BLOCK": "alpha", "FLEDGE_PLUGINS_BLOCK": "beta",
        "MYLIB_EXPERIMENTAL_DISABLE_PLUGIN_AUTOLOAD": "1"})
    mylib.host.set_registry(registry)
    assert registry.get("alpha").status is Status.BLOCKED
    assert registry.get("beta").status is Status.OK  # fledge's switch is not this host's
    assert "gamma" not in registry.names()
    [note] = [p for p in registry.problems() if p.plugin == "gamma"]
    assert "MYLIB_EXPERIMENTAL_DISABLE_PLUGIN_AUTOLOAD is set" in note.reason
    assert "alpha" not in dir(mylib)
    with pytest.raises(FeatureUnavailableError, match="MYLIB_EXPERIMENTAL_PLUGINS_BLOCK"):
        import mylib.experimental.alpha  # noqa: F401


# -- several hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["environment", "context"])
def test_silencing_one_host_leaves_the_other(mylib, fledge_site, monkeypatch, how):
    from mylib.notices import MyLibWarning

    host = mylib.host
    fledge_site.add("fledge-good", {"good": plugin_source(manifest("good", "good_impl")),
                                    "good_impl": "thing = 1\n"})
    fledge_site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if how == "environment":
            monkeypatch.setenv("MYLIB_EXPERIMENTAL_SILENCE", "1")
            import fledge.experimental.good  # noqa: F401
            import mylib.experimental.alpha  # noqa: F401
        else:
            with host.silence():
                import fledge.experimental.good  # noqa: F401, F811
                import mylib.experimental.alpha  # noqa: F401, F811
    assert notices(record, MyLibWarning) == []
    [notice] = notices(record, fledge.ExperimentalWarning)
    assert str(notice.message).startswith("fledge.experimental.good is an experimental")


def test_each_host_warns_once_per_feature_of_its_own(mylib, fledge_site):
    from mylib.notices import MyLibWarning

    host = mylib.host
    fledge_site.add("fledge-alpha", {"alpha": plugin_source(manifest("alpha", "a_impl")),
                                     "a_impl": "thing = 1\n"})
    fledge_site.install()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        import fledge.experimental.alpha  # noqa: F401
        import mylib.experimental.alpha  # noqa: F401, F811 - same name, other host
    assert len(notices(record, MyLibWarning)) == 1
    assert len(notices(record, fledge.ExperimentalWarning)) == 1
    assert fledge.get_registry() is not host.registry()


# -- finding hosts ----------------------------------------------------------------------------


def test_find_host_by_name_path_and_default(mylib):
    assert fledge.find_host("mylib") is mylib.host
    assert fledge.find_host("mylib.experimental") is mylib.host
    assert fledge.find_host() is fledge.find_host("fledge")
    assert fledge.find_host().namespace == "fledge.experimental"
    with pytest.raises(fledge.HostNotFoundError, match="Known hosts: fledge, mylib") as info:
        fledge.find_host("nolib")
    assert info.value.host == "nolib"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"namespace": "not a path"}, "namespace"),
    ({"namespace": "x.experimental", "warning": ValueError}, "warning"),
    ({"namespace": "x.experimental", "notice": "{nonsense} happened"}, "notice"),
    ({"namespace": "x.experimental", "silence_variables": "X_SILENCE"}, "silence_variables"),
    ({"namespace": "x.experimental", "quiet": ["not a package"]}, "quiet"),
])
def test_a_wrong_host_names_the_argument(kwargs, field):
    with pytest.raises(HostError) as info:
        Host(**kwargs)
    assert info.value.field == field
    assert f"fledge.Host: {field!r}" in str(info.value)


def test_serve_outside_the_namespace_module_explains():
    with pytest.raises(HostError, match="call host.serve\\(\\) in that module's own code"):
        Host("not_imported_anywhere.experimental").serve()


def test_fledge_is_one_host_built_the_public_way():
    from fledge.experimental import host

    assert isinstance(host, Host)
    assert (host.namespace, host.group, host.warning) == (
        "fledge.experimental", "fledge", fledge.ExperimentalWarning)
    assert host.switch_variables == ("FLEDGE_DISABLE_PLUGIN_AUTOLOAD", "FLEDGE_PLUGINS_ALLOW",
                                     "FLEDGE_PLUGINS_BLOCK")
    assert host.silence_variables[0] == "FLEDGE_EXPERIMENTAL_SILENCE"
    derived = Host("trl.experimental")
    assert (derived.name, derived.group, derived.silence_variables, derived.quiet) == (
        "trl", "trl.experimental", ("TRL_EXPERIMENTAL_SILENCE",), ("trl",))
    assert derived.switch_variables[2] == "TRL_EXPERIMENTAL_PLUGINS_BLOCK"


# -- the command line and the catalogue -------------------------------------------------------


def test_fledge_list_and_info_with_host(mylib, capsys):
    assert main(["list", "--host", "mylib", "--json"]) == 1  # 'wrong' has a bad manifest
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert sorted(rows) == ["alpha", "beta", "gamma", "grown", "wrong"]
    assert (rows["alpha"]["source"], rows["gamma"]["source"]) == ("in-tree", "plugin")
    assert rows["gamma"]["distribution"] == "mylib-gamma"
    assert rows["alpha"]["exports"] == ["Alpha", "make_alpha"]
    assert main(["info", "beta", "--host", "mylib.experimental", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["import_path"] == "mylib.experimental.beta"
    assert main(["list"]) == 0
    assert "alpha" not in capsys.readouterr().out  # without --host: fledge's own


def test_fledge_doctor_with_host(mylib, capsys):
    assert main(["doctor", "--host", "mylib", "--shallow", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [p["feature"] for p in report["problems"]] == ["wrong"]
    assert main(["doctor", "--host", "nolib"]) == 2
    assert "no fledge host 'nolib'" in capsys.readouterr().err


def test_fledge_hosts(mylib, capsys):
    assert main(["hosts", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["mylib"]["namespace"] == "mylib.experimental"
    assert (rows["mylib"]["features"], rows["mylib"]["in_tree"]) == (5, 4)
    assert rows["mylib"]["warning"] == "mylib.notices.MyLibWarning"
    assert rows["fledge"]["group"] == "fledge"
    assert main(["hosts"]) == 0
    assert "mylib.experimental" in capsys.readouterr().out


def test_fledge_new_with_host(mylib, tmp_path, capsys):
    import tomllib

    target = tmp_path / "plugin"
    assert main(["new", "delta", "--host", "mylib", "-d", str(target), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["group"], data["package"], data["distribution"]) == (
        "mylib.experimental", "mylib_delta", "mylib-delta")
    pyproject = tomllib.loads((target / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["mylib.experimental"] == {
        "delta": "mylib_delta"}
    assert "mylib" in pyproject["project"]["dependencies"]
    test = (target / "tests" / "test_delta.py").read_text()
    assert 'fledge.find_host("mylib.experimental")' in test
    assert "from mylib.experimental.delta import delta" in test
    assert "fledge list --host mylib" in (target / "README.md").read_text()


def test_the_catalogue_for_a_host(mylib, tmp_path):
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import get_files

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# home\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    for host, expected in (("mylib", "alpha.md"), ("nolib", None)):
        config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
        config.load_dict({"site_name": "t", "docs_dir": str(tmp_path / "docs"),
                          "plugins": [{"fledge": {"host": host}}]})
        errors, _ = config.validate()
        assert not errors
        if expected is None:
            with pytest.raises(PluginError, match="option 'host': no fledge host 'nolib'"):
                config.plugins.on_config(config)
            continue
        config.plugins.on_config(config)
        files = config.plugins.on_files(get_files(config), config=config)
        pages = {Path(f.src_uri).name: f for f in files if f.src_uri.startswith("catalogue/")}
        assert sorted(pages) == ["alpha.md", "beta.md", "gamma.md", "grown.md", "index.md",
                                 "wrong.md"]
        assert "from mylib.experimental.alpha import Alpha" in pages["alpha.md"].content_string


def test_fledge_registers_its_own_host_like_any_library():
    from importlib.metadata import EntryPoint

    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                              .read_text())
    [(name, value)] = pyproject["project"]["entry-points"]["fledge.hosts"].items()
    loaded = EntryPoint(name, value, "fledge.hosts").load()
    assert (name, loaded) == ("fledge", fledge.find_host())


def test_doctor_imports_in_tree_features_without_notices(mylib, capsys):
    from mylib.notices import MyLibWarning

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert main(["doctor", "--host", "mylib", "--json"]) == 1
    assert notices(record, MyLibWarning) == []  # the host's own loading never warns
    report = json.loads(capsys.readouterr().out)
    assert (report["features"], report["ok"]) == (5, 4)
    assert "mylib.experimental.alpha" in sys.modules
    assert sys.modules["gamma"].SEEN.count("alpha") == 1  # told once, by the registry


def test_import_module_points_the_notice_at_its_caller(mylib):
    import importlib

    from mylib.notices import MyLibWarning

    with pytest.warns(MyLibWarning) as record:
        importlib.import_module("mylib.experimental.beta")
    assert [w.filename for w in record if w.category is MyLibWarning] == [__file__]


def test_the_scaffolded_plugin_of_a_host_passes_its_own_tests(mylib, fledge_site, tmp_path):
    import os
    import subprocess

    from fledge._scaffold import scaffold

    target = tmp_path / "mylib-delta"
    scaffold("delta", target, host=mylib.host)
    fledge_site.add("mylib-delta", {
        "mylib_delta": (target / "mylib_delta" / "__init__.py").read_text(),
        "mylib_delta.core": (target / "mylib_delta" / "core.py").read_text(),
        "mylib_delta.demo": (target / "mylib_delta" / "demo.py").read_text(),
    }, entry_points={"delta": "mylib_delta"}, group="mylib.experimental")
    env = {k: v for k, v in os.environ.items() if not k.endswith("EXPERIMENTAL_SILENCE")}
    env["PYTHONPATH"] = os.pathsep.join([str(fledge_site.root), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(target / "tests")], capture_output=True, text=True, env=env,
                          cwd=target, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_fledge_reserves_its_package_names(fledge_site):
    fledge_site.add("fledge-bad", {"bad": plugin_source(manifest("fledge_plugins", "x"))})
    fledge_site.add("fledge-worse", {"worse": plugin_source(manifest("host", "x"))})
    problems = {p.plugin: p for p in fledge_site.registry().problems()}
    assert {name: p.kind.value for name, p in problems.items()} == {
        "bad": "reserved-name", "worse": "reserved-name"}
    assert "reserved by fledge.experimental" in problems["bad"].reason  # the host's own rule
    assert "field 'name' must not start with '_' or shadow" in problems["worse"].reason


def test_an_unregistered_namespace_is_found_by_its_import_path(fledge_site, capsys):
    root = fledge_site.root
    (root / "checkout" / "experimental" / "one").mkdir(parents=True)
    (root / "checkout" / "__init__.py").write_text("")
    (root / "checkout" / "experimental" / "__init__.py").write_text(
        "from fledge import Host\nhost = Host('checkout.experimental')\n"
        "__getattr__, __dir__ = host.serve()\n")
    (root / "checkout" / "experimental" / "one" / "__init__.py").write_text(
        "__all__ = ['x']\nx = 1\n")
    try:
        with pytest.raises(fledge.HostNotFoundError):
            fledge.find_host("checkout")  # no entry point, and `checkout` serves no host
        assert main(["list", "--host", "checkout.experimental", "--json"]) == 0
        [row] = json.loads(capsys.readouterr().out)
        assert (row["name"], row["source"], row["exports"]) == ("one", "in-tree", ["x"])
    finally:
        from fledge import _host

        _host._SERVED.pop("checkout.experimental", None)
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(
            getattr(f, "host", None), "namespace", None) != "checkout.experimental"]
        for name in [m for m in sys.modules if m.split(".")[0] == "checkout"]:
            del sys.modules[name]
