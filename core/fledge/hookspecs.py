"""The whole contract between fledge and its plugins: these hook specifications.

A plugin is a module named by an entry point in the ``fledge`` group. It implements any of
these hooks with functions decorated by `fledge.hookimpl`; the host calls them. Hooks
are the only way a plugin talks to the host.

Hooks are listed in the order of a feature's life: registration, loading, promotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._manifest import Feature

#: Marks the functions below as specifications. Plugins do not need it.
hookspec = pluggy.HookspecMarker("fledge")
#: Marks a plugin's function as an implementation of a fledge hook.
hookimpl = pluggy.HookimplMarker("fledge")


# -- registration ---------------------------------------------------------------------------


@hookspec
def fledge_features() -> Sequence[Feature]:
    """Declare the features this plugin provides.

    Called once per plugin when the registry loads it, before anything of the feature's
    implementation is imported: keep the module that holds this hook light (no torch).

    Returns:
        The plugin's `fledge.Feature` manifests. Each name must be unique across
        every installed plugin; a second plugin claiming a taken name is recorded as a
        problem and its feature is not registered. Anything that is not a ``Feature`` is
        recorded as a problem too; the plugin's other features still load.
    """


# -- loading --------------------------------------------------------------------------------


@hookspec
def fledge_feature_loaded(feature: Feature, module: ModuleType) -> None:
    """Be told that a feature's implementation module was imported for the first time.

    Called once per feature per process, after the module imported and every name in
    ``feature.exports`` was found in it. A raising implementation is recorded as a problem
    of the plugin that implements the hook; it does not stop the feature from loading.

    Args:
        feature: the manifest of the feature that was loaded.
        module: its implementation module.
    """


# -- promotion ------------------------------------------------------------------------------


@hookspec
def fledge_promote_checks() -> Sequence[Any]:
    """Contribute readiness checks to ``promote check``.

    Returns:
        Check objects as `fledge_promote` defines them (a ``name``, a
        ``description`` and a ``run(context)`` method returning a result). Their names must
        not clash with the built-in checks'.
    """


@hookspec
def fledge_promote_docs_formats() -> Sequence[Any]:
    """Contribute documentation navigation formats to ``promote``.

    Returns:
        Docs-format objects as `fledge_promote` defines them (a ``name`` used in the
        ``docs_format`` configuration key, and methods to find and move a page's
        navigation entry).
    """
