"""Files promote cannot read, and files it cannot write: never skipped without a word, and a
failed apply that cannot write one file still puts the tree back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hostile_helpers import run, tree_state
from promote_helpers import commit_all, git, snapshot

from fledge_promote import ApplyError, Plan, RefusedError, Repo, apply_plan
from fledge_promote.applying._apply import journal_exists

LATIN1 = ("# -*- coding: latin-1 -*-\n"
          "\"\"\"Caf\u00e9 utilities.\"\"\"\n"
          "from trl.experimental.foo import FooTrainer\n\n"
          "NAME = \"d\u00e9j\u00e0 vu\"\n")


@pytest.fixture
def odd_files(trl_repo: Path) -> Path:
    (trl_repo / "scripts").mkdir()
    (trl_repo / "scripts/latin1_user.py").write_bytes(LATIN1.encode("latin-1"))
    (trl_repo / "scripts/raw_bytes_user.py").write_bytes(
        b"from trl.experimental.foo import FooTrainer\nNAME = '\xe9\xff'\n")
    (trl_repo / "scripts/broken_user.py").write_text(
        "from trl.experimental.foo import FooTrainer\ndef broken(:\n")
    (trl_repo / "docs/source/latin1_page.md").write_bytes(
        "See `trl.experimental.foo` \u00e0 la carte.\n".encode("latin-1"))
    commit_all(trl_repo, "files in odd encodings")
    return trl_repo


def test_every_file_promote_cannot_read_or_parse_is_a_note(odd_files):
    text = run(["foo", "--no-diff", "-q", "--root", str(odd_files)])
    data = run(["foo", "--json", "-q", "--root", str(odd_files)])
    assert text.status == data.status == 0, text.stderr
    notes = data.json()["plan"]["notes"]
    raw = next(n for n in notes if n.startswith("scripts/raw_bytes_user.py: could not be read"))
    assert "not valid utf-8 (byte 0xe9" in raw and "declares no other encoding" in raw
    assert "its bytes mention 'foo'" in raw
    page = next(n for n in notes if n.startswith("docs/source/latin1_page.md: could not be"))
    assert "not rewritten" in page
    broken = next(n for n in notes if n.startswith("scripts/broken_user.py: not valid Python"))
    assert "review its mentions by hand" in broken
    for note in (raw, page, broken):
        assert f"note: {note}" in text.stdout
    # the Latin-1 file with a coding line is read in its encoding and rewritten like any other
    assert "scripts/latin1_user.py" in data.json()["plan"]["changed"]
    assert not any(n.startswith("scripts/latin1_user.py") for n in notes)


def test_a_file_with_a_coding_line_is_written_back_in_its_encoding(odd_files):
    done = run(["foo", "--apply", "--force", "--allow-dirty", "-q", "--root", str(odd_files)])
    assert done.status in (0, 1), done.stderr  # 1: the moved tests' verdict, not the apply
    assert "applied" in done.stdout
    data = (odd_files / "scripts/latin1_user.py").read_bytes()
    assert data.decode("latin-1") == LATIN1.replace("trl.experimental.foo", "trl.trainer.foo")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # still Latin-1, not re-encoded


def test_text_that_its_encoding_cannot_hold_is_refused_before_any_write(trl_repo):
    before = snapshot(trl_repo)
    plan = Plan("promote", "foo", writes={
        "README.md": "fine\n", "trl/x.py": "# coding: latin-1\nNAME = '\u20ac'\n"})
    with pytest.raises(RefusedError, match="trl/x.py: cannot be written in its declared "
                                           "encoding iso-8859-1"):
        apply_plan(Repo(trl_repo), plan)
    assert snapshot(trl_repo) == before and not journal_exists(Repo(trl_repo))


def _chattr(path: Path, flag: str) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


def test_an_unwritable_file_fails_the_apply_and_the_tree_is_restored(trl_repo):
    """CHANGELOG.md immutable: the apply fails on it, and the undo must not try to rewrite
    it (it never changed), or the renames before it stay half applied."""
    changelog = trl_repo / "CHANGELOG.md"
    changelog.write_text("# Changelog\n")
    commit_all(trl_repo, "a changelog")
    if not _chattr(changelog, "+i"):
        changelog.chmod(0o444)
        if _writable(changelog):
            pytest.skip("neither chattr +i nor a read-only mode stops this user writing")
    try:
        before, index = tree_state(trl_repo.parent), git(trl_repo, "ls-files", "-s")
        done = run(["foo", "--apply", "--force", "-q", "--root", str(trl_repo)])
        assert done.status == 1, done.stdout + done.stderr
        assert "applying failed" in done.stderr
        assert "the tree was restored to its state before the run" in done.stderr
        assert tree_state(trl_repo.parent) == before
        assert git(trl_repo, "ls-files", "-s") == index
        assert not journal_exists(Repo(trl_repo))
    finally:
        _chattr(changelog, "-i")
        changelog.chmod(0o644)


def _writable(path: Path) -> bool:
    try:
        with open(path, "a"):
            return True
    except OSError:
        return False


def test_a_restore_that_fails_says_what_and_keeps_the_journal(trl_repo, monkeypatch):
    """When a changed file cannot be put back, the error names it and --recover finishes
    the job once it can."""
    from fledge_promote.applying import _apply

    before = snapshot(trl_repo)
    plan = Plan("promote", "foo", writes={"README.md": "changed\n",
                                          "docs/source/foo.md/impossible": "fails\n"})
    real = _apply.shutil.copyfile

    def refuse(src, dst, *a, **k):
        if str(dst).endswith("README.md"):
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(_apply.shutil, "copyfile", refuse)
    with pytest.raises(ApplyError, match=r"restoring failed too \(.*README.md: Permission "
                                         r"denied\)") as caught:
        apply_plan(Repo(trl_repo), plan)
    assert not caught.value.restored and journal_exists(Repo(trl_repo))
    monkeypatch.undo()
    done = run(["--recover", "--root", str(trl_repo)])
    assert done.status == 0 and "undid the interrupted promote run" in done.stdout
    assert snapshot(trl_repo) == before


def test_a_link_out_of_the_repository_is_never_read(trl_repo):
    """A committed symbolic link to a file outside that mentions the feature: its content
    appears nowhere (diff, mentions) and the plan says why it was not read."""
    outside = trl_repo.parent / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("token=hunter2 trl.experimental.foo\n")
    (trl_repo / "docs/source/leak.md").symlink_to(outside / "secret.md")
    commit_all(trl_repo, "a link out")
    before = tree_state(trl_repo.parent)
    done = run(["foo", "--json", "-q", "--root", str(trl_repo)])
    assert done.status == 0, done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert any(n.startswith("docs/source/leak.md: could not be read (it is a symbolic link "
                            "leading outside the repository") for n in done.json()["plan"]["notes"])
    assert tree_state(trl_repo.parent) == before
