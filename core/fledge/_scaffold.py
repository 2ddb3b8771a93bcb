"""``fledge new NAME``: scaffold a third-party plugin package for a new feature.

The package it writes works as it is: ``pip install`` it and ``fledge list`` shows the
feature, ``fledge.experimental.NAME`` imports it, and its tests pass with the testing kit's
fixtures. The author then replaces the sample implementation with theirs. With ``--host``,
the plugin is another host's: its entry point group, its namespace, its notice.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from ._errors import ManifestError
from ._manifest import Feature
from ._scaffold_templates import FILES_FOR_FLEDGE, FILES_FOR_HOST

if TYPE_CHECKING:
    from ._host import Host

__all__ = ["name_in_use", "scaffold", "scaffold_command"]


def _fledge_host() -> Host:
    from ._fledge_host import host

    return host


def _names(name: str, host: Host) -> tuple[str, str]:
    """The distribution and package names of feature ``name``'s plugin for ``host``."""
    prefix = host.name.replace("-", "_").lower()
    return f"{prefix.replace('_', '-')}-{name.replace('_', '-').lower()}", f"{prefix}_{name}"


def _validate(name: str, host: Host) -> None:
    """Raise `ManifestError` when ``name`` cannot name a feature (same rules)."""
    package = _names(name, host)[1] if name.isidentifier() else f"x_{name}"
    Feature(name=name, summary="x", module=f"{package}.core", exports=(name,), since="0.1.0")
    if name in host.reserved:
        raise ManifestError("name", f"must not be one {host.namespace} reserves "
                            f"({', '.join(sorted(host.reserved))})", name, feature=name)
    if any(package == q or package.startswith(q + ".") for q in host.quiet):
        raise ManifestError(
            "name", f"must not make the package name {package!r}, which belongs to "
            f"{host.distribution}", name, feature=name,
        )


def scaffold(name: str, directory: Path, *, force: bool = False,
             host: Host | None = None) -> list[Path]:
    """Write the plugin package for feature ``name`` into ``directory``.

    Args:
        name: the feature's name (a Python identifier, not reserved by the host).
        directory: the package's folder; created when missing.
        force: write into a non-empty folder, replacing the files of the same names.
        host: the host the plugin is for (its entry point group, its namespace); by
            default fledge's own.

    Returns:
        The files written, relative to ``directory``.

    Raises:
        ManifestError: ``name`` is not a valid feature name, or is in use already (see
            `name_in_use`).
        FileExistsError: ``directory`` holds files and ``force`` is false, or is a file.
    """
    host = host or _fledge_host()
    _validate(name, host)
    directory = Path(directory)
    used = name_in_use(name, host, directory)
    if used:
        raise ManifestError("name", "must not be in use already (choose another name); it is "
                            "used by " + "; ".join(used), name, feature=name)
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} is a file, not a folder; choose another --directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise FileExistsError(
            f"{directory} is not empty; choose another --directory, or pass --force to write "
            "the package's files into it (files of the same names are replaced)"
        )
    dist, package = _names(name, host)
    summary = f"Reward completions by the share of distinct words they use ({name})."
    own = host.is_fledge
    values = {
        "name": name,
        "dist": dist,
        "package": package,
        "summary": summary,
        "owner": json.dumps(_owner()),
        "fledge_version": __version__,
        "namespace": host.namespace,
        "group": host.group,
        "group_key": host.group if host.group.isidentifier() else json.dumps(host.group),
        "host_dependency": "" if own else f", {json.dumps(host.distribution)}",
        "silence": host.silence_variables[0] if host.silence_variables else "",
        "list_command": host.command("list"),
        "demo_command": f"{host.command('demo')} {name}",
    }
    templates = FILES_FOR_FLEDGE if own else FILES_FOR_HOST
    files = {Path(path.replace("$package", package).replace("$name", name)): template
             for path, template in templates.items()}
    for relative, template in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.substitute(values), encoding="utf-8")
    return list(files)


def _owner() -> str:
    """Who owns the new feature: git's ``user.name`` and ``user.email`` where set (``Ada
    <ada@example.org>``), else the login name."""
    name, email = _git_config("user.name"), _git_config("user.email")
    if name or email:
        return f"{name} <{email}>" if name and email else name or email
    try:
        return getpass.getuser() or "you"
    except (OSError, KeyError, ImportError):  # no user name in this environment
        return "you"


def _git_config(key: str) -> str:
    try:
        done = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):  # no git here
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


#: Where a repository's own uses of a name are looked for, and what is passed over.
_TEXT_SUFFIXES = (".py", ".md", ".mdx", ".rst", ".toml", ".yml", ".yaml")
_NOT_SOURCE = {"build", "dist", "site", "node_modules", "__pycache__"}


def name_in_use(name: str, host: Host, directory: Path) -> list[str]:
    """Where ``name`` is already used, each place in words; empty when it is free.

    A name is in use when a plugin of ``host``'s entry point group has it, when the host's
    namespace folder has a feature of that name, when the plugin's distribution or package
    exists in this environment, or when the repository ``directory`` is in (a folder whose
    ``pyproject.toml`` configures ``[tool.fledge.promote]``) uses it as a word in its code
    or docs: included there later, the feature would collide with that use (its docs'
    example, a test's sample plugin). No plugin is imported.
    """
    import importlib.metadata as metadata
    import importlib.util

    dist, package = _names(name, host)
    used = [f"{host.group!r} entry point {ep.name} = {ep.value}"
            for ep in metadata.entry_points(group=host.group) if ep.name == name]
    from ._registry import Registry

    if not used and Registry(host=host).in_tree(name) is not None:
        used.append(f"{host.namespace}.{name}, a feature in the namespace's folder")
    try:
        used.append(f"the installed distribution {metadata.distribution(dist).metadata['Name']}")
    except metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec(package) is not None:
        used.append(f"the importable package {package}")
    root = _promote_root(directory)
    if root is not None:
        files = _files_using(root, name, skip=directory.resolve())
        if files:
            shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5
                                            else "")
            used.append(f"the repository {root} ({shown})")
    return used


def _promote_root(directory: Path) -> Path | None:
    """The nearest folder at or above ``directory`` whose pyproject configures promote."""
    for folder in [directory.resolve(), *directory.resolve().parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.fledge.promote]" in pyproject.read_text(
                encoding="utf-8", errors="replace"):
            return folder
    return None


def _files_using(root: Path, name: str, skip: Path) -> list[str]:
    """The text files under ``root`` (hidden, build and virtual environment folders and
    ``skip`` passed over) naming ``name`` as a whole word, as ``path:line``."""
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".")
                               and d not in _NOT_SOURCE
                               and Path(folder, d) != skip
                               and not (Path(folder, d) / "pyvenv.cfg").exists())
        for file in sorted(names):
            if not file.endswith(_TEXT_SUFFIXES):
                continue
            path = Path(folder, file)
            text = path.read_text(encoding="utf-8", errors="replace")
            match = word.search(text)
            if match:
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(root).as_posix()}:{line}")
    return found


def scaffold_command(args: argparse.Namespace, host: Host | None = None) -> int:
    """Run ``fledge new``: scaffold, then print what was written and what to do next."""
    name: str = args.name
    host = host or _fledge_host()
    dist, package = _names(name, host) if name.isidentifier() else (name, name)
    directory = Path(args.directory or dist)
    try:
        written = scaffold(name, directory, force=args.force, host=host)
    except ManifestError as exc:
        hint = ""
        if "-" in name and name.replace("-", "_").isidentifier():
            hint = f" (try {name.replace('-', '_')!r})"
        print(f"fledge new: invalid feature name: {exc}{hint}", file=sys.stderr)
        return 2
    except (FileExistsError, OSError) as exc:
        print(f"fledge new: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {"name": name, "distribution": dist, "package": package,
               "directory": str(directory), "files": [p.as_posix() for p in written]}
        if not host.is_fledge:
            out.update(host=host.name, namespace=host.namespace, group=host.group)
        print(json.dumps(out, indent=2))
        return 0
    print(f"Created {dist} in {directory}:")
    for path in written:
        print(f"  {path.as_posix()}")
    print("\nNext:")
    print(f"  pip install -e {directory}")
    print(f"  {host.command('list'):<28} # shows {name}")
    print(f"  {host.command('demo') + ' ' + name:<28} # runs it on a few samples, offline")
    print(f"  python -m pytest {directory / 'tests'}")
    return 0
