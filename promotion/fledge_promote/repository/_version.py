"""Finding the version a repository is developing, the ways packaging tools declare it.

Tried in order: ``[project] version``; setuptools' ``[tool.setuptools.dynamic] version`` as
``{file = ...}`` or ``{attr = ...}``; hatch's ``[tool.hatch.version] path``; and last the
``__version__`` of the top-level package. The ``version`` key of ``[tool.fledge.promote]``
overrides them all (the caller checks it first).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

__all__ = ["find_version", "release_of"]


def find_version(root: Path, data: dict[str, Any], source_root: str, top_package: str
                 ) -> tuple[str | None, list[str]]:
    """The declared version, and the places looked at (for the error when there is none).

    Args:
        root: the repository root.
        data: the parsed ``pyproject.toml``.
        source_root: the folder holding the top-level package.
        top_package: the top-level package's name.
    """
    looked: list[str] = []
    project = data.get("project", {})
    version = project.get("version")
    looked.append("[project] version")
    if isinstance(version, str) and version:
        return version, looked
    tool = data.get("tool", {})
    dynamic = tool.get("setuptools", {}).get("dynamic", {}).get("version")
    if isinstance(dynamic, dict):
        files = dynamic.get("file")
        if files:
            for rel in [files] if isinstance(files, str) else list(files):
                looked.append(f"[tool.setuptools.dynamic] version file {rel}")
                found = _first_line(root / rel) if _inside(root, root / rel) else None
                if found:
                    return found, looked
        attr = dynamic.get("attr")
        if isinstance(attr, str) and "." in attr:
            module, _, name = attr.rpartition(".")
            looked.append(f"[tool.setuptools.dynamic] version attr {attr}")
            for path in _module_files(root, source_root, module, data):
                found = _assigned(path, name) if _inside(root, path) else None
                if found:
                    return found, looked
    hatch = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch, dict) and isinstance(hatch.get("path"), str):
        looked.append(f"[tool.hatch.version] path {hatch['path']}")
        path = root / hatch["path"]
        found = (_assigned(path, "__version__") or _first_version_like(path)) \
            if _inside(root, path) else None
        if found:
            return found, looked
    init = root / source_root / top_package / "__init__.py"
    looked.append(f"__version__ in {init.relative_to(root).as_posix()}")
    return _assigned(init, "__version__"), looked


def release_of(version: str) -> str:
    """The release that ``version`` is, or is being developed towards: what users will call it.

    A development, pre- or post-release counts as its release (``0.29.0.dev0`` -> ``0.29``,
    ``1.2rc1`` -> ``1.2``), trailing zero components drop (``0.29.0`` -> ``0.29``) and a local
    label goes. Due dates compare and texts print this, so a shim due in 0.29 is due while
    0.29 is being developed. A string that is not a PEP 440 version comes back unchanged.
    """
    try:
        release = list(Version(version).release)
    except InvalidVersion:
        return version
    while len(release) > 2 and release[-1] == 0:
        release.pop()
    return ".".join(str(part) for part in release)


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path`` resolves inside ``root``: a pyproject.toml from a pull request must
    not make promote read (and print) a file outside the repository."""
    try:
        resolved, top = path.resolve(), root.resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return resolved == top or top in resolved.parents


def _first_line(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return None


def _module_files(root: Path, source_root: str, module: str, data: dict[str, Any]
                  ) -> list[Path]:
    """Candidate files of dotted ``module``: under ``package-dir`` roots, src/, and the root."""
    rel = module.replace(".", "/")
    bases = [source_root, ".", "src"]
    package_dir = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    if isinstance(package_dir, dict):
        top = module.split(".")[0]
        if isinstance(package_dir.get(""), str):
            bases.insert(0, package_dir[""])
        if isinstance(package_dir.get(top), str):
            rest = module.split(".")[1:]
            rel_top = "/".join([package_dir[top], *rest])
            return [root / f"{rel_top}.py", root / rel_top / "__init__.py"]
    out = []
    for base in dict.fromkeys(bases):
        out += [root / base / f"{rel}.py", root / base / rel / "__init__.py"]
    return out


def _assigned(path: Path, name: str) -> str | None:
    """The string literal assigned to ``name`` at the top level of Python file ``path``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def _first_version_like(path: Path) -> str | None:
    """hatch's regex source: ``version = "1.2.3"`` or ``VERSION = ...`` anywhere."""
    for name in ("VERSION", "version", "__VERSION__"):
        found = _assigned(path, name)
        if found:
            return found
    return None
