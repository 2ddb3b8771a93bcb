"""Finding features in the target repository, and what promote needs to know about each.

A feature is a package in the experimental (or stable) folder. In a repository with fledge
manifests its ``FEATURE = Feature(...)`` is read from the registry when the registry's copy
of the package is this repository's, otherwise from the source (literal arguments only); in
a repository without manifests its public names are its ``__init__`` exports.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from fledge import Feature, ManifestError

from .._errors import UsageError
from ._config import PromoteConfig
from ._repo import Repo

__all__ = ["FeatureInfo", "find_docs_page", "find_feature", "list_features", "SHIM_MARKER",
           "RETIRED_MARKER"]

#: Comment that marks a module promote wrote as a shim; discovery skips such packages.
SHIM_MARKER = "fledge-promote: shim"
RETIRED_MARKER = "fledge-promote: retired"


@dataclass
class FeatureInfo:
    """One feature as promote sees it.

    Attributes:
        name: the feature's name (its package's last component).
        package: dotted name of its package.
        package_dir: the package folder, relative to the repository root.
        stage: ``experimental`` or ``stable`` (from where it lives) or the manifest's stage.
        exports: its public names.
        export_module: the dotted module those names are defined in.
        manifest: the fledge manifest, or None without one.
        manifest_file: the file holding ``Feature(...)``, relative.
        manifest_source: ``registry``, ``source`` or ``none``.
        manifest_error: why the manifest could not be read or validated.
        tests: its test files or folders that exist, relative.
        docs_page: its docs page (may not exist yet), relative.
    """

    name: str
    package: str
    package_dir: str
    stage: str
    exports: tuple[str, ...]
    export_module: str
    manifest: Feature | None = None
    manifest_file: str | None = None
    manifest_source: str = "none"
    manifest_error: str | None = None
    tests: list[str] = field(default_factory=list)
    docs_page: str | None = None


def list_features(repo: Repo, config: PromoteConfig, stage: str = "experimental") -> list[str]:
    """Names of the features at ``stage`` (``experimental`` or ``stable``), sorted."""
    folder = config.experimental_dir if stage == "experimental" else config.stable_dir
    names = []
    for sub in repo.walk_dirs(folder):
        name = sub.rpartition("/")[2]
        if sub == config.stable_dir or name.startswith(("_", ".")) or not name.isidentifier():
            continue
        init = repo.read(f"{sub}/__init__.py")
        if init is None or SHIM_MARKER in init or RETIRED_MARKER in init:
            continue
        if stage == "experimental" and config.manifests == "fledge":
            manifest = _static_manifest(init)
            if isinstance(manifest, Feature) and manifest.stage.value != "experimental":
                continue
        names.append(name)
    return names


def find_feature(
    repo: Repo, config: PromoteConfig, name: str, stage: str = "experimental"
) -> FeatureInfo:
    """Everything promote needs about feature ``name``.

    Raises:
        UsageError: no such feature at that stage; the message lists the closest names.
    """
    names = list_features(repo, config, stage)
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        folder = config.experimental_dir if stage == "experimental" else config.stable_dir
        known = ", ".join(names) or "none"
        raise UsageError(
            f"no {stage} feature named {name!r} in {folder}/ (found: {known}).{hint}"
        )
    base = config.experimental_package if stage == "experimental" else config.stable_package
    package = f"{base}.{name}"
    folder = config.experimental_dir if stage == "experimental" else config.stable_dir
    package_dir = f"{folder}/{name}"
    info = FeatureInfo(name=name, package=package, package_dir=package_dir, stage=stage,
                       exports=(), export_module=package)
    if config.manifests == "fledge":
        _read_manifest(repo, info)
    if info.manifest is not None:
        info.exports = info.manifest.exports
        info.export_module = info.manifest.module
        info.stage = info.manifest.stage.value
    else:
        info.exports = package_exports(repo.read(f"{package_dir}/__init__.py") or "")
    info.tests = _tests(repo, config, info)
    info.docs_page = _docs_page(repo, config, info)
    return info


def _read_manifest(repo: Repo, info: FeatureInfo) -> None:
    init = f"{info.package_dir}/__init__.py"
    info.manifest_file = init
    from_registry = _registry_manifest(repo, info)
    if from_registry is not None:
        info.manifest, info.manifest_source = from_registry, "registry"
        return
    found = _static_manifest(repo.read(init) or "")
    if isinstance(found, Feature):
        info.manifest, info.manifest_source = found, "source"
    else:
        info.manifest_error = found


def _registry_manifest(repo: Repo, info: FeatureInfo) -> Feature | None:
    """The registry's manifest, when the registry's copy of the package is this repository's."""
    try:
        import fledge

        record = fledge.get_registry().get(info.name)
        spec = importlib.util.find_spec(info.package)
    except Exception:  # noqa: BLE001 - any failure means: read the source instead
        return None
    origin = getattr(spec, "origin", None)
    if not origin or (repo.root / info.package_dir / "__init__.py") != Path(origin).resolve():
        return None
    return record.feature


def _static_manifest(source: str) -> Feature | str:
    """``Feature(...)`` built from the literal arguments in ``source``, or why it can't be."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"its __init__.py has a syntax error at line {exc.lineno}: {exc.msg}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called != "Feature":
            continue
        kwargs = {}
        for keyword in node.keywords:
            try:
                kwargs[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                return (f"Feature(...) argument {keyword.arg!r} at line {keyword.value.lineno} "
                        "is not a literal; promote reads manifests without importing them")
        try:
            return Feature(**kwargs)
        except ManifestError as exc:
            return str(exc)
        except TypeError as exc:
            return f"Feature(...) at line {node.lineno}: {exc}"
    return "no Feature(...) manifest found in its __init__.py"


def package_exports(source: str) -> tuple[str, ...]:
    """The public names of a package's ``__init__``: ``__all__``, else what it imports/defines."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                pass
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            names.extend(a.asname or a.name for a in node.names if a.name != "*")
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "_import_structure":
                for value in node.value.values:
                    if isinstance(value, ast.List):
                        names.extend(ast.literal_eval(value))
    return tuple(dict.fromkeys(n for n in names if not n.startswith("_")))


def _tests(repo: Repo, config: PromoteConfig, info: FeatureInfo) -> list[str]:
    if info.manifest is not None and info.manifest.tests:
        return [t.rstrip("/") for t in info.manifest.tests if repo.exists(t)]
    found: list[str] = []
    for pattern in config.experimental_tests:
        found.extend(repo.glob(pattern.format(name=info.name)))
    return sorted(dict.fromkeys(found))


def _docs_page(repo: Repo, config: PromoteConfig, info: FeatureInfo) -> str | None:
    if info.manifest is not None and info.manifest.docs and "://" not in info.manifest.docs:
        return info.manifest.docs
    found = find_docs_page(repo, config, info.name)
    if found:
        return found
    return config.docs_pages[0].format(name=info.name) if config.docs_pages else None


def find_docs_page(repo: Repo, config: PromoteConfig, name: str) -> str | None:
    """The docs page of feature ``name`` that exists: the first file that the ``docs_pages``
    patterns match, in their order (TRL's ``{name}.md``, then ``{name}_trainer.md``)."""
    for pattern in config.docs_pages:
        found = [p for p in repo.glob(pattern.format(name=name)) if repo.exists(p)]
        if found:
            return found[0]
    return None
