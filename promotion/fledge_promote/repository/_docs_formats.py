"""Documentation navigation formats: mkdocs ``nav`` and Hugging Face doc-builder
``_toctree.yml``. Plugins add more through the ``fledge_promote_docs_formats`` hook.

A format finds which navigation sections list a page, moves or removes the page's entry,
and removes or adds the notice at the top of the page.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from .._errors import ConfigError, PlanError
from .._plugin_hooks import hook_results
from ._config import PromoteConfig
from ._nav_yaml import Block, blocks, children, indent_of, load_yaml, reindent

__all__ = ["DocsFormat", "MkDocsNav", "DocBuilderToctree", "get_docs_format", "remove_notice"]


@runtime_checkable
class DocsFormat(Protocol):
    """A navigation format. ``name`` is the value of the ``docs_format`` configuration key."""

    name: str

    def page_ref(self, config: PromoteConfig, page: str) -> str:
        """How the navigation names ``page`` (a repository-relative path)."""
        ...

    def sections(self, nav: str, ref: str) -> list[str]:
        """Titles of the sections whose entries include ``ref``."""
        ...

    def move_entry(self, nav: str, ref: str, source: str, target: str) -> str:
        """``nav`` with ``ref``'s entry moved from section ``source`` to ``target``."""
        ...

    def remove_entry(self, nav: str, ref: str) -> str:
        """``nav`` without ``ref``'s entry."""
        ...

    def add_notice(self, page: str, title: str, body: str) -> str:
        """``page`` with a warning notice under its first heading."""
        ...


# -- notices ---------------------------------------------------------------------------------

_MARKED = re.compile(r"<!--\s*fledge:experimental-notice\s*-->.*?<!--\s*/fledge:experimental-"
                     r"notice\s*-->\n?", re.S)
_TIP = re.compile(r"<Tip\b[^>]*>(?:(?!</Tip>).)*?experimental(?:(?!</Tip>).)*?</Tip>\n?",
                  re.S | re.I)
_ADMONITION = re.compile(r"^(!!!|\?\?\?\+?)\s+(\w[\w-]*)(\s+\"[^\"]*\")?\s*$")


def remove_notice(page: str, old_paths: Sequence[str] = ()) -> tuple[str, bool]:
    """``page`` without its experimental notices, and whether one was found.

    Recognised: a ``<!-- fledge:experimental-notice -->`` ... ``<!-- /fledge:... -->``
    region, a mkdocs admonition whose type, title or first line says "experimental", a
    doc-builder ``<Tip>`` and a GitHub alert (``> [!WARNING]``) that say "experimental",
    and, for each of ``old_paths``, a sentence saying the feature "has been moved to" it.
    """
    found = False
    for pattern in (_MARKED, _TIP):
        page, count = pattern.subn("", page)
        found = found or bool(count)
    page, removed = _remove_alerts(page)
    found = found or removed
    page, removed = _remove_moved_sentences(page, old_paths)
    found = found or removed
    lines = page.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = _ADMONITION.match(line)
        if not match:
            continue
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        head = " ".join(lines[i:min(i + 2, end)]).lower()
        if "experimental" in head:
            return _tidy("".join(lines[:i] + lines[end:])), True
    return (_tidy(page), True) if found else (page, False)


_ALERT = re.compile(r"^>\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\[*_])")


def _remove_alerts(page: str) -> tuple[str, bool]:
    """Drop GitHub alerts (``> [!WARNING]`` and its ``>`` lines) that say "experimental"."""
    lines = page.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    found = False
    while i < len(lines):
        if _ALERT.match(lines[i].rstrip("\n")):
            end = i + 1
            while end < len(lines) and lines[end].startswith(">"):
                end += 1
            if "experimental" in "".join(lines[i:end]).lower():
                found = True
                if end < len(lines) and not lines[end].strip() and (
                        not out or not out[-1].strip()):
                    end += 1
                i = end
                continue
        out.append(lines[i])
        i += 1
    return "".join(out), found


def _remove_moved_sentences(page: str, old_paths: Sequence[str]) -> tuple[str, bool]:
    """Drop prose sentences saying the feature "has been moved to `<old path>`"."""
    paths = [p for p in old_paths if p]
    if not paths or "moved to" not in page:
        return page, False
    mentions = re.compile("`(?:" + "|".join(re.escape(p) for p in paths) + r")(?:\.\w+)*`")
    lines = page.splitlines(keepends=True)
    fenced = False
    found = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or "moved to" not in line or not mentions.search(line):
            continue
        body = line.rstrip("\n")
        prefix = re.match(r"^(\s*(?:>\s*)?)", body).group(1)
        sentences = _SENTENCE_END.split(body[len(prefix):])
        kept = [s for s in sentences if not ("moved to" in s and mentions.search(s))]
        if len(kept) != len(sentences):
            found = True
            lines[i] = (prefix + " ".join(kept) + "\n") if kept else ""
    return "".join(lines), found


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)


def _insert_after_heading(page: str, block: str) -> str:
    lines = page.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "".join(lines[: i + 1]) + "\n" + block + "".join(lines[i + 1:])
    return block + page


# -- mkdocs ----------------------------------------------------------------------------------


class _YamlNav:
    """What both YAML formats share: find, cut and paste item blocks."""

    def _section_title(self, lines: list[str], block: Block) -> str | None:
        raise NotImplementedError

    def _is_entry(self, lines: list[str], block: Block, ref: str) -> bool:
        raise NotImplementedError

    def _new_section(self, title: str, indent: int, child_indent: int, entry: list[str]
                     ) -> list[str]:
        raise NotImplementedError

    def _sections(self, lines: list[str]) -> dict[str, Block]:
        found = {}
        for block in blocks(lines):
            title = self._section_title(lines, block)
            if title is not None and title not in found:
                found[title] = block
        return found

    def _entry(self, lines: list[str], section: Block, ref: str) -> Block | None:
        inside = [b for b in blocks(lines) if section.start < b.start < section.end
                  and self._is_entry(lines, b, ref)]
        return max(inside, key=lambda b: b.indent) if inside else None

    def sections(self, nav: str, ref: str) -> list[str]:
        lines = nav.splitlines(keepends=True)
        return [title for title, block in self._sections(lines).items()
                if any(self._is_entry(lines, c, ref) for c in children(lines, block))]

    def move_entry(self, nav: str, ref: str, source: str, target: str) -> str:
        lines = nav.splitlines(keepends=True)
        sections = self._sections(lines)
        if source not in sections:
            raise PlanError([f"the navigation has no section {source!r}"])
        entry = self._entry(lines, sections[source], ref)
        if entry is None:
            raise PlanError([f"section {source!r} of the navigation does not list {ref!r}"])
        chunk = lines[entry.start:entry.end]
        del lines[entry.start:entry.end]
        lines = self._drop_if_empty(lines, source)
        sections = self._sections(lines)
        if target in sections:
            block = sections[target]
            kids = children(lines, block)
            child_indent = kids[0].indent if kids else block.indent + 4
            chunk = reindent(chunk, child_indent - entry.indent)
            lines = self._open_empty(lines, block)
            at = kids[-1].end if kids else block.end
            lines[at:at] = chunk
        else:
            anchor = sections.get(source) or max(sections.values(), key=lambda b: b.end)
            chunk = reindent(chunk, (anchor.indent + 4) - entry.indent)
            lines[anchor.end:anchor.end] = self._new_section(target, anchor.indent,
                                                             anchor.indent + 4, chunk)
        result = "".join(lines)
        if target not in self.sections(result, ref):
            raise PlanError([f"moving {ref!r} to {target!r} did not give a valid navigation"])
        load_yaml(result)
        return result

    def remove_entry(self, nav: str, ref: str) -> str:
        lines = nav.splitlines(keepends=True)
        for title, block in self._sections(lines).items():
            entry = self._entry(lines, block, ref)
            if entry is not None:
                del lines[entry.start:entry.end]
                lines = self._drop_if_empty(lines, title)
                result = "".join(lines)
                load_yaml(result)
                return result
        return nav

    def _drop_if_empty(self, lines: list[str], title: str) -> list[str]:
        block = self._sections(lines).get(title)
        if block is not None and not children(lines, block):
            del lines[block.start:block.end]
        return lines

    def _open_empty(self, lines: list[str], block: Block) -> list[str]:
        return lines


class MkDocsNav(_YamlNav):
    """mkdocs ``nav:`` in ``mkdocs.yml``: ``- Section:`` items holding ``- Title: page.md``."""

    name = "mkdocs"
    _SECTION = re.compile(r"^\s*-\s+(['\"]?)(.+?)\1:\s*(\[\])?\s*$")

    def page_ref(self, config: PromoteConfig, page: str) -> str:
        return posixpath.relpath(page, config.docs_dir)

    def _section_title(self, lines, block):
        match = self._SECTION.match(lines[block.start])
        return match.group(2) if match else None

    def _is_entry(self, lines, block, ref):
        line = lines[block.start].rstrip()
        return line.endswith((f": {ref}", f"- {ref}", f": '{ref}'", f': "{ref}"'))

    def _new_section(self, title, indent, child_indent, entry):
        return [" " * indent + f"- {title}:\n", *entry]

    def _open_empty(self, lines, block):
        lines[block.start] = lines[block.start].replace(": []", ":")
        return lines

    def add_notice(self, page: str, title: str, body: str) -> str:
        return _insert_after_heading(page, f'!!! warning "{title}"\n    {body}\n\n')


class DocBuilderToctree(_YamlNav):
    """Hugging Face doc-builder ``_toctree.yml``: ``- sections: [...]`` with a ``title``."""

    name = "doc-builder"

    def page_ref(self, config: PromoteConfig, page: str) -> str:
        base = posixpath.dirname(config.nav_file)
        return posixpath.splitext(posixpath.relpath(page, base))[0]

    def _section_title(self, lines, block):
        text = lines[block.start:block.end]
        if not any(re.match(r"^\s*-?\s*sections:\s*$", line) for line in text):
            return None
        key_indent = block.indent + 2
        for line in text:
            stripped = line.strip().removeprefix("- ")
            key_at = indent_of(line.replace("- ", "  ", 1))
            if stripped.startswith("title:") and key_at == key_indent:
                return stripped.partition(":")[2].strip().strip("'\"")
        return None

    def _is_entry(self, lines, block, ref):
        return any(re.match(rf"^\s*-?\s*local:\s*['\"]?{re.escape(ref)}['\"]?\s*$", line)
                   for line in lines[block.start:block.end])

    def _new_section(self, title, indent, child_indent, entry):
        pad = " " * indent
        return [f"{pad}- sections:\n", *reindent(entry, -2), f"{pad}  title: {title}\n"]

    def move_entry(self, nav: str, ref: str, source: str, target: str) -> str:
        return super().move_entry(nav, ref, source, target)

    def add_notice(self, page: str, title: str, body: str) -> str:
        return _insert_after_heading(page, f"<Tip warning={{true}}>\n\n**{title}:** {body}\n\n"
                                           "</Tip>\n\n")


_BUILTIN: dict[str, DocsFormat] = {"mkdocs": MkDocsNav(), "doc-builder": DocBuilderToctree()}


def get_docs_format(config: PromoteConfig) -> DocsFormat:
    """The format named by ``docs_format``: built in, or contributed by a plugin."""
    if config.docs_format in _BUILTIN:
        return _BUILTIN[config.docs_format]
    problems: list = []
    contributed = {}
    for _plugin, formats in hook_results("fledge_promote_docs_formats", problems):
        for fmt in formats:
            if isinstance(fmt, DocsFormat):
                contributed.setdefault(fmt.name, fmt)
    if config.docs_format in contributed:
        return contributed[config.docs_format]
    known = ", ".join(sorted({*_BUILTIN, *contributed}))
    raise ConfigError("docs_format", "pyproject.toml", f"must be one of {known}",
                      config.docs_format)
