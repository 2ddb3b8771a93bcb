"""What the registry knows about each plugin and feature: problems and feature records.

The records are small immutable classes with ``__slots__`` rather than dataclasses: they are
defined when a namespace serves its first feature, and a dataclass costs far more to define.
"""

from __future__ import annotations

import enum
from typing import Any

from ._manifest import Feature

__all__ = ["FeatureRecord", "Problem", "ProblemKind", "Status"]


class ProblemKind(str, enum.Enum):
    """Every way a plugin or feature can fail to load. Each has a fix in `FIXES`."""

    SYNTAX_ERROR = "syntax-error"
    IMPORT_ERROR = "import-error"
    BAD_ENTRY_POINT = "bad-entry-point"
    INVALID_HOOKIMPL = "invalid-hookimpl"
    HOOK_ERROR = "hook-error"
    NO_FEATURES = "no-features"
    NOT_A_FEATURE = "not-a-feature"
    INVALID_MANIFEST = "invalid-manifest"
    RESERVED_NAME = "reserved-name"
    DUPLICATE_NAME = "duplicate-name"
    MISSING_REQUIREMENT = "missing-requirement"
    UNMET_REQUIREMENT = "unmet-requirement"
    IMPLEMENTATION_ERROR = "implementation-error"
    MISSING_EXPORT = "missing-export"
    BLOCKED = "blocked"

    def __str__(self) -> str:
        return self.value


FIXES: dict[ProblemKind, str] = {
    ProblemKind.SYNTAX_ERROR: "fix the syntax error in the plugin module, or uninstall {dist}",
    ProblemKind.IMPORT_ERROR: (
        "install what the plugin module imports, upgrade {dist}, or uninstall it"
    ),
    ProblemKind.BAD_ENTRY_POINT: (
        "the '{group}' entry point of {dist} must name an importable module "
        "('package.module'); fix its pyproject.toml and reinstall"
    ),
    ProblemKind.INVALID_HOOKIMPL: (
        "rename or fix the @fledge.hookimpl function so that it matches a hook in "
        "fledge.hookspecs (see `fledge info` docs: 'Hook reference')"
    ),
    ProblemKind.HOOK_ERROR: "report it to the maintainers of {dist}, or uninstall it",
    ProblemKind.NO_FEATURES: "make the plugin's fledge_features hook return its Feature list",
    ProblemKind.NOT_A_FEATURE: (
        "make fledge_features return a list of fledge.Feature objects"
    ),
    ProblemKind.INVALID_MANIFEST: (
        "correct the field in the plugin's Feature(...) manifest (for an in-tree feature: "
        "in its package's __init__.py)"
    ),
    ProblemKind.RESERVED_NAME: "rename the feature: that name belongs to the host",
    ProblemKind.DUPLICATE_NAME: (
        "uninstall one of the two distributions, or block one with {block}"
    ),
    ProblemKind.MISSING_REQUIREMENT: "pip install '{requirement}'",
    ProblemKind.UNMET_REQUIREMENT: "pip install '{requirement}'",
    ProblemKind.IMPLEMENTATION_ERROR: (
        "install the module its implementation could not import, or upgrade {dist}; if it "
        "raised anything but an ImportError, report it to the maintainers of {dist}"
    ),
    ProblemKind.MISSING_EXPORT: (
        "the feature's manifest lists a name its module does not define: fix 'exports' or "
        "the module, or upgrade {dist}"
    ),
    ProblemKind.BLOCKED: (
        "change {switch}: take it out of the block list, or add it to the allow list"
    ),
}


class Status(str, enum.Enum):
    """Whether a feature can be used."""

    OK = "ok"
    INCOMPATIBLE = "incompatible"  # a requirement is missing or at the wrong version
    BROKEN = "broken"  # its implementation failed to import or lacks an export
    BLOCKED = "blocked"  # the user's switches keep it out

    def __str__(self) -> str:
        return self.value


class _Frozen:
    """Immutable, compared and hashed by the values of its slots."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Problem(_Frozen):
    """One thing that went wrong while discovering or loading a plugin or feature.

    Attributes:
        kind: what went wrong.
        plugin: the entry point name of the plugin.
        distribution: the distribution that ships it, or None when unknown.
        version: that distribution's version, or None when unknown.
        feature: the feature concerned, when the problem is about one feature.
        reason: what happened, in a sentence (with the original error's text).
        fix: what the user can do about it.
    """

    __slots__ = ("kind", "plugin", "distribution", "version", "reason", "fix", "feature")
    kind: ProblemKind
    plugin: str
    distribution: str | None
    version: str | None
    reason: str
    fix: str
    feature: str | None

    def __init__(self, kind: ProblemKind, plugin: str, distribution: str | None,
                 version: str | None, reason: str, fix: str, feature: str | None = None
                 ) -> None:
        put = object.__setattr__
        put(self, "kind", kind)
        put(self, "plugin", plugin)
        put(self, "distribution", distribution)
        put(self, "version", version)
        put(self, "reason", reason)
        put(self, "fix", fix)
        put(self, "feature", feature)

    @property
    def is_error(self) -> bool:
        """False for problems the user asked for (blocked plugins)."""
        return self.kind is not ProblemKind.BLOCKED

    @property
    def subject(self) -> str:
        """``plugin 'x' (dist fledge-x 0.2)``, plus the feature when there is one."""
        dist = f" (dist {self.distribution} {self.version or '?'})" if self.distribution else ""
        feature = f", feature {self.feature!r}" if self.feature else ""
        return f"plugin {self.plugin!r}{dist}{feature}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "kind": self.kind.value,
            "plugin": self.plugin,
            "distribution": self.distribution,
            "version": self.version,
            "feature": self.feature,
            "reason": self.reason,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason} (fix: {self.fix})"


class FeatureRecord(_Frozen):
    """A feature as the registry holds it: the manifest plus where it came from and its status.

    Attributes:
        feature: the manifest.
        plugin: the entry point name of the plugin that declared it (an in-tree feature's
            folder name).
        distribution: the distribution that ships the plugin.
        version: that distribution's version.
        status: whether it can be used.
        problem: why not, when ``status`` is not ``ok``.
        namespace: the host's namespace that serves it, e.g. ``trl.experimental``.
        source: ``plugin`` (an entry point) or ``in-tree`` (a subpackage of the namespace).
    """

    __slots__ = ("feature", "plugin", "distribution", "version", "status", "problem",
                 "namespace", "source")
    feature: Feature
    plugin: str
    distribution: str | None
    version: str | None
    status: Status
    problem: Problem | None
    namespace: str
    source: str

    def __init__(self, feature: Feature, plugin: str, distribution: str | None,
                 version: str | None, status: Status = Status.OK, problem: Problem | None = None,
                 namespace: str = "", source: str = "plugin") -> None:
        put = object.__setattr__
        put(self, "feature", feature)
        put(self, "plugin", plugin)
        put(self, "distribution", distribution)
        put(self, "version", version)
        put(self, "status", status)
        put(self, "problem", problem)
        put(self, "namespace", namespace)
        put(self, "source", source)

    @property
    def name(self) -> str:
        return self.feature.name

    @property
    def import_path(self) -> str:
        """Where users import it from: the stable path once promoted, else the namespace's."""
        return self.feature.import_path_in(self.namespace or None)

    def with_problem(self, status: Status, problem: Problem) -> FeatureRecord:
        """This record with ``status`` and the ``problem`` that explains it."""
        return FeatureRecord(self.feature, self.plugin, self.distribution, self.version,
                             status, problem, self.namespace, self.source)

    def to_dict(self) -> dict[str, Any]:
        """The keys of ``fledge list --json``: every manifest field plus provenance."""
        out = self.feature.to_dict()
        out.update(
            plugin=self.plugin,
            distribution=self.distribution,
            version=self.version,
            status=self.status.value,
            problem=None if self.problem is None else self.problem.to_dict(),
            import_path=self.import_path,
            namespace=self.namespace,
            source=self.source,
        )
        return out
