"""The catalogue as Hugging Face doc-builder Markdown, written between markers in a page.

A library that builds its docs with doc-builder (Markdown pages under ``docs/source/`` and a
``_toctree.yml``) chooses a page and puts two marker lines in it::

    <!-- fledge:catalogue:begin -->
    <!-- fledge:catalogue:end -->

`write_section` fills the lines between them; `check_section` says what the page lacks or
holds that the features no longer match. The section uses doc-builder's idioms: a
``<Tip warning={true}>`` block, headings with explicit anchors (``### cpo[[cpo]]``),
GitHub-flavoured tables, and links to other pages by their toctree name, without suffix.

Text from plugins and manifests is someone else's: HTML's special characters become
entities, ``{`` and ``}`` too (doc-builder compiles pages to Svelte, where braces are code),
and Markdown's own punctuation is escaped, so no summary can open a tag, a link or a block.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ._catalogue_model import Catalogue, CatalogueError, Entry, is_url, own_docs_path

__all__ = ["BEGIN", "END", "DEFAULT_PAGE_PATTERNS", "Section", "check_section",
           "read_toctree", "render_section", "write_section"]

BEGIN = "<!-- fledge:catalogue:begin -->"
END = "<!-- fledge:catalogue:end -->"
#: Where a feature's own page is looked for in the toctree, when its manifest names none.
DEFAULT_PAGE_PATTERNS = ("{name}", "{name}_trainer")

_FEATURE_HEADING = re.compile(r"^### (?P<name>[A-Za-z_][A-Za-z0-9_]*)\[\[(?P=name)\]\]$", re.M)


# -- escaping ---------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}


def text(value: object) -> str:
    """Someone else's text, safe inline in doc-builder Markdown and in a table cell."""
    escaped = re.sub(r"[&<>{}]", lambda m: _ENTITIES[m[0]], " ".join(str(value).split()))
    escaped = re.sub(r"[\\`*\[\]|~$]", r"\\\g<0>", escaped)
    # An underscore inside a word never starts emphasis: only the others are escaped.
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", escaped)


def paragraph(value: object) -> str:
    """`text` that also cannot start a heading, a list, a quote or a setext underline."""
    escaped = text(value)
    if escaped[:1] in ("#", "-", "+", "="):
        escaped = "\\" + escaped
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)


def _code(value: str) -> str:
    """An inline code span for an identifier or import line (no backticks inside)."""
    return "`" + value.replace("`", "'") + "`"


# -- the toctree ------------------------------------------------------------------------------

def read_toctree(path: Path) -> dict[str, str]:
    """Every page of a doc-builder ``_toctree.yml``: its name (``local``) and title.

    Raises:
        CatalogueError: the file is missing, is not YAML, or is not a toctree.
    """
    try:
        import yaml
    except ImportError:  # pragma: no cover - the docs and promote extras install it
        raise CatalogueError("reading a doc-builder _toctree.yml needs PyYAML: "
                             "pip install 'fledge[docs]'") from None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"toctree {str(path)!r} cannot be read ({exc.strerror}); pass "
                             "--toctree with the docs' _toctree.yml") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"toctree {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise CatalogueError(f"toctree {str(path)!r} must be a YAML list of sections, as "
                             "doc-builder's _toctree.yml is")
    pages: dict[str, str] = {}
    _walk(data, pages)
    return pages


def _walk(items: object, pages: dict[str, str]) -> None:
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        local = item.get("local")
        if isinstance(local, str) and local:
            title = item.get("title")
            pages.setdefault(local, title if isinstance(title, str) and title else local)
        _walk(item.get("sections"), pages)


# -- rendering --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """Where the section goes: its page, the docs folder, the toctree, how to find pages."""

    page: Path
    docs_dir: Path
    toctree: dict[str, str]
    root: Path
    patterns: Sequence[str] = DEFAULT_PAGE_PATTERNS
    command: str = "fledge catalogue"

    @property
    def local(self) -> str:
        """The page's own toctree name (its path in the docs folder, without suffix)."""
        return self.page.resolve().relative_to(self.docs_dir.resolve()).with_suffix(
            "").as_posix()


# Percent-encodes spaces, brackets, parentheses and quotes: the URL ends where Markdown says.
_URL_SAFE = ":/?#@!$&*+,;=%~-._"


def page_of(entry: Entry, where: Section) -> str | None:
    """The toctree name of a feature's own page: its manifest's ``docs``, else a pattern."""
    found = own_docs_path(entry.record, where.root)
    if found is not None:
        try:
            local = found.relative_to(where.docs_dir.resolve()).with_suffix("").as_posix()
        except ValueError:
            local = None
        if local in where.toctree:
            return local
    for pattern in where.patterns:
        local = pattern.format(name=entry.name)
        if local in where.toctree and local != where.local:
            return local
    return None


def _link(entry: Entry, where: Section) -> str:
    local = page_of(entry, where)
    if local is not None:
        target = posixpath.relpath(local, posixpath.dirname(where.local) or ".")
        return f"[{text(where.toctree[local])}]({target})"
    if entry.docs and is_url(entry.docs):
        return f"[{text(entry.docs)}]({quote(entry.docs, safe=_URL_SAFE)})"
    return "-"


def _readiness(entry: Entry) -> str:
    ready = entry.readiness
    if ready is None:
        return ""
    return text(ready.state + (f" ({ready.detail})" if ready.detail else ""))


def render_section(catalogue: Catalogue, where: Section) -> str:
    """The lines between the markers (without them), ending with a newline."""
    readiness = catalogue.with_readiness
    head = "| Feature | Stage | Since | Summary |" + (" Readiness |" if readiness else "")
    rule = "| --- | --- | --- | --- |" + (" --- |" if readiness else "")
    rows = [f"| [{_code(e.name)}](#{e.name}) | {e.stage} | {text(e.since)} | "
            f"{text(e.summary)} |" + (f" {_readiness(e)} |" if readiness else "")
            for e in catalogue.entries]
    parts = [
        # The options are not recorded: a check with other options must not differ here.
        "<!-- Generated by `fledge catalogue`: edit the features, not these lines, and run "
        "it again. -->",
        "<Tip warning={true}>\n\n"
        f"Everything in {_code(catalogue.namespace)} may change or be removed in any release. "
        "Each feature warns once, when it is first imported"
        + (f"; {_code(catalogue.silence + '=1')} silences every notice."
           if catalogue.silence else ".") + "\n\n</Tip>",
        f"{len(catalogue.entries)} features." if catalogue.entries
        else "No features are shipped.",
    ]
    if catalogue.entries:
        parts.append("\n".join([head, rule, *rows]))
    parts += [_feature(entry, where, readiness) for entry in catalogue.entries]
    return "\n\n".join(parts) + "\n"


def _feature(entry: Entry, where: Section, readiness: bool) -> str:
    facts = [("Stage", entry.stage), ("Since", text(entry.since)),
             ("Owners", text(", ".join(entry.owners)) or "-"), ("Page", _link(entry, where))]
    if entry.status != "ok":
        facts.append(("Status", text(entry.status)))
    if readiness:
        facts.append(("Readiness", _readiness(entry)))
    table = "\n".join(["| " + " | ".join(label for label, _ in facts) + " |",
                       "|" + " --- |" * len(facts),
                       "| " + " | ".join(value for _, value in facts) + " |"])
    return (f"### {entry.name}[[{entry.name}]]\n\n{paragraph(entry.summary)}\n\n{table}\n\n"
            f"```python\n{entry.import_line}\n```")


# -- the page ---------------------------------------------------------------------------------

def _split(page_text: str, page: Path) -> tuple[str, str, str]:
    """The page before the section (up to its begin marker), the section, and the rest."""
    lines = page_text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise CatalogueError(
            f"{page} must hold the lines {BEGIN!r} and then {END!r}, once each (found "
            f"{len(begins)} and {len(ends)}); add them where the catalogue goes")
    b, e = begins[0], ends[0]
    return "".join(lines[:b + 1]), "".join(lines[b + 1:e]), "".join(lines[e:])


def _read(page: Path) -> str:
    try:
        return page.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"page {str(page)!r} cannot be read ({exc.strerror})") from None


def write_section(catalogue: Catalogue, where: Section) -> bool:
    """Write the section into its page; return whether the page changed."""
    before, current, after = _split(_read(where.page), where.page)
    wanted = "\n" + render_section(catalogue, where) + "\n"
    if current == wanted:
        return False
    where.page.write_text(before + wanted + after, encoding="utf-8")
    return True


def _blocks(section: str) -> dict[str, str]:
    """Each feature's block of a section, by name; the part before the first under ``""``."""
    marks = list(_FEATURE_HEADING.finditer(section))
    blocks = {"": section[:marks[0].start()] if marks else section}
    for mark, following in zip(marks, [*marks[1:], None][:len(marks)], strict=True):
        end = following.start() if following else len(section)
        blocks[mark["name"]] = section[mark.start():end].strip()
    return blocks


def check_section(catalogue: Catalogue, where: Section) -> list[str]:
    """What the page's section lacks or holds wrongly; empty when it is up to date."""
    _, current, _ = _split(_read(where.page), where.page)
    wanted = "\n" + render_section(catalogue, where) + "\n"
    if current == wanted:
        return []
    have, want = _blocks(current), _blocks(wanted)
    found = [f"missing: {name} (shipped, but not in the section)"
             for name in want if name and name not in have]
    found += [f"stale: {name} (in the section, but no such feature is shipped)"
              for name in have if name and name not in want]
    found += [f"changed: {name} (its entry differs from the feature's metadata)"
              for name in want if name and name in have and have[name] != want[name]]
    if not found:
        found.append("changed: the section's table or notice differs from what "
                     f"`{where.command}` writes")
    return found


def relative_page(page: Path, root: Path) -> str:
    """``page`` for messages: relative to ``root`` when inside it."""
    try:
        return PurePosixPath(page.resolve().relative_to(root.resolve())).as_posix()
    except ValueError:
        return str(page)
