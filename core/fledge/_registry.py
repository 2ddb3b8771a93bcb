"""The registry: finds plugins through entry points, collects their features, and never lets
one broken plugin break the host.

pluggy itself does not isolate failures (an entry point that fails to import raises out of
``load_setuptools_entrypoints``, and one raising implementation aborts a hook call), so the
registry loads each entry point and calls each plugin's hook on its own, recording every
failure as a `Problem`.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Mapping
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from ._errors import FeatureNotFoundError, FeatureUnavailableError, ManifestError, ReservedNameError
from ._manifest import Feature
from ._origins import Origin, VersionCache
from ._records import FIXES, FeatureRecord, Problem, ProblemKind, Status
from ._switches import BLOCK, Switches, switch_reason

__all__ = ["Registry", "ENTRY_POINT_GROUP", "BUILTIN_DISTRIBUTION"]

ENTRY_POINT_GROUP = "fledge"
BUILTIN_DISTRIBUTION = "fledge"
#: Packages whose code may load features without the experimental notice.
HOST_PACKAGES = ("fledge", "fledge_plugins", "fledge_promote")

class Registry:
    """Every installed feature, and every problem met while finding them.

    The registry loads lazily: nothing is imported until the first question. It imports each
    plugin's light module only; a feature's implementation module is imported by
    `load`, on first use.

    Args:
        path: search these folders for distributions instead of ``sys.path`` (tests use
            sample ``*.dist-info`` folders); the folders must also be importable.
        environ: the environment to read switches from; defaults to ``os.environ``.
    """

    def __init__(
        self,
        *,
        path: list[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._path = path
        self._environ = os.environ if environ is None else environ
        self._lock = threading.RLock()
        self._loaded = False
        self._records: dict[str, FeatureRecord] = {}
        self._problems: list[Problem] = []
        self._modules: dict[str, ModuleType] = {}
        self._plugin_modules: dict[str, ModuleType] = {}
        self._plugin_origins: dict[str, Origin] = {}
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)

    # -- questions --------------------------------------------------------------------------

    def features(self) -> list[FeatureRecord]:
        """Every registered feature with its status, sorted by name."""
        self._ensure_loaded()
        return sorted(self._records.values(), key=lambda r: r.name)

    def names(self) -> list[str]:
        """The names of every registered feature, sorted."""
        self._ensure_loaded()
        return sorted(self._records)

    def get(self, name: str) -> FeatureRecord:
        """The record of feature ``name``.

        Raises:
            FeatureNotFoundError: no installed plugin provides it; the error lists the
                closest names.
        """
        self._ensure_loaded()
        try:
            return self._records[name]
        except KeyError:
            raise FeatureNotFoundError(name, self.suggest(name), "fledge.experimental") from None

    def problems(self) -> list[Problem]:
        """Every problem recorded so far, in the order met."""
        self._ensure_loaded()
        return list(self._problems)

    def suggest(self, name: str) -> list[str]:
        """The known feature names closest to ``name``, best first."""
        import difflib

        return difflib.get_close_matches(name, list(self._records), n=3, cutoff=0.5)

    def internal_packages(self) -> tuple[str, ...]:
        """Top-level packages whose code loads features without the experimental notice."""
        self._ensure_loaded()
        tops = {record.feature.module.partition(".")[0] for record in self._records.values()}
        tops.update(module.__name__.partition(".")[0] for module in self._plugin_modules.values())
        return tuple(sorted(tops.union(HOST_PACKAGES)))

    # -- first use --------------------------------------------------------------------------

    def load(self, name: str) -> ModuleType:
        """Import feature ``name``'s implementation module and check its exports.

        No notice is emitted here: this is the host's own loading. The first successful load
        calls the ``fledge_feature_loaded`` hook.

        Raises:
            FeatureNotFoundError: the feature is unknown.
            FeatureUnavailableError: it is incompatible, blocked or broken; the error holds
                the problem and says how to fix it.
        """
        with self._lock:
            if name in self._modules:
                return self._modules[name]
            record = self.get(name)
            if record.status is not Status.OK:
                raise self.unavailable(record)
            module = self._import_implementation(record)
            self._modules[name] = module
        self._notify_loaded(record, module)
        return module

    def unavailable(self, record: FeatureRecord) -> FeatureUnavailableError:
        """The error that explains why ``record``'s feature cannot be used."""
        problem = record.problem
        assert problem is not None, "unavailable() needs a record with a problem"
        message = (
            f"fledge.experimental.{record.name} is {record.status.value}: {problem.reason}. "
            f"Fix: {problem.fix}. Run `fledge doctor` for details."
        )
        return FeatureUnavailableError(record.name, problem, message)

    def _import_implementation(self, record: FeatureRecord) -> ModuleType:
        feature = record.feature
        try:
            module = importlib.import_module(feature.module)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, then re-raised
            problem = self._feature_problem(
                record, ProblemKind.IMPLEMENTATION_ERROR,
                f"its module {feature.module!r} failed to import: {_describe(exc)}",
            )
            raise self.unavailable(self._mark(record, Status.BROKEN, problem)) from exc
        missing = [name for name in feature.exports if not hasattr(module, name)]
        if missing:
            problem = self._feature_problem(
                record, ProblemKind.MISSING_EXPORT,
                f"its module {feature.module!r} does not define {', '.join(missing)} "
                "listed in 'exports'",
            )
            raise self.unavailable(self._mark(record, Status.BROKEN, problem))
        return module

    def _notify_loaded(self, record: FeatureRecord, module: ModuleType) -> None:
        for impl in self.pm.hook.fledge_feature_loaded.get_hookimpls():
            try:
                impl.function(feature=record.feature, module=module)
            except Exception as exc:  # noqa: BLE001 - a listener never stops a feature loading
                self._problems.append(self._plugin_problem(
                    ProblemKind.HOOK_ERROR, self._plugin_origins[impl.plugin_name],
                    f"its fledge_feature_loaded hook raised {_describe(exc)}",
                ))

    def _mark(self, record: FeatureRecord, status: Status, problem: Problem) -> FeatureRecord:
        marked = record.with_problem(status, problem)
        self._records[record.name] = marked
        return marked

    # -- discovery --------------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self._discover()
                self._loaded = True

    def _origins(self) -> list[Origin]:
        if self._path is None:
            found: Iterable[metadata.EntryPoint] = metadata.entry_points(group=ENTRY_POINT_GROUP)
        else:
            found = [
                ep
                for dist in metadata.distributions(path=self._path)
                for ep in dist.entry_points
                if ep.group == ENTRY_POINT_GROUP
            ]
        origins = [Origin.of(ep) for ep in found]
        # Built-ins first, then a stable order, so "first come" on a name clash is predictable.
        return sorted(origins, key=lambda o: (o.distribution != BUILTIN_DISTRIBUTION,
                                              o.distribution or "", o.plugin))

    def _discover(self) -> None:
        switches = Switches(self._environ)
        versions = VersionCache()
        for origin in self._origins():
            dist = origin.distribution
            refusal = switches.plugin_refusal(origin.plugin, dist, dist == BUILTIN_DISTRIBUTION)
            if refusal is not None:
                self._problems.append(self._plugin_problem(
                    ProblemKind.BLOCKED, origin,
                    f"not loaded: {switch_reason(refusal)}", switch=refusal,
                ))
                continue
            module = self._load_plugin(origin)
            if module is None:
                continue
            for feature in self._collect_features(origin, module):
                self._add_feature(origin, feature, switches, versions)

    def _load_plugin(self, origin: Origin) -> ModuleType | None:
        ep = origin.entry_point
        try:
            plugin = ep.load()
        except SyntaxError as exc:
            where = f"{exc.filename}:{exc.lineno}" if exc.filename else "its module"
            self._problems.append(self._plugin_problem(
                ProblemKind.SYNTAX_ERROR, origin,
                f"its module {ep.value!r} has a syntax error at {where}: {exc.msg}",
            ))
            return None
        except AttributeError as exc:
            self._problems.append(self._plugin_problem(
                ProblemKind.BAD_ENTRY_POINT, origin,
                f"its entry point {ep.value!r} names something that does not exist: "
                f"{_describe(exc)}",
            ))
            return None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - isolate every plugin failure
            self._problems.append(self._plugin_problem(
                ProblemKind.IMPORT_ERROR, origin,
                f"its module {ep.value!r} failed to import: {_describe(exc)}",
            ))
            return None
        if not isinstance(plugin, ModuleType) and not hasattr(plugin, "__dict__"):
            self._problems.append(self._plugin_problem(
                ProblemKind.BAD_ENTRY_POINT, origin,
                f"its entry point {ep.value!r} is a {type(plugin).__name__}, not a module",
            ))
            return None
        try:
            self.pm.register(plugin, name=ep.name)
        except pluggy.PluginValidationError as exc:
            self._problems.append(self._plugin_problem(
                ProblemKind.INVALID_HOOKIMPL, origin, _describe(exc),
            ))
            return None
        except ValueError as exc:  # the same module or name registered twice
            self._problems.append(self._plugin_problem(
                ProblemKind.BAD_ENTRY_POINT, origin,
                f"it could not be registered: {exc}",
            ))
            return None
        self._plugin_modules[ep.name] = plugin
        self._plugin_origins[ep.name] = origin
        return plugin

    def _collect_features(self, origin: Origin, plugin: Any) -> list[Feature]:
        impls = [i for i in self.pm.hook.fledge_features.get_hookimpls() if i.plugin is plugin]
        features: list[Feature] = []
        for impl in impls:
            try:
                returned = impl.function()
            except ManifestError as exc:
                kind = (ProblemKind.RESERVED_NAME if isinstance(exc, ReservedNameError)
                        else ProblemKind.INVALID_MANIFEST)
                self._problems.append(self._plugin_problem(
                    kind, origin, str(exc.in_plugin(origin.plugin, origin.label)),
                    feature=exc.feature,
                ))
                continue
            except Exception as exc:  # noqa: BLE001 - isolate every plugin failure
                self._problems.append(self._plugin_problem(
                    ProblemKind.HOOK_ERROR, origin,
                    f"its fledge_features hook raised {_describe(exc)}",
                ))
                continue
            if isinstance(returned, Feature):
                returned = [returned]
            if returned is None or isinstance(returned, (str, bytes, Mapping)) or not isinstance(
                returned, Iterable
            ):
                self._problems.append(self._plugin_problem(
                    ProblemKind.NOT_A_FEATURE, origin,
                    f"its fledge_features hook returned {_short_repr(returned)}, "
                    "not a list of fledge.Feature",
                ))
                continue
            items = list(returned)
            if not items:
                self._problems.append(self._plugin_problem(
                    ProblemKind.NO_FEATURES, origin,
                    "its fledge_features hook returned no features",
                ))
            for item in items:
                if isinstance(item, Feature):
                    features.append(item)
                else:
                    self._problems.append(self._plugin_problem(
                        ProblemKind.NOT_A_FEATURE, origin,
                        f"its fledge_features hook returned {_short_repr(item)}, "
                        "which is not a fledge.Feature",
                    ))
        return features

    def _add_feature(
        self,
        origin: Origin,
        feature: Feature,
        switches: Switches,
        versions: VersionCache,
    ) -> None:
        existing = self._records.get(feature.name)
        if existing is not None:
            self._problems.append(self._plugin_problem(
                ProblemKind.DUPLICATE_NAME, origin,
                f"feature name {feature.name!r} is already provided by plugin "
                f"{existing.plugin!r} (dist {existing.distribution} {existing.version}); "
                "this one was not registered",
                feature=feature.name,
            ))
            return
        record = FeatureRecord(feature, origin.plugin, origin.distribution, origin.version)
        self._records[feature.name] = record
        if switches.feature_blocked(feature.name):
            problem = self._feature_problem(
                record, ProblemKind.BLOCKED, f"blocked: {switch_reason(BLOCK)}", switch=BLOCK
            )
            self._mark(record, Status.BLOCKED, problem)
            return
        for requirement, spec in feature.requires.items():
            unmet = versions.check(requirement, spec)
            if unmet is not None:
                kind, reason = unmet
                problem = self._feature_problem(
                    record, kind, reason, requirement=f"{requirement}{spec}"
                )
                self._mark(record, Status.INCOMPATIBLE, problem)
                return

    # -- problem building -------------------------------------------------------------------

    def _plugin_problem(
        self,
        kind: ProblemKind,
        origin: Origin,
        reason: str,
        *,
        feature: str | None = None,
        **fix_fields: str,
    ) -> Problem:
        fix = FIXES[kind].format(
            dist=origin.distribution or f"the plugin {origin.plugin!r}", **fix_fields
        )
        return Problem(kind, origin.plugin, origin.distribution, origin.version, reason, fix,
                       feature)

    def _feature_problem(
        self, record: FeatureRecord, kind: ProblemKind, reason: str, **fix_fields: str
    ) -> Problem:
        fix = FIXES[kind].format(
            dist=record.distribution or f"the plugin {record.plugin!r}", **fix_fields
        )
        problem = Problem(
            kind, record.plugin, record.distribution, record.version, reason, fix, record.name
        )
        self._problems.append(problem)
        return problem


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
