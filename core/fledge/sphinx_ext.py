"""fledge's Sphinx extension: the feature catalogue as a directive, in reStructuredText or MyST.

Enable it in ``conf.py`` (``pip install 'fledge[sphinx]'``)::

    extensions = ["fledge.sphinx_ext"]          # and "myst_parser" for MyST pages
    fledge_catalogue_readiness = "build/promote-check.json"   # optional, relative to conf.py

and put the directive where the catalogue goes::

    .. fledge-catalogue::
       :host: trl                    # optional: another library's namespace
       :readiness: promote-check.json  # optional: last `promote check --format json`
       :stage: experimental          # optional: one stage only
       :installed:                   # optional: third-party plugins installed here too

or, in MyST, the same options in a ```` ```{fledge-catalogue} ```` fence. It shows a table
of the features and, for each, its summary, stage, since, owners, import line, its own page
(a manifest's ``docs`` path inside this Sphinx project becomes a cross-reference) and, with a
readiness report, its verdict. The content is the same as the mkdocs plugin's and the
doc-builder section's (``fledge._catalogue_model``); no feature implementation is imported.
A page holding the directive is read again on every build, so an installed or removed
feature never leaves a stale catalogue behind.

``import fledge`` never imports this module, so Sphinx stays a docs-time dependency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import __version__
from ._catalogue_model import (
    Catalogue,
    CatalogueError,
    Entry,
    build_catalogue,
    is_url,
    own_docs_path,
    read_readiness,
)
from ._errors import HostNotFoundError
from ._hosts import find_host
from ._manifest import Stage

__all__ = ["CatalogueDirective", "setup"]

log = logging.getLogger(__name__)

_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _stage(argument: str | None) -> str:
    return directives.choice(argument, [s.value for s in Stage])


class CatalogueDirective(SphinxDirective):
    """``.. fledge-catalogue::``: the catalogue of a host's features."""

    has_content = False
    option_spec = {  # noqa: RUF012 - docutils' own protocol
        "host": directives.unchanged_required,
        "readiness": directives.path,
        "stage": _stage,
        "installed": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        self.env.note_reread()  # the features are not in the source: read it every build
        try:
            host = find_host(self.options.get("host"))
        except HostNotFoundError as exc:
            raise self.error(f"fledge-catalogue: option 'host': {exc}") from None
        try:
            catalogue = build_catalogue(host, self._readiness(),
                                        shipped_only="installed" not in self.options)
        except CatalogueError as exc:
            raise self.error(f"fledge-catalogue: {exc}") from None
        stage = self.options.get("stage")
        entries = [e for e in catalogue.entries if stage is None or e.stage == stage]
        for problem in catalogue.problems:
            log.info("fledge-catalogue: [%s] %s", problem.kind.value, problem.subject,
                     location=self.get_location())
        root = self._root()
        # A second catalogue on the same page gets its own anchors.
        serial = self.env.new_serialno("fledge-catalogue")
        anchor = "fledge-feature" + (f"-{serial}" if serial else "")
        return [_overview(catalogue, entries, anchor),
                *(_feature(e, catalogue, root, self, anchor) for e in entries)]

    def _readiness(self) -> dict | None:
        """The verdicts of the directive's ``:readiness:`` or the config's file, or None."""
        given = self.options.get("readiness")
        if given:
            _, path = self.env.relfn2path(given, self.env.docname)
            path = Path(path)
        elif self.config.fledge_catalogue_readiness:
            path = Path(self.env.app.confdir, self.config.fledge_catalogue_readiness)
        else:
            return None
        self.env.note_dependency(str(path))
        if not path.is_file():
            log.info("fledge-catalogue: readiness file %s not found; readiness shows "
                     "'unknown'", path, location=self.get_location())
            return {}
        return read_readiness(path)

    def _root(self) -> Path:
        """The project's root: manifests' ``docs`` paths are relative to it."""
        configured = self.config.fledge_catalogue_root
        if configured:
            return Path(self.env.app.confdir, configured).resolve()
        start = Path(self.env.srcdir).resolve()
        return next((folder for folder in (start, *start.parents)
                     if any((folder / name).exists() for name in _PROJECT_FILES)),
                    Path(self.env.app.confdir).resolve())


def _id(anchor: str, name: str) -> str:
    return nodes.make_id(f"{anchor}-{name}")


def _table(head: list[str], rows: list[list[nodes.Node]], classes: list[str]) -> nodes.table:
    table = nodes.table(classes=["fledge-catalogue", *classes])
    group = nodes.tgroup(cols=len(head))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in head]
    thead = nodes.thead()
    thead += _row([nodes.paragraph(text=h) for h in head])
    group += thead
    tbody = nodes.tbody()
    tbody += [_row(cells) for cells in rows]
    group += tbody
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        entry += content
        row += entry
    return row


def _readiness_text(entry: Entry) -> str:
    ready = entry.readiness
    if ready is None:
        return ""
    return ready.state + (f" ({ready.detail})" if ready.detail else "")


def _overview(catalogue: Catalogue, entries: list[Entry], anchor: str) -> nodes.Node:
    if not entries:
        return nodes.paragraph(text=f"No features of {catalogue.namespace} are installed.")
    head = ["Feature", "Stage", "Since", "Summary"]
    if catalogue.with_readiness:
        head.append("Readiness")
    rows = []
    for entry in entries:
        name = nodes.paragraph()
        name += nodes.reference("", "", nodes.literal(text=entry.name),
                                refid=_id(anchor, entry.name), internal=True)
        cells = [name, nodes.paragraph(text=entry.stage), nodes.paragraph(text=entry.since),
                 nodes.paragraph(text=entry.summary)]
        if catalogue.with_readiness:
            cells.append(nodes.paragraph(text=_readiness_text(entry)))
        rows.append(cells)
    return _table(head, rows, ["fledge-features"])


def _feature(entry: Entry, catalogue: Catalogue, root: Path,
             directive: CatalogueDirective, anchor: str) -> nodes.Node:
    box = nodes.container(classes=["fledge-feature"], ids=[_id(anchor, entry.name)])
    box += nodes.rubric(text=entry.name)
    box += nodes.paragraph(text=entry.summary)
    facts = nodes.field_list()
    pairs: list[tuple[str, nodes.Node]] = [
        ("Stage", nodes.Text(entry.stage)), ("Since", nodes.Text(entry.since)),
        ("Owners", nodes.Text(", ".join(entry.owners) or "-")),
        ("Page", _page(entry, root, directive)),
    ]
    if entry.status != "ok":
        pairs.append(("Status", nodes.Text(entry.status)))
    if catalogue.with_readiness:
        pairs.append(("Readiness", nodes.Text(_readiness_text(entry))))
    for label, value in pairs:
        body = nodes.paragraph()
        body += value
        field = nodes.field()
        field += nodes.field_name(text=label)
        field += nodes.field_body("", body)
        facts += field
    box += facts
    box += nodes.literal_block(entry.import_line, entry.import_line, language="python")
    return box


def _page(entry: Entry, root: Path, directive: CatalogueDirective) -> nodes.Node:
    """A cross-reference to the feature's page in this project, a link, or a dash."""
    found = own_docs_path(entry.record, root)
    srcdir = Path(directive.env.srcdir).resolve()
    if found is not None and found.is_relative_to(srcdir):
        docname = found.relative_to(srcdir).with_suffix("").as_posix()
        if docname in directive.env.found_docs:
            xref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                         reftarget="/" + docname, refexplicit=False,
                                         refwarn=True, refdoc=directive.env.docname)
            xref += nodes.inline(text=docname)
            return xref
    if entry.docs and is_url(entry.docs):
        return nodes.reference(entry.docs, entry.docs, refuri=entry.docs)
    return nodes.Text(entry.docs or "-")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive and its configuration values."""
    app.add_config_value("fledge_catalogue_readiness", None, "env", [str])
    app.add_config_value("fledge_catalogue_root", None, "env", [str])
    app.add_directive("fledge-catalogue", CatalogueDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
