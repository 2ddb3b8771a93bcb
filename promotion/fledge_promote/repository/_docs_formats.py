"""Documentation navigation formats: mkdocs ``nav`` and Hugging Face doc-builder
``_toctree.yml``. Plugins add more through the ``fledge_promote_docs_formats`` hook.

A format finds which navigation sections list a page, adds, moves or removes the page's
entry, and removes or adds the notice at the top of the page. The built-in formats edit the
YAML on a ruamel.yaml round trip (``_nav_yaml``): comments, quotes, tags and the file's
indentation are kept, and an entry goes into the existing section, in the section's order.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .._errors import ConfigError, PlanError
from .._plugin_hooks import hook_results
from ._config import PromoteConfig
from ._nav_yaml import Document, insert_item, parse, remove_item

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
        """``nav`` with ``ref``'s entry moved from section ``source`` into ``target``."""
        ...

    def remove_entry(self, nav: str, ref: str) -> str:
        """``nav`` without ``ref``'s entry."""
        ...

    def add_entry(self, nav: str, ref: str, title: str, section: str) -> str:
        """``nav`` with a new entry for page ``ref``, titled ``title``, in ``section``."""
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


# -- YAML navigation -------------------------------------------------------------------------


@dataclass
class _Section:
    """A navigation section: its title, its entries, the item holding them, where it sits."""

    title: str
    entries: CommentedSeq
    item: Any
    path: list[tuple[CommentedSeq, int]]  # (list, index) from the root down to ``item``


class _YamlNav:
    """What both YAML formats share, on a ruamel round trip: find sections (nested ones too,
    in document order), cut entries, place them in order, drop emptied sections.

    A format says where the navigation's list is (``_root``), which items are sections
    (``_section``), which item is ``ref``'s entry (``_is_entry``), how an item is titled
    (``_title``), and how a new entry or section is written."""

    def _root(self, data: Any) -> CommentedSeq | None:
        raise NotImplementedError

    def _section(self, item: Any) -> tuple[str, CommentedSeq] | None:
        raise NotImplementedError

    def _is_entry(self, item: Any, ref: str) -> bool:
        raise NotImplementedError

    def _title(self, item: Any) -> str:
        raise NotImplementedError

    def _new_entry(self, ref: str, title: str) -> Any:
        raise NotImplementedError

    def _new_section(self, title: str, entries: CommentedSeq) -> Any:
        raise NotImplementedError

    # -- reading

    def _parse(self, nav: str) -> tuple[Document, CommentedSeq | None]:
        try:
            doc = parse(nav)
        except ValueError as exc:
            raise PlanError([str(exc)]) from exc
        root = self._root(doc.data)
        return doc, root if isinstance(root, CommentedSeq) else None

    def _walk(self, seq: CommentedSeq, path: tuple = ()) -> Iterator[_Section]:
        for index, item in enumerate(seq):
            found = self._section(item)
            if found is not None:
                here = (*path, (seq, index))
                yield _Section(found[0], found[1], item, list(here))
                yield from self._walk(found[1], here)

    def _sections(self, root: CommentedSeq | None) -> list[_Section]:
        return list(self._walk(root)) if root is not None else []

    def _find(self, root: CommentedSeq | None, title: str) -> _Section | None:
        return next((s for s in self._sections(root) if s.title == title), None)

    def _lists(self, section: _Section, ref: str) -> bool:
        return any(self._is_entry(item, ref) for item in section.entries)

    def _path_to(self, seq: CommentedSeq, ref: str) -> list[tuple[CommentedSeq, int]] | None:
        """``(list, index)`` from ``seq`` down to ``ref``'s entry, outermost first; an entry
        directly in ``seq`` comes before one in a section inside it."""
        for index, item in enumerate(seq):
            if self._is_entry(item, ref):
                return [(seq, index)]
        for index, item in enumerate(seq):
            found = self._section(item)
            if found is not None:
                inner = self._path_to(found[1], ref)
                if inner is not None:
                    return [(seq, index), *inner]
        return None

    def sections(self, nav: str, ref: str) -> list[str]:
        _doc, root = self._parse(nav)
        titles: list[str] = []
        for section in self._sections(root):
            if self._lists(section, ref) and section.title not in titles:
                titles.append(section.title)
        return titles

    # -- editing

    def _cut(self, path: list[tuple[CommentedSeq, int]]) -> tuple[Any, CommentedSeq, int]:
        """Remove the entry at the end of ``path``, and every section that leaves empty.

        Returns the entry and where the outermost item removed was."""
        entry = path[-1][0][path[-1][1]]
        level = len(path) - 1
        while level > 0 and len(path[level][0]) == 1:
            level -= 1  # its section would be left empty: the section goes
        seq, index = path[level]
        remove_item(seq, index)
        return entry, seq, index

    def _place(self, entries: CommentedSeq, item: Any) -> None:
        """Put ``item`` among ``entries``: where it keeps them sorted by title (case
        insensitive) if they are, or sorted after a first entry that opens the section (TRL's
        "Experimental Overview"), else at the end."""
        keys = [self._title(e).casefold() for e in entries]
        title = self._title(item).casefold()
        at = len(entries)
        if len(keys) >= 2 and keys == sorted(keys):
            at = bisect.bisect_right(keys, title)
        elif len(keys) >= 3 and keys[1:] == sorted(keys[1:]):
            at = 1 + bisect.bisect_right(keys[1:], title)
        insert_item(entries, at, item)

    def _put(self, root: CommentedSeq, item: Any, section: str,
             where: tuple[CommentedSeq, int] | None) -> None:
        """``item`` into the first section titled ``section``; when there is none, a new
        section at ``where`` (else at the end of the navigation)."""
        target = self._find(root, section)
        if target is not None:
            self._place(target.entries, item)
            return
        seq, index = where if where is not None else (root, len(root))
        insert_item(seq, index, self._new_section(section, CommentedSeq([item])))

    def _written(self, doc: Document, ref: str, section: str) -> str:
        result = doc.dump()
        if section not in self.sections(result, ref):
            raise PlanError([f"placing {ref!r} in section {section!r} did not give a valid "
                             "navigation"])
        return result

    def move_entry(self, nav: str, ref: str, source: str, target: str) -> str:
        doc, root = self._parse(nav)
        candidates = [s for s in self._sections(root) if s.title == source]
        if not candidates:
            raise PlanError([f"the navigation has no section {source!r}"])
        candidates.sort(key=lambda s: not self._lists(s, ref))  # stable: in document order
        for section in candidates:
            inner = self._path_to(section.entries, ref)
            if inner is not None:
                break
        else:
            raise PlanError([f"section {source!r} of the navigation does not list {ref!r}"])
        entry, seq, index = self._cut([*section.path, *inner])
        parent = section.path[-1][0]
        kept = next((i for i, item in enumerate(parent) if item is section.item), None)
        self._put(root, entry, target, (parent, kept + 1) if kept is not None else (seq, index))
        return self._written(doc, ref, target)

    def add_entry(self, nav: str, ref: str, title: str, section: str) -> str:
        """``nav`` with a new entry for page ``ref`` titled ``title`` in ``section`` (the
        first section so titled, nested ones too), in order; a section is created at the end
        of the navigation only when none has that title. Already listed there: unchanged."""
        doc, root = self._parse(nav)
        if root is None:
            raise PlanError([f"the navigation has no list to add {ref!r} to"])
        existing = self._find(root, section)
        if existing is not None and self._lists(existing, ref):
            return nav
        self._put(root, self._new_entry(ref, title), section, None)
        return self._written(doc, ref, section)

    def remove_entry(self, nav: str, ref: str) -> str:
        doc, root = self._parse(nav)
        path = self._path_to(root, ref) if root is not None else None
        if path is None:
            return nav
        self._cut(path)
        result = doc.dump()
        self._parse(result)  # still valid YAML
        return result


class MkDocsNav(_YamlNav):
    """mkdocs ``nav:`` in ``mkdocs.yml``: ``- Section:`` items holding ``- Title: page.md``
    (or a bare ``- page.md``)."""

    name = "mkdocs"

    def page_ref(self, config: PromoteConfig, page: str) -> str:
        return posixpath.relpath(page, config.docs_dir)

    def _root(self, data):
        return data.get("nav") if isinstance(data, CommentedMap) else None

    def _section(self, item):
        if isinstance(item, CommentedMap) and len(item) == 1:
            (title, value), = item.items()
            if isinstance(value, CommentedSeq):
                return str(title), value
        return None

    def _is_entry(self, item, ref):
        if isinstance(item, str):
            return item == ref
        return (isinstance(item, CommentedMap) and len(item) == 1
                and isinstance(next(iter(item.values())), str)
                and next(iter(item.values())) == ref)

    def _title(self, item):
        if isinstance(item, CommentedMap) and item:
            return str(next(iter(item)))
        return posixpath.splitext(posixpath.basename(str(item)))[0]

    def _new_entry(self, ref, title):
        return CommentedMap([(title, ref)])

    def _new_section(self, title, entries):
        return CommentedMap([(title, entries)])

    def add_notice(self, page: str, title: str, body: str) -> str:
        return _insert_after_heading(page, f'!!! warning "{title}"\n    {body}\n\n')


class DocBuilderToctree(_YamlNav):
    """Hugging Face doc-builder ``_toctree.yml``: a list of ``sections:`` lists, each with its
    ``title`` (after the list, as doc-builder writes it), nested or not, holding
    ``local:``/``title:`` entries."""

    name = "doc-builder"

    def page_ref(self, config: PromoteConfig, page: str) -> str:
        base = posixpath.dirname(config.nav_file)
        return posixpath.splitext(posixpath.relpath(page, base))[0]

    def _root(self, data):
        return data

    def _section(self, item):
        if isinstance(item, CommentedMap) and isinstance(item.get("sections"), CommentedSeq):
            return str(item.get("title", "")), item["sections"]
        return None

    def _is_entry(self, item, ref):
        return isinstance(item, CommentedMap) and str(item.get("local", "")) == ref

    def _title(self, item):
        if isinstance(item, CommentedMap):
            return str(item.get("title") or item.get("local") or "")
        return str(item)

    def _new_entry(self, ref, title):
        return CommentedMap([("local", ref), ("title", title)])

    def _new_section(self, title, entries):
        return CommentedMap([("sections", entries), ("title", title)])

    def add_notice(self, page: str, title: str, body: str) -> str:
        return _insert_after_heading(page, f"<Tip warning={{true}}>\n\n**{title}:** {body}\n\n"
                                           "</Tip>\n\n")


_METHODS = ("page_ref", "sections", "move_entry", "remove_entry", "add_entry", "add_notice")
_BUILTIN: dict[str, DocsFormat] = {"mkdocs": MkDocsNav(), "doc-builder": DocBuilderToctree()}


def get_docs_format(config: PromoteConfig) -> DocsFormat:
    """The format named by ``docs_format``: built in, or contributed by a plugin."""
    if config.docs_format in _BUILTIN:
        return _BUILTIN[config.docs_format]
    problems: list = []
    contributed = {}
    incomplete: dict[str, list[str]] = {}
    for _plugin, formats in hook_results("fledge_promote_docs_formats", problems):
        for fmt in formats:
            if isinstance(fmt, DocsFormat):
                contributed.setdefault(fmt.name, fmt)
            elif isinstance(getattr(fmt, "name", None), str):
                incomplete.setdefault(fmt.name, [m for m in _METHODS
                                                 if not callable(getattr(fmt, m, None))])
    if config.docs_format in contributed:
        return contributed[config.docs_format]
    if config.docs_format in incomplete:
        raise ConfigError("docs_format", "pyproject.toml", "names a plugin's format that "
                          f"lacks {', '.join(incomplete[config.docs_format])}",
                          config.docs_format)
    known = ", ".join(sorted({*_BUILTIN, *contributed}))
    raise ConfigError("docs_format", "pyproject.toml", f"must be one of {known}",
                      config.docs_format)
