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

    Called once per ``promote`` run. Each implementation is called on its own: one that
    raises, or returns something that is not a check, is reported as an ``error`` result
    and the other checks still run.

    Returns:
        Objects following :class:`fledge_promote.Check`: a ``name`` (kebab-case, unique,
        not one of the built-in checks'), a one-line ``description``, and a
        ``run(context: fledge_promote.CheckContext) -> fledge_promote.CheckResult`` method.
        ``context`` holds the repository, its ``[tool.fledge.promote]`` configuration, the
        feature and a ``progress`` callable; the result is pass, fail (with a fix) or skip,
        with a one-line reason. A ``run`` that raises becomes an ``error`` result.
    """


@hookspec
def fledge_promote_docs_formats() -> Sequence[Any]:
    """Contribute documentation navigation formats to ``promote``.

    Returns:
        Objects following :class:`fledge_promote.DocsFormat`: a ``name`` (the value of the
        ``docs_format`` configuration key) and the methods ``page_ref(config, page)``,
        ``sections(nav, ref)``, ``move_entry(nav, ref, source, target)``,
        ``add_entry(nav, ref, title, section)``, ``remove_entry(nav, ref)`` and
        ``add_notice(page, title, body)``, each taking and returning text. The built-in
        ``mkdocs`` and ``doc-builder`` formats take precedence over a contributed format of
        the same name.
    """


@hookspec
def fledge_promote_usage(features: Sequence[str], root: str) -> Sequence[Any]:
    """Supply usage counts of experimental features to ``promote report`` and ``adoption``.

    The counts can come from anywhere a plugin can reach: a library's telemetry, hub tags,
    download statistics. Called once per ``promote report`` run, with every feature it
    reports on, and once per feature by the ``adoption`` check. Each implementation is
    called on its own: one that raises, or returns records that cannot be
    read, is reported as a problem (naming the plugin) and its records are left out; the
    other sources still count. A feature that no source has a record for shows "no data",
    never zero.

    Args:
        features: the names of the features the run is about.
        root: the absolute path of the repository's root, to find local telemetry exports.

    Returns:
        Records, each a mapping (or an object with these attributes): ``feature`` (a name
        from ``features``), ``period`` (``YYYY-MM-DD``, ``YYYY-MM`` or
        ``YYYY-MM-DD/YYYY-MM-DD``), ``runs`` (a non-negative integer: runs in that period)
        and optionally ``source`` (a short label, e.g. ``"telemetry"``; default: the
        plugin's name). Records for other names are ignored. Return an empty list when the
        source has nothing.
    """
