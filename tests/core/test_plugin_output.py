"""A plugin that prints never corrupts machine-read output.

The sample plugin prints when its module is imported, in each of its hooks, and when its
implementation is imported. Whatever it writes while the host loads it or calls its hooks
goes to standard error: every ``--json`` output of ``fledge`` and of ``promote`` parses, and
the lines are still there for a person, on standard error.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from fledge.cli import main

REPO = Path(__file__).resolve().parents[2]

CHATTY = '''\
print("chatty: banner at import")
import fledge


@fledge.hookimpl
def fledge_features():
    print("chatty: registering")
    return [fledge.Feature(name="chatty", summary="Prints a lot.", module="chatty_impl",
                           exports=("thing",), since="0.1.0")]


@fledge.hookimpl
def fledge_feature_loaded(feature, module):
    print("chatty: told that", feature.name, "loaded")


@fledge.hookimpl
def fledge_promote_checks():
    print("chatty: contributing checks")
    return []
'''
IMPLEMENTATION = 'print("chatty: implementation imported")\nthing = 1\n'
LINES = ("chatty: banner at import", "chatty: registering", "chatty: told that",
         "chatty: implementation imported", "chatty: contributing checks")


@pytest.fixture
def chatty(fledge_site):
    fledge_site.add("fledge-chatty", {"chatty": CHATTY, "chatty_impl": IMPLEMENTATION})
    return fledge_site


def test_in_process_the_plugins_prints_go_to_stderr(chatty, capsys):
    registry = chatty.install()
    assert registry.names() == ["chatty"]
    registry.load("chatty")
    for impl in registry.pm.hook.fledge_promote_checks.get_hookimpls():
        assert impl.function() == []  # whoever calls a hook, promote included
    out, err = capsys.readouterr()
    assert out == ""
    for line in LINES:
        assert line in err


def run(argv: list[str], site: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEDGE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


@pytest.mark.parametrize("argv", [
    ["list", "--json"],
    ["list", "--stage", "experimental", "--json"],
    ["list", "--host", "fledge", "--json"],
    ["info", "chatty", "--json"],
    ["doctor", "--json"],
    ["doctor", "--shallow", "--json"],
    ["hosts", "--json"],
    ["new", "quiet_one", "--json"],
])
def test_every_fledge_json_output_parses(chatty, tmp_path, argv):
    done = run(["-m", "fledge.cli", *argv], chatty.root, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)  # nothing but the JSON on standard output
    assert "chatty:" not in done.stdout
    if argv[0] != "new":  # `new` loads no plugin
        assert "chatty: banner at import" in done.stderr


def test_the_listing_still_shows_the_plugin(chatty, tmp_path):
    rows = json.loads(run(["-m", "fledge.cli", "list", "--json"], chatty.root).stdout)
    assert "chatty" in {row["name"] for row in rows}
    doctor = run(["-m", "fledge.cli", "doctor", "--json"], chatty.root)
    assert "chatty: implementation imported" in doctor.stderr
    assert "chatty: told that chatty loaded" in doctor.stderr


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """This repository's committed files (``git archive HEAD``), for promote to read."""
    root = tmp_path_factory.mktemp("fledge-copy")
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("argv", [
    ["check", "bema_for_ref_model", "--only", "manifest", "--json", "-q"],
    ["check", "bema_for_ref_model", "--only", "manifest", "--format", "json", "-q"],
    ["bema_for_ref_model", "--json", "-q", "--no-diff"],
])
def test_every_promote_json_output_parses(chatty, repo_copy, argv):
    done = run(["-m", "fledge_promote.cli", *argv, "--root", str(repo_copy)], chatty.root)
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)
    assert "chatty:" not in done.stdout
    assert "chatty: banner at import" in done.stderr
    if argv[0] == "check":
        assert "chatty: contributing checks" in done.stderr


def test_a_host_module_that_prints_keeps_fledge_hosts_clean(fledge_site, capsys):
    fledge_site.add("noisy-lib", {
        "noisy_lib": "",
        "noisy_lib.experimental": ('print("noisy_lib: hello")\nfrom fledge import Host\n'
                                   'host = Host("noisy_lib.experimental")\n'
                                   "__getattr__, __dir__ = host.serve()\n"),
    }, entry_points={"noisy": "noisy_lib.experimental:host"}, group="fledge.hosts")
    try:
        assert main(["hosts", "--json"]) == 0
        out, err = capsys.readouterr()
        rows = {row["name"]: row for row in json.loads(out)}
        assert rows["noisy"]["namespace"] == "noisy_lib.experimental"
        assert "noisy_lib: hello" in err
    finally:
        from fledge import _host

        _host._SERVED.pop("noisy_lib.experimental", None)
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(
            getattr(f, "host", None), "namespace", None) != "noisy_lib.experimental"]
