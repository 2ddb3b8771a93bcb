"""Finding hosts: fledge's own, those registered in the ``fledge.hosts`` entry point group,
and any namespace imported by its path (a library run from a source checkout).

A library registers its host in its ``pyproject.toml``::

    [project.entry-points."fledge.hosts"]
    trl = "trl.experimental:host"
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from ._errors import HostNotFoundError
from ._host import Host, served_hosts
from ._output import plugin_output

__all__ = ["HOSTS_GROUP", "HostEntry", "find_host", "registered_hosts"]

#: The entry point group in which libraries register their hosts.
HOSTS_GROUP = "fledge.hosts"

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class HostEntry:
    """One registered host, or why it could not be loaded.

    Attributes:
        name: the entry point's name, what ``--host`` takes.
        value: the entry point's value, e.g. ``trl.experimental:host``.
        distribution: the distribution that registers it.
        host: the loaded host, or None when loading it failed.
        error: why it failed, or None.
    """

    name: str
    value: str
    distribution: str | None
    host: Host | None
    error: str | None = None


def _fledge_host() -> Host:
    from ._fledge_host import host

    return host


def _entry_points() -> list:
    from importlib import metadata

    return list(metadata.entry_points(group=HOSTS_GROUP))


def _load(ep) -> HostEntry:
    dist = getattr(ep.dist, "name", None)
    try:
        with plugin_output():
            loaded = ep.load()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - one broken host never hides others
        return HostEntry(ep.name, ep.value, dist, None, f"{type(exc).__name__}: {exc}")
    if not isinstance(loaded, Host):
        return HostEntry(ep.name, ep.value, dist, None,
                         f"it names a {type(loaded).__name__}, not a fledge.Host")
    return HostEntry(ep.name, ep.value, dist, loaded)


def registered_hosts() -> list[HostEntry]:
    """Every host: fledge's own first, then the ``fledge.hosts`` entry points by name.

    Each entry point is loaded on its own; one that fails is returned with its error.
    """
    own = _fledge_host()
    entries = [HostEntry(own.name, "fledge.experimental:host", own.distribution, own)]
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        if ep.name == own.name:
            continue
        entries.append(_load(ep))
    return entries


def find_host(spec: str | None = None) -> Host:
    """The host that ``spec`` names: a registered name or a namespace's import path.

    Args:
        spec: ``trl`` (a name registered in ``fledge.hosts``), ``trl.experimental`` (the
            namespace, imported to find the host it serves), or None for fledge's own.

    Raises:
        HostNotFoundError: nothing of that name is registered, and no imported namespace
            of that path serves a host (or ``spec`` is no import path at all: it is never
            imported then); the error lists the known names.
    """
    own = _fledge_host()
    if spec is None or spec in (own.name, own.namespace):
        return own
    eps = _entry_points()
    if not isinstance(spec, str) or not spec.strip():
        raise HostNotFoundError(spec, _known(eps), "it is empty; give a name from `fledge "
                                "hosts` or a dotted import path such as 'trl.experimental'")
    for ep in eps:
        if ep.name == spec:
            entry = _load(ep)
            if entry.host is None:
                raise HostNotFoundError(spec, _known(eps), f"its entry point {ep.value!r} "
                                        f"failed to load: {entry.error}")
            return entry.host
    for host in served_hosts():
        if spec in (host.name, host.namespace):
            return host
    if not _DOTTED.match(spec):  # '../etc', '.foo': never handed to the import system
        raise HostNotFoundError(spec, _known(eps), "it is neither a registered name nor a "
                                "dotted import path such as 'trl.experimental'")
    try:
        with plugin_output():
            module = importlib.import_module(spec)
    except ImportError as exc:
        raise HostNotFoundError(spec, _known(eps), f"importing it failed: {exc}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - its own code failed
        raise HostNotFoundError(spec, _known(eps), f"importing it raised "
                                f"{type(exc).__name__}: {exc}") from None
    for host in served_hosts():
        if host.namespace == spec:
            return host
    found = getattr(module, "host", None)
    if isinstance(found, Host):
        return found
    raise HostNotFoundError(spec, _known(eps), "that module serves no host")


def _known(eps: list) -> list[str]:
    return sorted({_fledge_host().name, *(ep.name for ep in eps)})
