"""The ``shadowed-exports`` check: no export of the feature is a submodule's name too.

Once anything imports ``pkg.word_variety`` (the registry does, for a feature's light
module), Python binds that submodule on ``pkg``; a name ``pkg`` exports lazily under the
same name then returns the module. ``promote``'s fresh-interpreter runs never see it, a
user's process does.
"""

from __future__ import annotations

from ..repository._config import _package_dir
from ..repository._exports import shadowed_exports, submodule_names
from ._protocol import CheckContext, CheckResult, failed, passed

__all__ = ["ShadowedExportsCheck"]


class ShadowedExportsCheck:
    name = "shadowed-exports"
    description = ("No package exports the feature's names lazily while a submodule of the "
                   "same name would replace them once imported.")

    def run(self, context: CheckContext) -> CheckResult:
        info, config, repo = context.feature, context.config, context.repo
        files = repo.files((".py",))
        own = {*info.exports, info.name}
        folders = [(info.package_dir, None)] + [
            (_package_dir(config.source_root, p), own) for p in config.export_to]
        problems: list[tuple[str, str]] = []
        for folder, names in folders:
            init = f"{folder}/__init__.py"
            shadowed = shadowed_exports(repo.read(init) or "", submodule_names(folder, files))
            problems += [(init, n) for n in shadowed if names is None or n in names]
        if not problems:
            return passed(self.name, f"no export of {info.name} is shadowed by a submodule",
                          file=f"{info.package_dir}/__init__.py")
        init, name = problems[0]
        listed = "; ".join(f"{i} exports {n!r}, also a submodule's name" for i, n in problems)
        return failed(self.name, f"{listed}: once the submodule is imported, `from <package> "
                                 f"import {name}` returns the module",
                      f"rename the export or the submodule, or bind the name eagerly in {init} "
                      f"from that submodule (`from .{name}... import {name}`)", file=init)
