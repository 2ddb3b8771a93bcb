"""``retire``: no relative link to a removed page survives.

A link to a page the plan deletes is rewritten to the last release's copy of the page when
``docs_release_url`` is set, else made plain text; either way it is listed.
"""

from __future__ import annotations

import posixpath

from ..repository._config import PromoteConfig
from ..repository._links import PAGE_SUFFIXES, resolve_link, rewrite_links
from ..repository._repo import Repo
from ._plan import Mention, Plan
from ._rewrite import record

__all__ = ["retire_links"]


def retire_links(repo: Repo, config: PromoteConfig, plan: Plan, removed: list[str],
                 last_release: str) -> list[Mention]:
    """Rewrite, into ``plan``, every link to one of the ``removed`` pages.

    Returns:
        One mention per link changed (``edited`` or ``unlinked``), with file and line.
    """
    if not removed:
        return []
    gone = set(plan.deletes)
    remaining = (set(repo.files()) - gone) | set(plan.writes)
    stems = {posixpath.splitext(posixpath.basename(p))[0] for p in removed}

    def exists(path: str) -> bool:
        return path in remaining or path in gone

    def url(target: str, anchor: str) -> str | None:
        if not config.docs_release_url:
            return None
        page = posixpath.splitext(posixpath.relpath(target, config.docs_dir))[0]
        return config.docs_release_url.format(version=last_release.lstrip("vV"),
                                              page=page) + anchor

    found: list[Mention] = []
    for path in sorted(p for p in remaining if p.endswith(PAGE_SUFFIXES)):
        text = plan.writes.get(path, repo.read(path))
        if not text or not any(stem in text for stem in stems):
            continue

        def dead(href: str, page: str = path) -> str | None:
            target = resolve_link(page, href, exists)
            return target if target in gone else None

        new, edits = rewrite_links(text, path, dead, url)
        if not edits:
            continue
        record(plan, repo, path, new)
        for edit in edits:
            if edit.new:
                found.append(Mention(path, edit.line, f"link {edit.old} -> {edit.new}",
                                     "edited"))
            else:
                found.append(Mention(path, edit.line, f"link {edit.old} to a removed page "
                                     "made plain text", "unlinked"))
    return found
