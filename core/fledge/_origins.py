"""Where plugins come from: entry points with their distribution's name and version, and the
installed versions that feature requirements are checked against."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ._records import ProblemKind

if TYPE_CHECKING:
    from importlib import metadata


class Origin:
    """Where a plugin comes from: its entry point and distribution, read once."""

    __slots__ = ("entry_point", "distribution", "version")

    def __init__(self, entry_point: metadata.EntryPoint, distribution: str | None,
                 version: str | None) -> None:
        self.entry_point = entry_point
        self.distribution = distribution
        self.version = version

    @property
    def plugin(self) -> str:
        return self.entry_point.name

    @property
    def label(self) -> str | None:
        return None if self.distribution is None else f"{self.distribution} {self.version}"

    @classmethod
    def of(cls, ep: metadata.EntryPoint) -> Origin:
        name, version = _name_and_version(ep.dist)
        return cls(ep, name, version)


def find_origins(group: str, path: list[str] | None, builtin: Sequence[str]) -> list[Origin]:
    """The entry points of ``group`` (in ``path``'s distributions, or all installed ones).

    The host's own distributions (``builtin``) come first, then a stable order, so that
    "first come" on a name clash is predictable.
    """
    from importlib import metadata

    if path is None:
        found: Iterable[metadata.EntryPoint] = metadata.entry_points(group=group)
    else:
        found = [ep for dist in metadata.distributions(path=path)
                 for ep in dist.entry_points if ep.group == group]
    origins = [Origin.of(ep) for ep in found]
    return sorted(origins, key=lambda o: (o.distribution not in builtin,
                                          o.distribution or "", o.plugin))


def _name_and_version(dist: metadata.Distribution | None) -> tuple[str | None, str | None]:
    """A distribution's Name and Version, read from the header of its metadata file.

    ``Distribution.metadata`` parses the whole file with the email parser, several times
    slower than reading two header lines; with hundreds of plugins that dominates
    ``fledge list``.
    """
    if dist is None:
        return None, None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # end of the header
        key, _, value = line.partition(":")
        if key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    if len(found) < 2:  # an unusual file: let the standard parser have it
        return dist.metadata["Name"], dist.version
    return found["Name"], found["Version"]


class VersionCache:
    """Installed versions of distributions, each looked up once."""

    def __init__(self) -> None:
        self._versions: dict[str, str | None] = {}

    def check(self, requirement: str, spec: str) -> tuple[ProblemKind, str] | None:
        from importlib import metadata

        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version

        if requirement not in self._versions:
            try:
                self._versions[requirement] = metadata.version(requirement)
            except metadata.PackageNotFoundError:
                self._versions[requirement] = None
        installed = self._versions[requirement]
        if installed is None:
            return (ProblemKind.MISSING_REQUIREMENT,
                    f"it requires {requirement}{spec}, which is not installed")
        try:
            ok = SpecifierSet(spec).contains(Version(installed), prereleases=True)
        except InvalidVersion:
            ok = False
        if not ok:
            return (ProblemKind.UNMET_REQUIREMENT,
                    f"it requires {requirement}{spec}, but {requirement} {installed} is installed")
        return None
