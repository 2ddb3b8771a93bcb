"""Names that leave a package stay importable from it: the ``export_to`` packages keep each
demoted name (and the experimental package each promoted name it exported), through the shim
at its old module, as a ``# deprecated import`` that is imported (and warns) only when used.
``prune`` removes them with the shims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..repository._config import PromoteConfig, _package_dir
from ..repository._repo import Repo
from . import codemods as cm
from ._plan import Plan
from ._rewrite import record

__all__ = ["deprecate_exports", "export_inits"]


def export_inits(repo: Repo, config: PromoteConfig, packages: Iterable[str] | None = None
                 ) -> dict[str, str]:
    """Each package (default: ``export_to``) and its ``__init__`` file, for those that exist."""
    inits = {p: f"{_package_dir(config.source_root, p)}/__init__.py"
             for p in (config.export_to if packages is None else packages)}
    return {p: init for p, init in inits.items() if repo.exists(init)}


def deprecate_exports(repo: Repo, config: PromoteConfig, plan: Plan, shims: Mapping[str, str],
                      moved: set[str], packages: Iterable[str] | None = None) -> list[str]:
    """Keep every name of ``shims`` exported from each package that exports it, through its
    shim; returns the ``__init__`` files it edited.

    Args:
        shims: each exported name and the dotted module of its shim (its old module).
        moved: every dotted module that is a shim after the plan.
        packages: the packages whose exports stay (default: ``export_to``).
    """
    edited = []
    for package, init in export_inits(repo, config, packages).items() if shims else ():
        inside = {n: m[len(package) + 1:] for n, m in shims.items()
                  if m.startswith(package + ".")}
        outside = sorted(set(shims) - set(inside))
        if outside:
            plan.failures.append(f"export_to {package!r}: {', '.join(outside)} come from "
                                 f"{shims[outside[0]]}, outside the package; its exports "
                                 "cannot be kept through their shims")
            continue
        relative = {m[len(package) + 1:] for m in moved if m.startswith(package + ".")}
        text = plan.writes.get(init, repo.read(init)) or ""
        result = cm.run_commands(init, text, [cm.DeprecateExportsCommand(inside, relative)])
        if result.status == "failed":
            plan.failures.append(f"{init}: {result.reason.strip().splitlines()[-1]}")
        elif result.status == "changed":
            record(plan, repo, init, result.code)
            edited.append(init)
    return edited
