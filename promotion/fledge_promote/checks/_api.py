"""``api-stable``: no breaking change to the feature's public API since the last release tag,
found with griffe. Detection only; how breakages are shown is the output format's job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ._protocol import CheckContext, CheckResult, failed, passed, skipped

__all__ = ["ApiStableCheck", "breaking_changes"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def breaking_changes(context: CheckContext, tag: str) -> list[dict[str, Any]]:
    """Breaking changes of the feature's export module between ``tag`` and the work tree."""
    import griffe

    repo, config, info = context.repo, context.config, context.feature
    search = [str(repo.root / p) for p in config.python_path if (repo.root / p).is_dir()]
    search = search or [str(repo.root)]
    rel_search = [str((repo.root / p).relative_to(repo.root)) for p in config.python_path
                  if (repo.root / p).is_dir()] or ["."]
    old = griffe.load_git(info.export_module, ref=tag, repo=repo.root,
                          search_paths=rel_search, allow_inspection=False)
    new = griffe.load(info.export_module, search_paths=search, allow_inspection=False)
    found = []
    for breakage in griffe.find_breaking_changes(old, new):
        text = _ANSI.sub("", breakage.explain())
        filepath = breakage.obj.filepath if breakage.obj.filepath else None
        file = None
        if isinstance(filepath, Path) and filepath.is_absolute() and repo.root in filepath.parents:
            file = filepath.relative_to(repo.root).as_posix()
        found.append({
            "kind": breakage.kind.value,
            "object": breakage.obj.path,
            "old": str(breakage.old_value) if breakage.old_value is not None else None,
            "new": str(breakage.new_value) if breakage.new_value is not None else None,
            "file": file,
            "line": breakage.obj.lineno,
            "explanation": text.split(": ", 1)[1] if ": " in text else text,
        })
    return found


class ApiStableCheck:
    name = "api-stable"
    description = "No breaking change to the public API since the last release tag (griffe)."

    def run(self, context: CheckContext) -> CheckResult:
        repo, config, info = context.repo, context.config, context.feature
        tags = repo.release_tags(config.release_tags)
        if not tags:
            return skipped(self.name, f"no release tag matching {config.release_tags!r}: "
                                      "nothing released to compare against")
        tag = tags[-1][1]
        if repo.git("cat-file", "-e", f"{tag}:{info.package_dir}/__init__.py",
                    check=False) is None:
            return passed(self.name, f"not in release {tag}: nothing released to break")
        changes = breaking_changes(context, tag)
        if changes:
            first = changes[0]
            rest = f" (and {len(changes) - 1} more)" if len(changes) > 1 else ""
            return failed(self.name, f"{len(changes)} breaking change(s) since {tag}: "
                                     f"{first['explanation'].splitlines()[0]}{rest}",
                          "restore the old signature (add new parameters with defaults), or "
                          "wait for a release that may break", file=first["file"],
                          line=first["line"], details={"tag": tag, "breakages": changes})
        return passed(self.name, f"no breaking change since {tag}", details={"tag": tag})
