"""Where a promoted feature's files go: the two stable layouts.

* ``package`` (default): ``<experimental_package>.<name>`` becomes
  ``<stable_package>.<name>``, the whole folder moves.
* ``flat`` (TRL's): each module of the feature moves into ``<stable_package>`` itself
  (``trl.experimental.kto.kto_trainer`` -> ``trl.trainer.kto_trainer``); the feature's
  ``__init__`` stays where it is and becomes the shim.

A module name already taken in the stable package is refused before anything is written,
naming both paths. The stable package a promotion creates exports lazily and keeps an
export named like one of its submodules (a feature exporting its own name); a package that
would not keep it is refused (`refuse_shadowed_exports`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from .._errors import PlanError
from ..repository._config import PromoteConfig, _package_dir
from ..repository._exports import shadowed_exports, submodule_names
from ..repository._features import FeatureInfo
from ..repository._repo import Repo
from ..repository._style import TargetStyle, member_key
from ._paths import DottedMap
from ._plan import Plan
from ._shims import init_sources

__all__ = ["Layout", "export_sources", "new_stable_package", "plan_layout",
           "refuse_shadowed_exports"]


@dataclass
class Layout:
    """The code moves of one promotion and the dotted renames they imply.

    Attributes:
        code_moves: ``(old, new)`` paths of the feature's files.
        rules: old dotted module to new dotted module (the package itself included).
        new_package: the feature's new package (``package`` layout), else None.
        stays: files that stay where they are (the flat layout's ``__init__``).
        folder_moves: ``(old, new)`` folders, for links and other path rewrites.
    """

    code_moves: list[tuple[str, str]] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)
    new_package: str | None = None
    stays: list[str] = field(default_factory=list)
    folder_moves: list[tuple[str, str]] = field(default_factory=list)


def plan_layout(repo: Repo, config: PromoteConfig, info: FeatureInfo, stable_path: str
                ) -> Layout:
    """The moves of ``info`` under ``config.stable_layout``.

    Args:
        stable_path: where the feature's names are imported from once stable (the first
            ``export_to`` package); the flat layout maps the old package path to it.

    Raises:
        PlanError: a destination exists already, or (flat) the feature's ``__init__``
            defines code of its own that would be left behind in the shim.
    """
    files = repo.files_under(info.package_dir)
    if config.stable_layout != "flat":
        new_dir = f"{config.stable_dir}/{info.name}"
        if repo.exists(new_dir):
            raise PlanError([f"{new_dir}/ already exists; remove it or rename the feature"])
        new_package = f"{config.stable_package}.{info.name}"
        return Layout(code_moves=[(p, new_dir + p[len(info.package_dir):]) for p in files],
                      rules={info.package: new_package}, new_package=new_package,
                      folder_moves=[(info.package_dir, new_dir)])
    init = f"{info.package_dir}/__init__.py"
    problems: list[str] = []
    if config.manifests == "fledge" and info.manifest is not None:
        # The manifest and hooks are the feature's light module: it moves to <name>.py.
        light = f"{config.stable_dir}/{info.name}.py"
        if repo.exists(light) or repo.exists(light[:-3]):
            problems.append(f"cannot move {init} to {light}: {light} already exists in "
                            f"{config.stable_package}; rename the feature")
        layout = Layout(code_moves=[(init, light)],
                        rules={info.package: f"{config.stable_package}.{info.name}"})
    else:
        _, own = init_sources(repo.read(init) or "")
        problems += [f"stable_layout 'flat': {init} defines {name} itself, and the __init__ "
                     "stays behind as the shim; move it into a module of the feature first"
                     for name in own]
        layout = Layout(rules={info.package: stable_path}, stays=[init])
    for path in files:
        if path == init or "/__pycache__/" in path:
            continue
        rel = path[len(info.package_dir) + 1:]
        dest = f"{config.stable_dir}/{rel}"
        taken = dest if repo.exists(dest) else None
        if taken is None and dest.endswith(".py") and repo.exists(dest[:-3]):
            taken = dest[:-3] + "/"
        if taken:
            problems.append(f"cannot move {path} to {dest}: {taken} already exists in "
                            f"{config.stable_package}; rename the module in the feature")
        layout.code_moves.append((path, dest))
        top = rel.split("/")[0]
        if "/" in rel:
            layout.rules[f"{info.package}.{top}"] = f"{config.stable_package}.{top}"
            layout.folder_moves.append((f"{info.package_dir}/{top}",
                                        f"{config.stable_dir}/{top}"))
        elif rel.endswith(".py"):
            stem = posixpath.splitext(rel)[0]
            layout.rules[f"{info.package}.{stem}"] = f"{config.stable_package}.{stem}"
            layout.folder_moves.append((path, dest))
        else:
            layout.folder_moves.append((path, dest))
    if problems:
        raise PlanError(problems)
    return layout


def export_sources(repo: Repo, config: PromoteConfig, info: FeatureInfo, mapping: DottedMap
                   ) -> dict[str, list[str]]:
    """The new module that defines each export, grouped: ``{module: [names]}``.

    In the package layout every export comes from the (moved) export module. In the flat
    layout the package itself does not move, so each name comes from the module its
    ``__init__`` imported it from.
    """
    default = mapping.map(info.export_module) or info.export_module
    if config.stable_layout != "flat":
        return {default: list(info.exports)} if info.exports else {}
    imported, _ = init_sources(repo.read(f"{info.package_dir}/__init__.py") or "")
    grouped: dict[str, list[str]] = {}
    for name in info.exports:
        sub = imported.get(name)
        module = mapping.map(f"{info.package}.{sub}") if sub else None
        grouped.setdefault(module or default, []).append(name)
    return grouped


STABLE_PACKAGE_TEMPLATE = '''{header}"""Stable features promoted out of ``{experimental}``.

Names load lazily, on first use, so importing this package stays light.
"""

# Written by `promote`; `promote NAME --apply` adds each promoted feature below.
from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any
{after}_import_structure = {{
    "{key}": [{names}],
}}

if TYPE_CHECKING:
{imports}
{all_line}

def __getattr__(name: str) -> Any:
    for module, names in _import_structure.items():
        if name in names:
            value = getattr(importlib.import_module(f"{{__name__}}.{{module}}"), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _KeepExports(types.ModuleType):
    """An export named like a submodule (a feature exporting its own name) stays the
    export: Python binds a submodule on its package once imported, which would replace it.
    The submodule stays importable (``sys.modules``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        exported = any(name in names for names in _import_structure.values())
        if exported and getattr(value, "__name__", None) == f"{{__name__}}.{{name}}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _KeepExports
'''


def new_stable_package(experimental: str, key: str, names: list[str], style: TargetStyle
                       ) -> str:
    """The ``__init__`` of a stable package that does not exist yet, exporting ``names``
    from submodule ``key`` lazily, written in the target's style."""
    ordered = sorted(names, key=member_key(style.order_by_type))
    return STABLE_PACKAGE_TEMPLATE.format(
        header=style.header + "\n" if style.header else "", experimental=experimental,
        after=style.blank_after_imports, key=key, names=", ".join(f'"{n}"' for n in ordered),
        imports=style.from_import(f".{key}", ordered, indent="    "),
        all_line=style.string_list("__all__", ordered))


def refuse_shadowed_exports(repo: Repo, packages: list[str], source_root: str, plan: Plan
                            ) -> None:
    """A plan failure for each name a package of ``packages`` would export while a
    submodule of the same name, once imported, replaces it (``from pkg import name`` would
    return the module)."""
    final = (set(repo.files((".py",))) - {o for o, _ in plan.moves} - set(plan.deletes)) | {
        n for _, n in plan.moves} | {p for p in plan.writes if p.endswith(".py")}
    for package in packages:
        folder = _package_dir(source_root, package)
        init = f"{folder}/__init__.py"
        text = plan.writes.get(init, repo.read(init))
        shadowed = shadowed_exports(text or "", submodule_names(folder, final))
        plan.failures += [
            f"{init}: {package} would export {name!r} while {package}.{name} is a submodule; "
            f"importing the submodule replaces the export, so `from {package} import {name}` "
            "would return a module. Rename the export or the module, or import the name "
            f"eagerly in {init} (`from .{name}... import {name}`)" for name in shadowed]
