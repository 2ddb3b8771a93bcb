"""The catalogue's content, once for every docs system: one `Entry` per feature.

The writers (``_catalogue.py`` for mkdocs' HTML pages, ``_catalogue_docbuilder.py`` for
Hugging Face doc-builder Markdown, ``sphinx_ext.py`` for Sphinx's nodes) all show what an
`Entry` holds: name, stage, summary, since, owners, the import line, the feature's own page,
and readiness where a ``promote check`` report was given. None of them imports a feature.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ._readiness import Readiness, load_readiness
from ._records import FeatureRecord, Problem

if TYPE_CHECKING:
    from ._host import Host

__all__ = ["Catalogue", "CatalogueError", "Entry", "build_catalogue", "entry_of",
           "own_docs_path", "read_readiness"]


class CatalogueError(ValueError):
    """A catalogue cannot be written as asked: a bad option, a missing or unreadable file."""


@dataclass(frozen=True)
class Entry:
    """One feature as every catalogue shows it.

    Attributes:
        name: the feature's name.
        stage: ``experimental``, ``stable`` or ``deprecated``.
        summary: its one-line summary (someone else's text: writers escape it).
        since: the version it appeared in.
        owners: who maintains it.
        import_line: ``from <import path> import <exports>``.
        docs: the manifest's ``docs`` (a path in the plugin's repository, or a URL), or None.
        status: ``ok`` or why it cannot be used (``broken``...).
        readiness: its last ``promote check`` verdict; None when no report was given.
        record: the registry's record, for what only one writer shows.
    """

    name: str
    stage: str
    summary: str
    since: str
    owners: tuple[str, ...]
    import_line: str
    docs: str | None
    status: str
    readiness: Readiness | None
    record: FeatureRecord


@dataclass(frozen=True)
class Catalogue:
    """Every feature of one host, sorted by name, and the plugins that did not load.

    Attributes:
        host: the host's name (``trl``).
        namespace: its namespace (``trl.experimental``).
        entries: the features.
        problems: the plugins and features that did not load.
        with_readiness: whether a readiness report was given (writers add its column).
        silence: the variable that silences every notice (``TRL_EXPERIMENTAL_SILENCE``).
    """

    host: str
    namespace: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    with_readiness: bool
    silence: str = ""


def entry_of(record: FeatureRecord, readiness: Readiness | None) -> Entry:
    """The `Entry` of one registry record."""
    feature = record.feature
    return Entry(
        name=feature.name, stage=feature.stage.value, summary=feature.summary,
        since=feature.since, owners=tuple(feature.owners),
        import_line=f"from {record.import_path} import {', '.join(feature.exports)}",
        docs=feature.docs, status=record.status.value, readiness=readiness, record=record,
    )


def build_catalogue(host: Host, readiness: Mapping[str, Readiness] | None = None, *,
                    shipped_only: bool = False) -> Catalogue:
    """The catalogue of ``host``'s registry (no feature implementation is imported).

    Args:
        host: whose features.
        readiness: verdicts by feature name (`read_readiness`); None leaves readiness out,
            an empty mapping shows every feature's as ``unknown``.
        shipped_only: only the features the library itself ships (in-tree ones and the
            plugins of the host's own distributions), not third-party plugins installed
            where the catalogue is written: what a page committed to the library holds.
    """
    from ._readiness import UNKNOWN

    registry = host.registry()
    records = sorted((r for r in registry.features()
                      if not shipped_only or is_shipped(host, r)), key=lambda r: r.name)
    entries = tuple(entry_of(r, None if readiness is None else readiness.get(r.name, UNKNOWN))
                    for r in records)
    return Catalogue(host.name, host.namespace, entries, tuple(registry.problems()),
                     readiness is not None, next(iter(host.silence_variables), ""))


def is_shipped(host: Host, record: FeatureRecord) -> bool:
    """Whether the library behind ``host`` ships the feature (not a third party's plugin)."""
    return record.source == "in-tree" or record.distribution in host.builtin


def read_readiness(path: str | Path) -> dict[str, Readiness]:
    """The verdicts of a ``promote check --format json`` file, or a `CatalogueError`."""
    try:
        return load_readiness(Path(path))
    except OSError as exc:
        raise CatalogueError(f"readiness file {str(path)!r} cannot be read ({exc.strerror}); "
                             "write it with `promote check --all --format json --report "
                             "FILE`") from None
    except ValueError as exc:
        raise CatalogueError(f"readiness file {str(path)!r}: {exc}") from None


def is_url(docs: str) -> bool:
    return docs.startswith(("http://", "https://"))


def own_docs_path(record: FeatureRecord, root: Path) -> Path | None:
    """The file a manifest's relative ``docs`` path names, when the feature is ``root``'s own.

    A ``docs`` path is relative to the plugin's own repository, so it is looked up only when
    the feature's package lives under ``root``: another project's ``docs/index.md`` must not
    link to ours. The path must stay inside ``root`` and exist.
    """
    docs = record.feature.docs
    if not docs or is_url(docs) or PurePosixPath(docs).is_absolute() or "\\" in docs:
        return None
    root = root.resolve()
    try:
        spec = importlib.util.find_spec(record.feature.module.partition(".")[0])
    except (ImportError, ValueError):  # a module without a spec: not found here
        spec = None
    where = (spec.submodule_search_locations or [spec.origin]) if spec else []
    if not any(p and Path(p).resolve().is_relative_to(root) for p in where):
        return None
    path = (root / docs).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
