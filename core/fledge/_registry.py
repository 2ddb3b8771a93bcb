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
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._errors import (
    FeatureNotFoundError,
    FeatureUnavailableError,
    ManifestError,
    ReservedNameError,
)
from ._intree import Folder, read_feature
from ._manifest import Feature
from ._origins import Origin, VersionCache, find_origins
from ._output import plugin_output
from ._plugins import collect_features, describe, load_plugin
from ._records import FIXES, FeatureRecord, Problem, ProblemKind, Status
from ._stability import FledgeWarning
from ._switches import Switches, SwitchIssue, silence_issues, warn_once

if TYPE_CHECKING:
    import pluggy

    from ._host import Host

__all__ = ["Registry", "set_default_host"]

# fledge's own host, what ``Registry(host=None)`` means. `fledge._fledge_host`, which sits
# above this module, hands it down when it is imported, so the registry never imports upward.
_default_host: Host | None = None


def set_default_host(host: Host) -> None:
    """Make ``host`` the one a registry serves when it is given none (fledge's own)."""
    global _default_host
    _default_host = host


class Registry:
    """Every feature of one host, and every problem met while finding them.

    The registry loads lazily: nothing is imported until the first question. It imports each
    plugin's light module only; a feature's implementation module is imported by
    `load`, on first use. In-tree features (the subpackages of the host's namespace folder)
    are read without importing them, and one of them is found without loading the plugins.

    Args:
        path: search these folders for distributions instead of ``sys.path`` (tests use
            sample ``*.dist-info`` folders); the folders must also be importable.
        environ: the environment to read switches from; defaults to ``os.environ``.
        host: the host whose features these are; defaults to fledge's own,
            ``fledge.experimental``.
    """

    def __init__(
        self,
        *,
        path: list[str] | None = None,
        environ: Mapping[str, str] | None = None,
        host: Host | None = None,
    ) -> None:
        if host is None:
            if _default_host is None:
                raise TypeError("Registry(host=None) means fledge's own host: create it as "
                                "fledge.Registry(...), or pass host=")
            host = _default_host
        self.host: Host = host
        self._path = path
        self._environ = os.environ if environ is None else environ
        self._lock = threading.RLock()
        self._loaded = False
        self._records: dict[str, FeatureRecord] = {}
        self._problems: list[Problem] = []
        self._modules: dict[str, ModuleType] = {}
        self._plugin_modules: dict[str, ModuleType] = {}
        self._plugin_origins: dict[str, Origin] = {}
        self._pm: pluggy.PluginManager | None = None
        self._switches: Switches | None = None
        self._versions: VersionCache | None = None
        self._folder: Folder | None = None
        self._seen_plugins: set[str] = set()  # entry point and distribution names found
        self._unnamable: set[str] = set()  # namespace folders whose name is no feature's
        self._taken: frozenset[str] = frozenset()
        #: Above zero while the registry itself imports an in-tree feature (no notice then).
        self.quiet_loads = 0

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager that holds the loaded plugins and their hooks."""
        if self._pm is None:
            import pluggy

            from . import hookspecs

            pm = pluggy.PluginManager("fledge")
            pm.add_hookspecs(hookspecs)
            self._pm = pm
        return self._pm

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
        record = self._records.get(name) if self._loaded else self.in_tree(name)
        if record is not None:
            return record
        self._ensure_loaded()
        try:
            return self._records[name]
        except KeyError:
            raise FeatureNotFoundError(name, self.suggest(name), self.host.namespace,
                                       list_command=self.host.command("list"),
                                       doctor_command=self.host.command("doctor")) from None

    def problems(self) -> list[Problem]:
        """Every problem recorded so far, in the order met."""
        self._ensure_loaded()
        return list(self._problems)

    def suggest(self, name: str) -> list[str]:
        """The known feature names closest to ``name``, best first."""
        import difflib

        return difflib.get_close_matches(name, list(self._records), n=3, cutoff=0.5)

    def internal_packages(self) -> tuple[str, ...]:
        """Top-level packages whose code loads features without the experimental notice.

        The host's ``quiet`` packages and those of every feature and plugin loaded so far
        (a plugin not yet loaded has not imported anything either).
        """
        tops = {record.feature.module.partition(".")[0] for record in self._records.values()}
        tops.update(module.__name__.partition(".")[0] for module in self._plugin_modules.values())
        return tuple(sorted(tops.union(self.host.quiet)))

    # -- in-tree features -------------------------------------------------------------------

    def _tree(self) -> Folder:
        if self._folder is None:
            self._folder = Folder(self.host.folders)
        return self._folder

    def plain_modules(self) -> frozenset[str]:
        """The namespace folder's modules that are not features (``utils.py``)."""
        return self._tree().plain_modules()

    def in_tree(self, name: str) -> FeatureRecord | None:
        """The record of in-tree feature ``name``, read without loading any plugin; or None."""
        record = self._records.get(name)
        if record is not None:
            return record if record.source == "in-tree" else None
        init = self._tree().package(name)
        if init is None or name in self._unnamable:
            return None
        with self._lock:
            record = self._records.get(name)
            if record is None:
                record = self._add_in_tree(name, init)
        return record

    def _add_in_tree(self, name: str, init: Path) -> FeatureRecord | None:
        try:
            feature, error = read_feature(name, init, self.host.namespace, self.host.version)
        except ManifestError as exc:  # the folder's name cannot be a feature's ('class')
            kind = (ProblemKind.RESERVED_NAME if isinstance(exc, ReservedNameError)
                    else ProblemKind.INVALID_MANIFEST)
            self._unnamable.add(name)
            self._problems.append(self._problem(
                kind, name, self.host.distribution, self.host.version,
                f"its folder {init.parent} cannot be a feature: {exc}", name,
                f"rename the folder (a feature's name is an ASCII identifier that is not "
                f"{self.host.namespace}'s own), or make it private with a leading '_'", {}))
            return None
        record = FeatureRecord(feature, name, self.host.distribution, self.host.version,
                               namespace=self.host.namespace, source="in-tree")
        self._records[name] = record
        if error is not None:
            problem = self._feature_problem(record, ProblemKind.INVALID_MANIFEST, str(error))
            return self._mark(record, Status.BROKEN, problem)
        return self._check_feature(record)

    def run_in_tree(self, record: FeatureRecord, module: ModuleType, loader: Any) -> None:
        """Execute in-tree feature ``record``'s package into ``module`` and check its exports.

        Raises:
            FeatureUnavailableError: the package failed to run or lacks an export; the
                failure is recorded as a problem.
        """
        try:
            loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, then re-raised
            problem = self._feature_problem(
                record, ProblemKind.IMPLEMENTATION_ERROR,
                f"its package {record.feature.module!r} failed to import: {describe(exc)}",
            )
            raise self.unavailable(self._mark(record, Status.BROKEN, problem)) from exc
        self._check_exports(record, module)
        with self._lock:
            self._modules[record.name] = module
        if self._loaded:
            self._notify_loaded(record, module)

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
            if record.source == "in-tree":  # its own package: the namespace's import hook
                self.quiet_loads += 1  # records and tells the plugins; no notice for us
                try:
                    with plugin_output():
                        return importlib.import_module(record.feature.module)
                finally:
                    self.quiet_loads -= 1
            module = self._import_implementation(record)
            self._modules[name] = module
        if self._loaded:
            self._notify_loaded(record, module)
        return module

    def unavailable(self, record: FeatureRecord) -> FeatureUnavailableError:
        """The error that explains why ``record``'s feature cannot be used."""
        problem = record.problem
        assert problem is not None, "unavailable() needs a record with a problem"
        message = (
            f"{self.host.namespace}.{record.name} is {record.status.value}: {problem.reason}. "
            f"Fix: {problem.fix}. Run `{self.host.command('doctor')}` for details."
        )
        return FeatureUnavailableError(record.name, problem, message)

    def _import_implementation(self, record: FeatureRecord) -> ModuleType:
        feature = record.feature
        try:
            with plugin_output():
                module = importlib.import_module(feature.module)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, then re-raised
            problem = self._feature_problem(
                record, ProblemKind.IMPLEMENTATION_ERROR,
                f"its module {feature.module!r} failed to import: {describe(exc)}",
            )
            raise self.unavailable(self._mark(record, Status.BROKEN, problem)) from exc
        self._check_exports(record, module)
        return module

    def _check_exports(self, record: FeatureRecord, module: ModuleType) -> None:
        feature = record.feature
        missing = [name for name in feature.exports if not hasattr(module, name)]
        if missing:
            problem = self._feature_problem(
                record, ProblemKind.MISSING_EXPORT,
                f"its module {feature.module!r} does not define {', '.join(missing)} "
                "listed in 'exports'",
            )
            raise self.unavailable(self._mark(record, Status.BROKEN, problem))

    def _notify_loaded(self, record: FeatureRecord, module: ModuleType) -> None:
        for impl in self.pm.hook.fledge_feature_loaded.get_hookimpls():
            try:
                impl.function(feature=record.feature, module=module)
            except Exception as exc:  # noqa: BLE001 - a listener never stops a feature loading
                self._problems.append(self._plugin_problem(
                    ProblemKind.HOOK_ERROR, self._plugin_origins[impl.plugin_name],
                    f"its fledge_feature_loaded hook raised {describe(exc)}",
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
                # In-tree features imported before the plugins loaded: tell the plugins now.
                for name, module in list(self._modules.items()):
                    self._notify_loaded(self._records[name], module)

    @property
    def switches(self) -> Switches:
        """The user's plugin switches, read from the environment once.

        A value outside the accepted ones warns once (a `fledge.FledgeWarning`) when read.
        """
        if self._switches is None:
            switches = Switches(self._environ, self.host.switch_prefix)
            for issue in switches.issues:
                warn_once(issue, FledgeWarning)
            self._switches = switches
        return self._switches

    def switch_issues(self) -> list[SwitchIssue]:
        """Every switch of this host whose value is not accepted or names nothing installed.

        The plugin switches and the silence variables (``<PREFIX>_EXPERIMENTAL_SILENCE``),
        read from this registry's environment; ``fledge doctor`` lists them as notes.
        """
        self._ensure_loaded()
        # A blocked plugin's features are unknown: its entry point name stands for them.
        known = {*self._records, *self._seen_plugins}
        return [*self.switches.issues, *self.switches.unmatched(self._seen_plugins, known),
                *silence_issues(self.host.silence_variables, self._environ, known,
                                self.host.namespace, self.host.command("list"))]

    def _discover(self) -> None:
        switches = self.switches
        for name, init in self._tree().packages().items():
            if name not in self._records and name not in self._unnamable:
                self._add_in_tree(name, init)
        builtin = self.host.builtin
        self._taken = self.host.reserved | self.plain_modules()
        with plugin_output():  # once around every plugin's import and registration hook
            for origin in find_origins(self.host.group, self._path, builtin):
                dist = origin.distribution
                self._seen_plugins.update(n for n in (origin.plugin, dist) if n)
                refusal = switches.plugin_refusal(origin.plugin, dist, dist in builtin)
                if refusal is not None:
                    self._problems.append(self._plugin_problem(
                        ProblemKind.BLOCKED, origin,
                        f"not loaded: {switches.reason(refusal)}", switch=refusal,
                        fix=switches.fix(refusal, origin.plugin),
                    ))
                    continue
                module = load_plugin(self.pm, origin, self._report)
                if module is None:
                    continue
                self._plugin_modules[origin.plugin] = module
                self._plugin_origins[origin.plugin] = origin
                for feature in collect_features(self.pm, origin, module, self._report):
                    self._add_feature(origin, feature)

    def _report(self, kind: ProblemKind, origin: Origin, reason: str,
                feature: str | None = None, fix: str | None = None) -> None:
        self._problems.append(self._plugin_problem(kind, origin, reason, feature=feature,
                                                   fix=fix))

    def _add_feature(self, origin: Origin, feature: Feature) -> None:
        existing = self._records.get(feature.name)
        if existing is not None:
            by = (f"the in-tree feature {existing.import_path}" if existing.source == "in-tree"
                  else f"plugin {existing.plugin!r}")
            self._problems.append(self._plugin_problem(
                ProblemKind.DUPLICATE_NAME, origin,
                f"feature name {feature.name!r} is already provided by {by} "
                f"(dist {existing.distribution} {existing.version}); "
                "this one was not registered",
                feature=feature.name,
            ))
            return
        if feature.name in self._taken:
            self._problems.append(self._plugin_problem(
                ProblemKind.RESERVED_NAME, origin,
                f"feature name {feature.name!r} is reserved by {self.host.namespace} (a module "
                "or package of the host, not a feature); this one was not registered",
                feature=feature.name,
            ))
            return
        record = FeatureRecord(feature, origin.plugin, origin.distribution, origin.version,
                               namespace=self.host.namespace)
        self._records[feature.name] = record
        self._check_feature(record)

    def _check_feature(self, record: FeatureRecord) -> FeatureRecord:
        """Apply the block switch and the feature's requirements; return the record."""
        switches = self.switches
        if switches.feature_blocked(record.name):
            block = switches.block_variable
            problem = self._feature_problem(
                record, ProblemKind.BLOCKED, f"blocked: {switches.reason(block)}", switch=block,
                fix=switches.fix(block, record.name),
            )
            return self._mark(record, Status.BLOCKED, problem)
        if self._versions is None:
            self._versions = VersionCache()
        for requirement, spec in record.feature.requires.items():
            unmet = self._versions.check(requirement, spec)
            if unmet is not None:
                kind, reason = unmet
                problem = self._feature_problem(
                    record, kind, reason, requirement=f"{requirement}{spec}"
                )
                return self._mark(record, Status.INCOMPATIBLE, problem)
        return record

    # -- problem building -------------------------------------------------------------------

    def _plugin_problem(self, kind: ProblemKind, origin: Origin, reason: str, *,
                        feature: str | None = None, fix: str | None = None,
                        **fix_fields: str) -> Problem:
        return self._problem(kind, origin.plugin, origin.distribution, origin.version, reason,
                             feature, fix, fix_fields)

    def _feature_problem(self, record: FeatureRecord, kind: ProblemKind, reason: str,
                         fix: str | None = None, **fix_fields: str) -> Problem:
        problem = self._problem(kind, record.plugin, record.distribution, record.version,
                                reason, record.name, fix, fix_fields)
        self._problems.append(problem)
        return problem

    def _problem(self, kind: ProblemKind, plugin: str, dist: str | None, version: str | None,
                 reason: str, feature: str | None, fix: str | None,
                 fix_fields: dict[str, str]) -> Problem:
        """The problem, with ``fix`` or else the kind's fix from `FIXES` filled in."""
        if fix is None:
            fix = FIXES[kind].format(dist=dist or f"the plugin {plugin!r}",
                                     group=self.host.group,
                                     block=self.switches.block_variable, **fix_fields)
        return Problem(kind, plugin, dist, version, reason, fix, feature)
