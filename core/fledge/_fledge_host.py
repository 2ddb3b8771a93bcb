"""The package-level conveniences that act on fledge's own host, ``fledge.experimental``:
`fledge.get_registry`, `fledge.set_registry`, `fledge.silence_experimental`, and the host
that ``Registry(host=None)`` means.

`fledge.experimental` builds that host from fledge's public names, as any library builds
its own; this module sits above it, so the modules below (the registry, the warnings)
never import the namespace that imports them.
"""

from __future__ import annotations

import contextlib

from ._registry import Registry, set_default_host
from .experimental import host

__all__ = ["Registry", "get_registry", "host", "set_registry", "silence_experimental"]

set_default_host(host)


def get_registry() -> Registry:
    """The registry of ``fledge.experimental``'s features, created on first call.

    Another host's registry: ``host.registry()`` (see `Host`).

    Returns:
        The process-wide registry of fledge's own host.
    """
    return host.registry()


def set_registry(registry: Registry | None) -> Registry | None:
    """Replace the registry of ``fledge.experimental`` (tests use this); None resets it.

    Args:
        registry: the new registry, built for fledge's host.

    Returns:
        The registry it replaces.
    """
    return host.set_registry(registry)


def silence_experimental(*names: str) -> contextlib.AbstractContextManager[None]:
    """Silence the experimental notice of ``fledge.experimental`` inside a ``with`` block.

    Another host's notices are silenced by its own `fledge.Host.silence`.

    Args:
        *names: the features to silence; none means every feature.

    Example:
        >>> import fledge
        >>> with fledge.silence_experimental("bema_for_ref_model"):
        ...     pass  # import and use the feature here, without the notice
    """
    return host.notices.silence(*names)
