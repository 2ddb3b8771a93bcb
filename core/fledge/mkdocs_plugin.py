"""fledge's mkdocs plugin: the feature catalogue, generated from the registry at build time.

Enable it in ``mkdocs.yml``; installing a plugin and rebuilding adds its features::

    plugins:
      - search
      - fledge:
          path: catalogue                 # folder of the generated pages
          readiness: promote-check.json   # optional: last `promote check --format json`
          report: promote-report.json     # optional: last `promote report --format json`
          host: trl                       # optional: another library's namespace

It writes ``<path>/index.md`` (a table of every feature, filterable by stage) and
``<path>/<name>.md`` per feature, from the registry of the host (``host``: a name from
``fledge hosts`` or a namespace's import path; fledge's own by default) in the building
environment; no feature implementation (and no torch) is imported. In any page,
``<!-- fledge:manifest-fields -->`` and ``<!-- fledge:problem-kinds -->`` become tables of
the manifest's fields and of the problems ``fledge doctor`` reports. A readiness file that
cannot be read, or whose entries are not of the shape ``promote check`` writes, is a warning
naming the file and the entry (``mkdocs build --strict`` fails on it).

``import fledge`` never imports this module, so mkdocs stays a docs-time dependency.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from . import _catalogue, _report_evidence
from ._catalogue_model import own_docs_path
from ._errors import HostNotFoundError
from ._host import Host
from ._hosts import find_host
from ._records import FeatureRecord
from ._text import safe

__all__ = ["CatalogueConfig", "CataloguePlugin"]

log = get_plugin_logger("fledge")

_MARKERS = {
    "<!-- fledge:manifest-fields -->": lambda host: _catalogue.manifest_fields_table(),
    "<!-- fledge:problem-kinds -->": _catalogue.problem_kinds_table,
}


class CatalogueConfig(Config):
    """The plugin's options in ``mkdocs.yml``."""

    path = c.Type(str, default="catalogue")
    """Folder, inside the docs, of the generated pages."""
    readiness = c.Optional(c.Type(str))
    """A ``promote check --format json`` output file, relative to ``mkdocs.yml``."""
    report = c.Optional(c.Type(str))
    """A ``promote report --format json`` output file, relative to ``mkdocs.yml``: adds the
    age, last own work, owner and usage columns."""
    title = c.Type(str, default="Feature catalogue")
    """Title of the index page."""
    host = c.Optional(c.Type(str))
    """The host whose features to show: a name from ``fledge hosts`` or a namespace's
    import path (``trl``, ``trl.experimental``); fledge's own when unset."""


class CataloguePlugin(BasePlugin[CatalogueConfig]):
    """Generates the catalogue pages; see the module docstring for the options."""

    _host: Host | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        raw = self.config.path
        folder = PurePosixPath(raw.rstrip("/"))
        if not raw.strip("/") or folder.is_absolute() or ".." in folder.parts or "\\" in raw:
            raise PluginError(
                f"fledge: option 'path' must be a folder inside the docs, e.g. 'catalogue'; "
                f"got {self.config.path!r}"
            )
        self._folder = folder.as_posix()
        try:
            self._host = find_host(self.config.host)
        except HostNotFoundError as exc:
            raise PluginError(f"fledge: option 'host': {exc}") from None
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        registry = (self._host or find_host()).registry()
        records = registry.features()
        readiness = self._readiness(config)
        strangers = sorted(set(readiness) - {r.name for r in records})
        if strangers:  # a warning when it matches no feature at all: the wrong file or shape
            report = log.warning if len(strangers) == len(readiness) and records else log.info
            report("catalogue: readiness file %s names %s, which %s no feature installed "
                   "here; left out", self.config.readiness, ", ".join(map(repr, strangers)),
                   "is" if len(strangers) == 1 else "are")
        evidence = self._evidence(config)
        index = self._add(files, config, "index.md", InclusionLevel.UNDEFINED)
        pages = {r.name: self._add(files, config, f"{r.name}.md", InclusionLevel.NOT_IN_NAV)
                 for r in records}
        index.content_string = _catalogue.render_index(
            records, registry.problems(), readiness,
            lambda name: pages[name].url_relative_to(index), title=self.config.title,
            evidence=evidence,
        )
        for record in records:
            page = pages[record.name]
            docs = self._docs_file(files, config, record)
            page.content_string = _catalogue.render_feature(
                record, readiness.get(record.name, _catalogue.UNKNOWN),
                index_url=index.url_relative_to(page),
                docs_url=None if docs is None else docs.url_relative_to(page),
                evidence=None if evidence is None else evidence.get(
                    record.name, _report_evidence.UNREPORTED),
            )
        for problem in registry.problems():
            log.info("catalogue: [%s] %s", problem.kind.value, safe(problem))
        log.debug("catalogue: %d feature page(s) in %s/", len(records), self._folder)
        return files

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        for marker, table in _MARKERS.items():
            if marker in markdown:
                markdown = markdown.replace(marker, table(self._host))
        return markdown

    # -- helpers ---------------------------------------------------------------------------

    def _add(self, files: Files, config: MkDocsConfig, name: str,
             inclusion: InclusionLevel) -> File:
        uri = posixpath.join(self._folder, name)
        if files.get_file_from_path(uri) is not None:
            raise PluginError(
                f"fledge: the catalogue would replace {uri!r}, which is already in the docs; "
                "move that file or set the plugin's 'path' option to another folder"
            )
        file = File.generated(config, uri, content="", inclusion=inclusion)
        files.append(file)
        return file

    def _readiness(self, config: MkDocsConfig) -> dict[str, _catalogue.Readiness]:
        if not self.config.readiness:
            return {}
        path = Path(config.config_file_path or ".").parent / self.config.readiness
        if not path.is_file():
            log.info("catalogue: readiness file %s not found; readiness shows 'unknown'", path)
            return {}
        skipped: list[str] = []
        try:
            found = _catalogue.load_readiness(path, skipped)
        except (OSError, ValueError) as exc:
            log.warning("catalogue: cannot read readiness file %s: %s; readiness shows "
                        "'unknown'", path, exc)
            return {}
        if skipped:  # a warning: `mkdocs build --strict` fails on a file of the wrong shape
            shown = "; ".join(skipped[:5]) + (f"; and {len(skipped) - 5} more"
                                               if len(skipped) > 5 else "")
            log.warning("catalogue: readiness file %s: %s; those features show 'unknown'",
                        path, shown)
        return found

    def _evidence(self, config: MkDocsConfig) -> dict[str, _report_evidence.Evidence] | None:
        """The report's key columns; None (no columns) without a report file."""
        if not self.config.report:
            return None
        path = Path(config.config_file_path or ".").parent / self.config.report
        if not path.is_file():
            log.info("catalogue: report file %s not found; no age, owner or usage columns",
                     path)
            return None
        try:
            return _report_evidence.load_evidence(path)
        except (OSError, ValueError) as exc:
            log.warning("catalogue: cannot read report file %s: %s; its columns show "
                        "'no data'", path, exc)
            return {}

    def _docs_file(self, files: Files, config: MkDocsConfig, record: FeatureRecord) -> File | None:
        """The site's page for a manifest's ``docs`` path, when the feature is this project's.

        A ``docs`` path is relative to the plugin's own repository, so it is looked up here
        only when the feature's package lives under this ``mkdocs.yml``'s folder
        (`own_docs_path`); another project's ``docs/index.md`` must not link to ours.
        """
        found = own_docs_path(record, Path(config.config_file_path or ".").parent)
        if found is None:
            return None
        try:
            relative = found.relative_to(Path(config.docs_dir).resolve())
        except ValueError:
            return None
        return files.get_file_from_path(relative.as_posix())
