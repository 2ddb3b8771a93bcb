"""Loading one plugin and collecting its features, each failure reported, never raised.

pluggy does not isolate failures: an entry point that fails to import raises out of
``load_setuptools_entrypoints``, and one raising implementation aborts a hook call. These
functions load each entry point and call each plugin's hook on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._errors import ManifestError, ReservedNameError
from ._manifest import Feature
from ._output import wrap_output
from ._records import ProblemKind

if TYPE_CHECKING:
    import pluggy

    from ._origins import Origin

__all__ = ["Report", "collect_features", "describe", "load_plugin"]

#: ``report(kind, origin, reason, feature=None)`` records a problem of the plugin.
Report = Callable[..., None]


def load_plugin(pm: pluggy.PluginManager, origin: Origin, report: Report) -> Any | None:
    """Import a plugin's module and register it; None, with the problem reported, if it fails.

    Call it inside `plugin_output`. The plugin's hook implementations are wrapped so that,
    whoever calls them later (the registry, ``promote``), what they print goes to standard
    error too.
    """
    import pluggy

    ep = origin.entry_point
    try:
        plugin = ep.load()  # the registry sends what it prints to stderr (plugin_output)
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else "its module"
        report(
            ProblemKind.SYNTAX_ERROR, origin,
            f"its module {ep.value!r} has a syntax error at {where}: {exc.msg}",
        )
        return None
    except AttributeError as exc:
        report(
            ProblemKind.BAD_ENTRY_POINT, origin,
            f"its entry point {ep.value!r} names something that does not exist: "
            f"{describe(exc)}",
        )
        return None
    except ManifestError as exc:  # a Feature(...) built when the module is imported
        kind = (ProblemKind.RESERVED_NAME if isinstance(exc, ReservedNameError)
                else ProblemKind.INVALID_MANIFEST)
        report(kind, origin, f"its module {ep.value!r} builds an invalid manifest when "
               f"imported: {exc.in_plugin(origin.plugin, origin.label)}", feature=exc.feature)
        return None
    except ImportError as exc:
        report(
            ProblemKind.IMPORT_ERROR, origin,
            f"its module {ep.value!r} failed to import: {describe(exc)}",
        )
        return None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - isolate every plugin failure
        dist = origin.distribution or f"the plugin {origin.plugin!r}"
        report(
            ProblemKind.IMPORT_ERROR, origin,
            f"its module {ep.value!r} raised {describe(exc)} while being imported",
            fix=f"a bug of {dist} (nothing is missing): upgrade it, report it to its "
                "maintainers, or uninstall it",
        )
        return None
    if not isinstance(plugin, ModuleType) and not hasattr(plugin, "__dict__"):
        report(
            ProblemKind.BAD_ENTRY_POINT, origin,
            f"its entry point {ep.value!r} is a {type(plugin).__name__}, not a module",
        )
        return None
    try:
        pm.register(plugin, name=ep.name)
    except pluggy.PluginValidationError as exc:
        report(ProblemKind.INVALID_HOOKIMPL, origin, describe(exc))
        return None
    except ValueError as exc:  # the same module or name registered twice
        report(ProblemKind.BAD_ENTRY_POINT, origin, f"it could not be registered: {exc}")
        return None
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin:  # whoever calls it, its output goes to stderr
                impl.function = wrap_output(impl.function)
    return plugin


def collect_features(pm: pluggy.PluginManager, origin: Origin, plugin: Any,
                     report: Report) -> list[Feature]:
    """Call the plugin's ``fledge_features`` hook on its own; report what is not a feature."""
    impls = [i for i in pm.hook.fledge_features.get_hookimpls() if i.plugin is plugin]
    features: list[Feature] = []
    for impl in impls:
        try:
            returned = impl.function()
        except ManifestError as exc:
            kind = (ProblemKind.RESERVED_NAME if isinstance(exc, ReservedNameError)
                    else ProblemKind.INVALID_MANIFEST)
            report(
                kind, origin, str(exc.in_plugin(origin.plugin, origin.label)),
                feature=exc.feature,
            )
            continue
        except Exception as exc:  # noqa: BLE001 - isolate every plugin failure
            report(
                ProblemKind.HOOK_ERROR, origin,
                f"its fledge_features hook raised {describe(exc)}",
            )
            continue
        if isinstance(returned, Feature):
            returned = [returned]
        if returned is None or isinstance(returned, (str, bytes, Mapping)) or not isinstance(
            returned, Iterable
        ):
            report(
                ProblemKind.NOT_A_FEATURE, origin,
                f"its fledge_features hook returned {_short_repr(returned)}, "
                "not a list of fledge.Feature",
            )
            continue
        items = list(returned)
        if not items:
            report(
                ProblemKind.NO_FEATURES, origin,
                "its fledge_features hook returned no features",
            )
        for item in items:
            if isinstance(item, Feature):
                features.append(item)
            else:
                report(
                    ProblemKind.NOT_A_FEATURE, origin,
                    f"its fledge_features hook returned {_short_repr(item)}, "
                    "which is not a fledge.Feature",
                )
    return features


def describe(exc: BaseException) -> str:
    """``TypeName: message`` of an exception."""
    return f"{type(exc).__name__}: {exc}"


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
