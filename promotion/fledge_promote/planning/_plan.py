"""A planned change to the repository: moves, writes and deletions, shown as one unified diff
plus a summary, and serialisable to JSON."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Mention", "Plan"]


@dataclass(frozen=True)
class Mention:
    """An occurrence of an old path or name, with what promote did about it.

    Attributes:
        path: the file, relative to the repository.
        line: the 1-based line.
        text: the line (shortened), or what was done to it.
        kind: ``mention`` (left for a person: prose, comments, a name in a list),
            ``edited`` (promote rewrote it, e.g. a link now pointing at the last release's
            page) or ``unlinked`` (a link to a removed page made plain text).
    """

    path: str
    line: int
    text: str
    kind: str = "mention"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "text": self.text, "kind": self.kind}


@dataclass
class Plan:
    """Everything one promote, deprecate or retire run will do.

    Attributes:
        action: ``promote``, ``deprecate`` or ``retire``.
        feature: the feature's name.
        moves: ``(old, new)`` file paths, moved first (``git mv`` inside git).
        writes: final path to new content (modified or created files).
        originals: for each written path, its content before (None: a new file); for a
            moved file, the content at its old path.
        deletes: files removed.
        mentions: old-path occurrences left for a person to read.
        failures: files a rewrite could not handle; a plan with failures is not applied.
        facts: what the summary states (old and new paths, versions, exports, ...).
        notes: further lines for the summary.
    """

    action: str
    feature: str
    moves: list[tuple[str, str]] = field(default_factory=list)
    writes: dict[str, str] = field(default_factory=dict)
    originals: dict[str, str | None] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    test_paths: list[str] = field(default_factory=list)

    def touched(self) -> list[str]:
        """Every path the plan creates, changes, moves or deletes."""
        paths = [p for move in self.moves for p in move]
        paths += list(self.writes) + self.deletes
        return sorted(dict.fromkeys(paths))

    def diff(self) -> str:
        """The whole change as one unified diff, renames shown git-style."""
        moved_to = {new: old for old, new in self.moves}
        chunks = []
        for old, new in self.moves:
            before = self.originals.get(new, self.originals.get(old)) or ""
            after = self.writes.get(new, before)
            header = f"diff --git a/{old} b/{new}\nrename from {old}\nrename to {new}\n"
            body = "".join(difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                f"a/{old}", f"b/{new}"))
            chunks.append(header + _terminate(body))
        for path in sorted(self.writes):
            if path in moved_to:
                continue
            before = self.originals.get(path)
            after = self.writes[path]
            source = "/dev/null" if before is None else f"a/{path}"
            header = f"diff --git a/{path} b/{path}\n" + ("new file\n" if before is None else "")
            body = "".join(difflib.unified_diff(
                (before or "").splitlines(keepends=True), after.splitlines(keepends=True),
                source, f"b/{path}"))
            chunks.append(header + _terminate(body))
        for path in sorted(self.deletes):
            before = self.originals.get(path) or ""
            body = "".join(difflib.unified_diff(
                before.splitlines(keepends=True), [], f"a/{path}", "/dev/null"))
            chunks.append(f"diff --git a/{path} b/{path}\ndeleted file\n" + _terminate(body))
        return "".join(chunks)

    def summary(self) -> list[str]:
        """Human lines: what moves where, counts, and every mention left to read."""
        lines = [f"{self.action} {self.feature}:"]
        for key, value in self.facts.items():
            if isinstance(value, (list, tuple)) and value and all(
                    isinstance(item, dict) for item in value):  # records: one a line
                lines.append(f"  {key.replace('_', ' ')} ({len(value)}):")
                lines.extend("    " + "; ".join(f"{k}: {v}" for k, v in item.items())
                             for item in value)
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value)) or "-"
            lines.append(f"  {key.replace('_', ' ')}: {value}")
        created = sum(1 for p, o in self.originals.items() if o is None and p in self.writes)
        changed = len(self.writes) - created
        lines.append(f"  files: {len(self.moves)} moved, {changed} changed, {created} created, "
                     f"{len(self.deletes)} deleted")
        lines.extend(f"  note: {note}" for note in self.notes)
        edited = [m for m in self.mentions if m.kind == "edited"]
        unlinked = [m for m in self.mentions if m.kind == "unlinked"]
        left = [m for m in self.mentions if m.kind == "mention"]
        if edited:
            lines.append(f"  {len(edited)} link(s) rewritten:")
            lines.extend(f"    {m.path}:{m.line}: {m.text}" for m in edited)
        if unlinked:
            lines.append(f"  {len(unlinked)} link(s) to removed pages made plain text "
                         "(review them):")
            lines.extend(f"    {m.path}:{m.line}: {m.text}" for m in unlinked)
        if left:
            lines.append(f"  {len(left)} mention(s) of the old path left for you "
                         "to review (prose, comments; not rewritten):")
            lines.extend(f"    {m.path}:{m.line}: {m.text}" for m in left)
        if self.failures:
            lines.append(f"  {len(self.failures)} file(s) could not be rewritten; "
                         "nothing will be applied:")
            lines.extend(f"    {f}" for f in self.failures)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "feature": self.feature,
            "facts": self.facts,
            "moves": [{"from": old, "to": new} for old, new in self.moves],
            "changed": sorted(p for p in self.writes if self.originals.get(p) is not None),
            "created": sorted(p for p in self.writes if self.originals.get(p) is None),
            "deleted": sorted(self.deletes),
            "mentions": [m.to_dict() for m in self.mentions],
            "failures": self.failures,
            "notes": self.notes,
            "diff": self.diff(),
        }


def _terminate(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n\\ No newline at end of file\n"
