"""A manifest for a prototype that has none, where the target's features carry one.

A target with fledge manifests (``manifests = "fledge"``, this repository) finds each
feature through its ``FEATURE = Feature(...)`` in the package's light ``__init__``. A
prototype that is no fledge plugin has none, and its ``__init__`` imports the feature's
code, so it moves to ``<package>/api.py`` (its relative imports mean the same there) and a
new ``__init__`` holds the manifest, written from ``[project]``: the summary, the owners,
the requirements, and ``api``'s exports (its ``__all__``, else the public names it binds).
"""

from __future__ import annotations

import json
import textwrap

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ...repository._config import PromoteConfig
from ...repository._features import package_exports
from ...repository._repo import Repo
from ...repository._style import TargetStyle
from ._prototype import Prototype
from ._text import target_project

__all__ = ["GENERATED_MANIFEST", "add_manifest", "manifest_text", "target_group"]

#: What ``files`` maps the generated ``__init__`` to, in place of a prototype's file.
GENERATED_MANIFEST = "<manifest>"


def target_group(repo: Repo, config: PromoteConfig) -> str | None:
    """The entry point group the target registers its experimental features in: the table
    whose entries name packages of ``experimental_package``; None when it has none."""
    points = target_project(repo).get("entry-points") or {}
    for group, table in points.items() if isinstance(points, dict) else ():
        values = table.values() if isinstance(table, dict) else ()
        if any(isinstance(v, str) and v.startswith(config.experimental_package + ".")
               for v in values):
            return group
    return None


def add_manifest(repo: Repo, config: PromoteConfig, prototype: Prototype, new_dir: str,
                 files: dict[str, str]) -> str:
    """Move the prototype's ``__init__`` to ``api.py`` in ``files`` and put the generated
    manifest in its place; returns the module the manifest names."""
    init = f"{new_dir}/__init__.py"
    api = "api" if f"{new_dir}/api.py" not in files else "_feature_api"
    files[f"{new_dir}/{api}.py"] = files.pop(init)
    files[init] = GENERATED_MANIFEST
    prototype.group = target_group(repo, config) or "fledge"
    return api


def manifest_text(prototype: Prototype, module: str, init_source: str, version: str,
                  target: str | None, style: TargetStyle) -> str:
    """The light ``__init__``: the manifest and the hook that registers it."""
    summary = prototype.summary or f"{prototype.name}, included from {prototype.distribution}."
    requires = _requires(prototype.requirements, target)
    docstring = textwrap.fill(summary.replace("\\", "\\\\").replace('"', "'"),
                              style.line_length - 6)
    lines = [
        f'"""{docstring}"""',
        "",
        "from __future__ import annotations",
        "",
        "from fledge import Feature, hookimpl",
        "",
        "FEATURE = Feature(",
        f"    name={json.dumps(prototype.name)},",
        _string_argument("summary", summary, style),
        f"    module={json.dumps(module)},",
        f"    exports={_tuple(package_exports(init_source))},",
        f"    since={json.dumps(version)},",
        f"    owners={_tuple(prototype.owners)},",
    ]
    if requires:
        line = f"    requires={json.dumps(requires)},"
        lines.append(line if len(line) <= style.line_length else "    requires={\n" + "".join(
            f"        {json.dumps(k)}: {json.dumps(v)},\n" for k, v in requires.items())
            + "    },")
    lines += [")", "", "", "@hookimpl", "def fledge_features() -> list[Feature]:",
              "    return [FEATURE]", ""]
    return "\n".join(lines)


def _string_argument(name: str, text: str, style: TargetStyle) -> str:
    line = f"    {name}={json.dumps(text)},"
    if len(line) <= style.line_length:
        return line
    pieces = style.string_argument(text, indent="        ").rstrip("\n").rstrip(",")
    return f"    {name}=(\n{pieces}\n    ),"


def _tuple(items) -> str:
    quoted = [json.dumps(item) for item in items]
    return f"({quoted[0]},)" if len(quoted) == 1 else f"({', '.join(quoted)})"


def _requires(requirements: tuple[str, ...], target: str | None) -> dict[str, str]:
    """``{distribution: specifier}`` of the requirements without markers or extras, the
    target itself left out (it now ships the feature)."""
    out = {}
    own = canonicalize_name(target) if target else None
    for line in requirements:
        try:
            parsed = Requirement(line)
        except InvalidRequirement:
            continue
        if parsed.marker is None and canonicalize_name(parsed.name) != own:
            out[parsed.name] = str(parsed.specifier)
    return out
