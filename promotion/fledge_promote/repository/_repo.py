"""The target repository: its files, its git state, and the rule that nothing is written
outside it."""

from __future__ import annotations

import fnmatch
import io
import json
import os
import subprocess
import tokenize
from collections.abc import Iterator
from functools import cached_property
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.version import InvalidVersion, Version

from .._errors import PlanError, UsageError

__all__ = ["Repo", "decode_source", "declared_encoding", "editable_root", "output_file",
           "write_output"]

_SKIP_DIRS = frozenset({
    ".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules", "build", "dist",
    "site", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs",
})
TEXT_SUFFIXES = (".py", ".md", ".mdx", ".rst", ".txt", ".toml", ".yml", ".yaml", ".cfg", ".ipynb")
#: Where an interrupted run's journal lives (inside the repository, never outside).
JOURNAL_DIR = ".fledge-promote-journal"


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` so that a kill at any moment leaves the old file or the new.

    The temporary file is never opened through a symbolic link.
    """
    tmp = path.with_suffix(".tmp")
    if tmp.is_symlink():
        tmp.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(tmp, flags, 0o644), "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def declared_encoding(rel: str, text: str) -> str:
    """The encoding a file's text is written in: a Python file's PEP 263 coding line, else
    UTF-8."""
    if not rel.endswith(".py"):
        return "utf-8"
    head = "".join(text.splitlines(keepends=True)[:2]).encode("utf-8", "surrogateescape")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError:
        return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def decode_source(rel: str, data: bytes) -> tuple[str | None, str]:
    """The text of file ``rel`` from its bytes, and why not when it cannot be decoded.

    Python files are decoded as their PEP 263 coding line (or BOM) says; every other file
    as UTF-8 (a UTF-8 BOM is allowed and kept out of the text only for Python).
    """
    if rel.endswith(".py"):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            return None, f"its coding line is not usable ({exc})"
        try:
            return data.decode(encoding), ""
        except (UnicodeDecodeError, LookupError) as exc:
            return None, _decode_reason(exc, encoding)
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        return None, _decode_reason(exc, "utf-8")


def _decode_reason(exc: Exception, encoding: str) -> str:
    if isinstance(exc, UnicodeDecodeError):
        declared = "" if encoding != "utf-8" else " and it declares no other encoding"
        return (f"it is not valid {encoding} (byte 0x{exc.object[exc.start]:02x} at offset "
                f"{exc.start}){declared}")
    return f"its declared encoding is unknown ({exc})"


class Repo:
    """One repository on disk.

    Args:
        root: its root folder (holding ``pyproject.toml``).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._texts: dict[str, str | None] = {}
        #: Files :meth:`read` could not decode, and why; planners turn them into notes.
        self.unreadable: dict[str, str] = {}

    # -- git ---------------------------------------------------------------------------------

    @cached_property
    def is_git(self) -> bool:
        """Whether the root is the top of a git work tree."""
        out = self.git("rev-parse", "--show-toplevel", check=False)
        return out is not None and Path(out.strip()).resolve() == self.root

    def git(self, *args: str, check: bool = True) -> str | None:
        """Run ``git args`` in the root and return its output (None on failure if not check)."""
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.root, capture_output=True, text=True, check=check,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            if check:
                stderr = getattr(exc, "stderr", "") or str(exc)
                raise PlanError([f"git {' '.join(args)} failed: {stderr.strip()}"]) from None
            return None
        return done.stdout if done.returncode == 0 else None

    def git_path(self, name: str) -> Path | None:
        """Where git keeps ``name`` (``index``, ``index.lock``); None outside a git work tree."""
        if not self.is_git:
            return None
        out = self.git("rev-parse", "--git-path", name, check=False)
        if not out:
            return None
        path = Path(out.strip())
        return path if path.is_absolute() else self.root / path

    def dirty_paths(self) -> list[str]:
        """Changed or untracked paths (``git status --porcelain``), ignoring the journal."""
        if not self.is_git:
            return []
        out = self.git("status", "--porcelain", "--untracked-files=all") or ""
        paths = [line[3:] for line in out.splitlines() if line.strip()]
        return [p for p in paths if not p.startswith(JOURNAL_DIR)]

    def release_tags(self, pattern: str) -> list[tuple[Version, str]]:
        """Tags matching ``pattern`` that parse as versions, oldest first."""
        if not self.is_git:
            return []
        tags = []
        for tag in (self.git("tag", "--list", check=False) or "").split():
            if not fnmatch.fnmatch(tag, pattern):
                continue
            try:
                tags.append((Version(tag.lstrip("vV")), tag))
            except InvalidVersion:
                continue
        return sorted(tags)

    # -- files -------------------------------------------------------------------------------

    def files(self, suffixes: tuple[str, ...] = TEXT_SUFFIXES) -> list[str]:
        """Every file of the repository with one of ``suffixes``, relative, sorted.

        Inside git, tracked and untracked-but-not-ignored files; else a walk that skips
        virtual environments, caches and build output.
        """
        return [p for p in self._all_files if p.endswith(suffixes)]

    @cached_property
    def _all_files(self) -> list[str]:
        if self.is_git:
            out = self.git("ls-files", "-co", "--exclude-standard", "-z", check=False)
            if out is not None:
                paths = sorted({p for p in out.split("\0") if p})
                return [p for p in paths if not p.startswith(JOURNAL_DIR)
                        and (self.root / p).is_file()]
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in _SKIP_DIRS and not d.endswith(".egg-info") and d != JOURNAL_DIR
            )
            rel = os.path.relpath(dirpath, self.root)
            for name in filenames:
                found.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
        return sorted(found)

    def read(self, rel: str) -> str | None:
        """The text of file ``rel``, or None when it is missing or cannot be decoded (cached).

        Python files are read in the encoding their PEP 263 coding line declares, others as
        UTF-8. Why an existing file could not be read is kept in :attr:`unreadable`.
        """
        if rel not in self._texts and not self.inside(rel):
            self._texts[rel] = None
            if os.path.lexists(self.root / rel):
                self.unreadable[rel] = ("it is a symbolic link leading outside the "
                                        "repository; promote reads nothing there")
        if rel not in self._texts:
            try:
                data = (self.root / rel).read_bytes()
            except OSError as exc:
                if (self.root / rel).exists():
                    self.unreadable[rel] = f"it could not be read ({exc.strerror or exc})"
                self._texts[rel] = None
            else:
                self._texts[rel], reason = decode_source(rel, data)
                if reason:
                    self.unreadable[rel] = reason
        return self._texts[rel]

    def inside(self, rel: str) -> bool:
        """Whether ``rel`` is relative and resolves (symbolic links followed) inside the
        root."""
        candidate = Path(rel)
        if candidate.is_absolute() or ".." in candidate.parts:
            return False
        try:
            resolved = (self.root / candidate).resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a NUL
            return False
        return resolved == self.root or self.root in resolved.parents

    def exists(self, rel: str) -> bool:
        try:
            return (self.root / rel).exists()
        except OSError:  # a name too long for the file system cannot name a file there
            return False

    def glob(self, pattern: str) -> list[str]:
        """Paths (files or folders) matching ``pattern``, relative and sorted; none that a
        symbolic link leads outside the repository."""
        found = (p.relative_to(self.root).as_posix() for p in self.root.glob(pattern)
                 if "__pycache__" not in p.parts)
        return sorted(rel for rel in found if self.inside(rel))

    def files_under(self, rel: str) -> list[str]:
        """Every file at or under ``rel`` (a file or a folder), relative and sorted."""
        path = self.root / rel
        if path.is_file():
            return [rel]
        prefix = rel.rstrip("/") + "/"
        return [p for p in self._all_files if p.startswith(prefix)]

    def safe_path(self, rel: str) -> Path:
        """The absolute path of ``rel``, refusing anything that resolves outside the root.

        Raises:
            PlanError: ``rel`` is absolute, climbs out with ``..``, goes through a symbolic
                link that leaves the repository, or points into ``.git``.
        """
        candidate = Path(rel)
        if candidate.is_absolute() or ".." in candidate.parts:
            raise PlanError([f"refusing to write {rel!r}: not a path inside the repository"])
        resolved = (self.root / candidate).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PlanError([f"refusing to write {rel!r}: it resolves to {resolved}, outside "
                             f"the repository {self.root}"])
        if ".git" in resolved.relative_to(self.root).parts:
            raise PlanError([f"refusing to write {rel!r}: inside .git"])
        return resolved

    def module_name(self, rel: str) -> str | None:
        """The dotted module name of Python file ``rel``, from the ``__init__.py`` chain.

        ``plugins/fledge_plugins/x/api.py`` is ``fledge_plugins.x.api`` when ``plugins/``
        holds no ``__init__.py``; a file outside any package is its bare stem.
        """
        path = Path(rel)
        parts = [path.stem] if path.name != "__init__.py" else []
        folder = path.parent
        while folder != Path(".") and self._has_init(folder.as_posix()):
            parts.insert(0, folder.name)
            folder = folder.parent
        return ".".join(parts) or None

    def _has_init(self, folder: str) -> bool:
        return (self.root / folder / "__init__.py").is_file()

    def walk_dirs(self, rel: str) -> Iterator[str]:
        """Immediate sub-folders of ``rel`` (relative paths), sorted."""
        base = self.root / rel
        if not base.is_dir():
            return
        for child in sorted(base.iterdir()):
            if child.is_dir() and child.name not in _SKIP_DIRS:
                yield child.relative_to(self.root).as_posix()


def output_file(option: str, value: str) -> Path:
    """The file a user named with ``option`` for promote to write its output to, checked
    before any work is done.

    Raises:
        UsageError: it is empty, a folder, or under something that is not a folder.
    """
    if not value or "\0" in value:
        raise UsageError(f"{option} {value!r}: name a file")
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{option} {value}: is a folder; name a file in it")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {value}: {parent} is not a folder")
    return path


def write_output(option: str, path: Path, text: str) -> None:
    """Write ``text`` to the output file ``path`` named by ``option``.

    Raises:
        UsageError: it cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot be written ({exc.strerror or exc})") from None


def editable_root(dist: metadata.Distribution) -> Path | None:
    """The folder ``dist`` is installed editable from (PEP 610 ``direct_url.json``), or None."""
    try:
        record = json.loads(dist.read_text("direct_url.json") or "{}")
    except json.JSONDecodeError:
        return None
    if not record.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(record.get("url", ""))
    return Path(unquote(url.path)).resolve() if url.scheme == "file" else None
