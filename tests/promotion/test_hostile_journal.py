"""``promote --recover`` reads a journal anyone could have written (a pull request commits the
folder, a disk fills, a hand edit): every bad one is refused whole, with exit status 2, a
message naming the fault, the journal kept, and nothing changed inside the repository or
beside it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_helpers import assert_clean_failure, run, tree_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from promote_helpers import git

from fledge_promote import JournalError, Plan, Repo
from fledge_promote.applying._apply import _begin, recover
from fledge_promote.applying._journal import inside_problem, read_journal, sha256_of
from fledge_promote.repository._repo import JOURNAL_DIR

PLAN_WRITES = {"README.md": "changed\n", "docs/source/index.md": "# changed\n",
               "trl/new_module.py": "x = 1\n"}


def journal_of(root: Path) -> Path:
    return root / JOURNAL_DIR / "journal.json"


@pytest.fixture
def journalled(trl_repo: Path) -> Path:
    """The miniature TRL with a real journal of a run that changed nothing yet, and a
    sibling folder ``outside/`` holding a precious file."""
    outside = trl_repo.parent / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me\n")
    _begin(Repo(trl_repo), Plan("promote", "foo", writes=dict(PLAN_WRITES)))
    return trl_repo


def edit(mutate: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        data = json.loads(journal_of(root).read_text())
        mutate(data)
        journal_of(root).write_text(json.dumps(data))

    return apply


def entry(path: str, backup: str | None = None) -> Callable[[dict], None]:
    def add(data: dict) -> None:
        data["entries"].append({"path": path, "backup": backup, "mode": None, "sha256": None}
                               if backup is None else
                               {**data["entries"][0], "path": path, "backup": backup})

    return add


def raw(content: bytes) -> Callable[[Path], None]:
    return lambda root: journal_of(root).write_bytes(content)


def setitem(key: str, value: object) -> Callable[[dict], None]:
    return lambda data: data.__setitem__(key, value)


def first_entry(key: str, value: object) -> Callable[[dict], None]:
    return lambda data: data["entries"][0].__setitem__(key, value)


def outside_file(root: Path) -> str:
    return str(root.parent / "outside" / "precious.txt")


def absolute_entry(root: Path) -> None:
    edit(entry(outside_file(root)))(root)


def absolute_entry_with_backup(root: Path) -> None:
    edit(entry(str(root.parent / "outside" / "new.txt"), backup="0"))(root)


def through_a_link(root: Path) -> None:
    (root / "link").symlink_to(root.parent / "outside")
    edit(entry("link/precious.txt"))(root)


def backup_is_a_link(root: Path) -> None:
    backup = root / JOURNAL_DIR / "files" / "0"
    backup.unlink()
    backup.symlink_to(outside_file(root))


def folder_is_a_link(root: Path) -> None:
    real = root.parent / "outside" / "journal"
    shutil.move(root / JOURNAL_DIR, real)
    (root / JOURNAL_DIR).symlink_to(real)


def tampered_backup(root: Path) -> None:
    (root / JOURNAL_DIR / "files" / "0").write_text("not what was backed up\n")


def committed_by_git(root: Path) -> None:
    git(root, "add", "-f", JOURNAL_DIR)
    git(root, "commit", "-qm", "a pull request commits a journal")


def forged_committed(root: Path) -> None:
    """A half-applied tree (README changed, the rest not) whose journal says it finished."""
    (root / "README.md").write_text("changed\n")
    data = json.loads(journal_of(root).read_text())
    data["state"] = "committed"
    data["after"] = {e["path"]: "0" * 64 for e in data["entries"]}
    journal_of(root).write_text(json.dumps(data))


def committed_without_after(root: Path) -> None:
    edit(setitem("state", "committed"))(root)


def deep(root: Path) -> None:
    journal_of(root).write_text("[" * 100_000 + "]" * 100_000)


# (id, what it does to the journal, the words of the refusal); each is a kind in the report
HOSTILE = [
    ("path-climbs-out", edit(entry("../../outside/precious.txt")), "the path is not a plain"),
    ("path-climbs-out-of-tmp", edit(entry("../outside/precious.txt")), "entry 3"),
    ("path-absolute", absolute_entry, "refusing it"),
    ("path-absolute-with-backup", absolute_entry_with_backup, "refusing it"),
    ("path-through-symlink", through_a_link, "outside the repository"),
    ("path-into-git", edit(entry(".git/hooks/pre-commit")), "lies inside .git"),
    ("path-into-journal", edit(entry(f"{JOURNAL_DIR}/files/0")), f"lies inside {JOURNAL_DIR}"),
    ("path-dot-segments", edit(entry("docs/./source/index.md")), "not a plain relative"),
    ("path-empty", edit(entry("")), "is not a relative path"),
    ("path-nul", edit(entry("README.md\0x")), "is not a relative path"),
    ("path-not-string", edit(entry(7)), "'path' must be a string"),  # type: ignore[arg-type]
    ("path-twice", edit(entry("README.md")), "names a path in two entries"),
    ("backup-climbs-out", edit(first_entry("backup", "../../../outside/precious.txt")),
     "'backup' must be the number of a file"),
    ("backup-absolute", edit(first_entry("backup", "/etc/passwd")), "'backup' must be"),
    ("backup-missing", edit(first_entry("backup", "99")), "files/99 is missing"),
    ("backup-symlink", backup_is_a_link, "is a symbolic link"),
    ("backup-tampered", tampered_backup, "does not match the SHA-256"),
    ("new-dir-outside", edit(setitem("new_dirs", ["../outside"])), "new_dirs entry"),
    ("new-dir-absolute", edit(lambda d: d["new_dirs"].append("/tmp")), "new_dirs entry"),
    ("folder-symlink", folder_is_a_link, "is a symbolic link"),
    ("folder-committed", committed_by_git, "tracked by git"),
    ("truncated", lambda root: journal_of(root).write_text(journal_of(root).read_text()[:40]),
     "is not complete JSON"),
    ("empty", raw(b""), "is not complete JSON"),
    ("not-utf8", raw(b'{"state": "\xff\xfe"}'), "is not UTF-8"),
    ("deeply-nested", deep, "is not JSON promote can read"),
    ("a-list", raw(b"[]"), "must be a JSON object"),
    ("no-format", edit(lambda d: d.pop("format")), "has format None"),
    ("old-format", edit(setitem("format", 1)), "has format 1"),
    ("no-action", edit(lambda d: d.pop("action")), "no action"),
    ("unknown-key", edit(setitem("run", "rm -rf /")), "unknown keys ['run']"),
    ("state-unknown", edit(setitem("state", "done")), "'state' must be"),
    ("action-not-verb", edit(setitem("action", "promote; rm")), "'action' must be a verb"),
    ("entries-not-list", edit(setitem("entries", {"README.md": None})), "must be a list"),
    ("entry-not-object", edit(lambda d: d["entries"].append("README.md")), "entry 3 must be"),
    ("entry-missing-key", edit(lambda d: d["entries"][0].pop("sha256")), "entry 0 must be"),
    ("mode-string", edit(first_entry("mode", "rwx")), "'mode' must be permission bits"),
    ("mode-huge", edit(first_entry("mode", 0o777777)), "'mode' must be permission bits"),
    ("sha-not-hex", edit(first_entry("sha256", "x" * 64)), "64 hexadecimal digits"),
    ("half-null", edit(first_entry("backup", None)), "must be all null"),
    ("git-index-string", edit(setitem("git_index", "yes")), "'git_index' must be true"),
    ("git-index-missing-copy", lambda root: (root / JOURNAL_DIR / "index").unlink(),
     "copy of git's index is missing"),
    ("forged-committed", forged_committed, "do not hold what it wrote"),
    ("committed-without-after", committed_without_after, "must record in 'after'"),
    ("after-while-applying", edit(setitem("after", {})), "belongs to a committed journal"),
]


@pytest.mark.parametrize(("make_hostile", "words"), [(h[1], h[2]) for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_journal_is_refused_and_nothing_changes(journalled, make_hostile, words):
    make_hostile(journalled)
    before = tree_state(journalled.parent)
    for argv in (["--recover"], ["--recover", "--json"]):
        done = run([*argv, "--root", str(journalled)])
        assert_clean_failure(done, 2, words)
        assert "Nothing was changed" in done.stderr and "json.tool" in done.stderr
        if "--json" in argv:
            assert done.json()["error"]["kind"] == "JournalError"
            assert done.json()["error"]["exit_status"] == 2
        assert tree_state(journalled.parent) == before
    assert (journalled.parent / "outside" / "precious.txt").read_text() == "keep me\n"
    assert os.path.lexists(journalled / JOURNAL_DIR)  # kept for a person to inspect
    refused = run(["foo", "--root", str(journalled)])  # and every other run still waits
    assert refused.status == 1 and "promote --recover" in refused.stderr


def test_the_journal_folder_ignores_itself(journalled):
    assert git(journalled, "status", "--porcelain", "--ignored", "--", JOURNAL_DIR) == \
        f"!! {JOURNAL_DIR}/\n"
    git(journalled, "add", "-A")
    assert git(journalled, "ls-files", "--", JOURNAL_DIR) == ""


def test_a_genuine_journal_still_recovers(journalled):
    """The checks refuse nothing a real run writes: half-applied by hand, then undone."""
    readme = (journalled / "README.md").read_text()
    for rel, text in PLAN_WRITES.items():
        (journalled / rel).write_text(text)
    result = recover(Repo(journalled))
    assert (result.outcome, result.restored) == ("undone", 3)
    assert (journalled / "README.md").read_text() == readme
    assert not (journalled / "trl/new_module.py").exists()
    assert git(journalled, "status", "--porcelain") == ""


def test_a_genuine_committed_journal_finishes(journalled):
    for rel, text in PLAN_WRITES.items():
        (journalled / rel).write_text(text)
    data = json.loads(journal_of(journalled).read_text())
    data["state"] = "committed"
    data["after"] = {e["path"]: sha256_of(journalled / e["path"]) for e in data["entries"]}
    journal_of(journalled).write_text(json.dumps(data))
    assert recover(Repo(journalled)).outcome == "finished"
    assert (journalled / "trl/new_module.py").read_text() == "x = 1\n"
    assert not (journalled / JOURNAL_DIR).exists()


# -- property-based: whatever journal.json holds, the reader refuses or returns safe paths

def _nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(inner, max_size=4),
                     st.dictionaries(st.text(max_size=10), inner, max_size=4))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30), _nested, max_leaves=20)
PATHS = st.sampled_from(["README.md", "../x", "/etc/passwd", "a/../../b", ".git/config",
                         "", ".", "docs/./x", "link/x", f"{JOURNAL_DIR}/journal.json",
                         "trl/new_module.py"]) | st.text(max_size=20)


def _check_read(root: Path) -> None:
    repo = Repo(root)
    try:
        journal = read_journal(repo)
    except JournalError as exc:
        assert "Nothing was changed" in str(exc)
        return
    for item in journal.entries:
        assert inside_problem(repo, item.path) is None
        if item.backup is not None:
            assert (root / JOURNAL_DIR / "files" / item.backup).is_file()
    for folder in journal.new_dirs:
        assert inside_problem(repo, folder) is None


_FUZZ = settings(max_examples=150, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(data=JSON)
def test_any_json_is_refused_or_read_safely(journalled, data):
    journal_of(journalled).write_text(json.dumps(data))
    _check_read(journalled)


@_FUZZ
@given(content=st.binary(max_size=200))
def test_any_bytes_are_refused_or_read_safely(journalled, content):
    journal_of(journalled).write_bytes(content)
    _check_read(journalled)


@_FUZZ
@given(key=st.sampled_from(["state", "action", "feature", "entries", "new_dirs", "git_index",
                            "after", "format"]), value=JSON,
       path=PATHS, backup=st.none() | st.text(max_size=12) | st.sampled_from(["0", "1", "9"]))
def test_a_journal_with_one_field_changed_is_refused_or_safe(journalled, key, value, path,
                                                             backup):
    genuine = journal_of(journalled).read_text()
    data = json.loads(genuine)
    data[key] = value
    data.setdefault("entries", [])
    if isinstance(data["entries"], list):
        data["entries"].append({"path": path, "backup": backup, "mode": 0o644,
                                "sha256": "0" * 64})
    journal_of(journalled).write_text(json.dumps(data))
    _check_read(journalled)
    journal_of(journalled).write_text(genuine)


@pytest.mark.parametrize("record", ['[]', '{"command": "rm -rf /", "pid": 99999999999999999999}',
                                    '{"command": [1, 2], "pid": true}', '{', '"git"'])
def test_a_bad_git_record_is_read_as_a_command_not_started(journalled, record):
    """``git.json`` is only ever shown and its pid only probed: a bad one counts as a git
    command that had not started, and the rest of the recovery goes on."""
    (journalled / JOURNAL_DIR / "git.json").write_text(record)
    done = run(["--recover", "--json", "--root", str(journalled)])
    assert done.status == 0, done.stderr
    assert done.json()["outcome"] == "undone"
    assert not (journalled / JOURNAL_DIR).exists()
    assert git(journalled, "status", "--porcelain") == ""
