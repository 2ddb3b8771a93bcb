"""Every argument of ``promote`` that names a feature, a module, a version or a path, given
what a user (or a script fed by a pull request) can type: a clear exit status and message,
never a traceback, and nothing written inside the repository or beside it by a dry run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_helpers import run, tree_state

NAMES = ["", "../outside", "/etc/passwd", "trl.experimental.foo", "foo/bar", "foo.py", ".",
         "..", "-", "x" * 300, "foo\nbar", "caf\u00e9", "__init__", "class", "FOO", "bar baz",
         "foo\0", "*", "tests"]
PATHS = ["", "/", "/nonexistent/x", "../outside", "../outside/precious.txt", "README.md",
         "trl", "\0", "~nobody/x"]
VERSIONS = ["", "banana", "0", "-1", "v", "1.0.0.post1.dev2+local", "99999999999999999999.0",
            "0.0.1", "1.2.3\n"]


def cases() -> list[list[str]]:
    """The argument lists tried, each with one hostile value (``{root}``, ``{outside}`` are
    filled in by the test)."""
    out = []
    for name in NAMES:
        out += [[name], ["check", name, "--only", "manifest"], ["retire", name],
                ["demote", name], ["deprecate", name, "--removal", "9.0.0"],
                ["report", name]]
    for path in PATHS:
        out += [["include", path], ["check", "foo", "--junit", path, "--coverage-data", path]]
    for version in VERSIONS:
        out += [["prune", "--version", version], ["deprecate", "foo", "--removal", version],
                ["demote", "foo", "--removal", version]]
    out += [["check", "foo", "--only", "no-such-check"], ["report", "--all", "--sort", "x"],
            ["report", "--all", "--today", "yesterday"], ["check", "--all", "foo"],
            ["report", "--all", "--format", "json", "--output", "{root}"],
            ["check", "foo", "--only", "manifest", "--report", "{root}"],
            ["include", "{outside}"], ["foo", "--recover", "--apply"]]
    return out


CASES = cases()


@pytest.mark.parametrize("argv", CASES, ids=[repr(c)[:60] for c in CASES])
def test_no_argument_makes_promote_crash_or_write(trl_repo, argv):
    outside = trl_repo.parent / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me\n")
    argv = [a.replace("{root}", str(trl_repo)).replace("{outside}", str(outside)) for a in argv]
    before = tree_state(trl_repo.parent)
    done = run([*argv, "-q", "--root", str(trl_repo)])
    said = done.stdout + done.stderr
    assert done.status in (0, 1, 2), said
    assert "Traceback" not in said and "internal error" not in said, said
    if done.status == 2:
        assert "promote: error: " in done.stderr or "usage:" in done.stderr, said
    assert tree_state(trl_repo.parent) == before


def test_the_root_itself_is_checked(tmp_path: Path):
    for root in (tmp_path / "missing", tmp_path / "file.txt", Path("/nonexistent")):
        if root.name == "file.txt":
            root.write_text("x")
        for argv in (["check", "--all"], ["foo"], ["--recover"], ["report", "--all"]):
            done = run([*argv, "--root", str(root)])
            assert done.status == 2, done.stdout + done.stderr
            assert "Traceback" not in done.stderr and "promote: error:" in done.stderr
