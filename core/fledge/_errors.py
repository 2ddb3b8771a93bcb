"""The one tree of fledge's exceptions.

Every error keeps its culprit (feature, plugin, distribution) as attributes, and its message
says what happened, to what, and what to do about it.
"""

from __future__ import annotations


class FledgeError(Exception):
    """Root of every exception fledge raises on purpose."""


class ManifestError(FledgeError, ValueError):
    """A feature manifest broke a rule.

    Attributes:
        field: the manifest field at fault (``name``, ``stage``, ...).
        expected: the rule the value had to follow, in words.
        got: the offending value.
        feature: the feature's name when it was known at the time of the error.
        plugin: the entry point name of the plugin that declared it, once known.
        distribution: the distribution (and version) that ships the plugin, once known.
    """

    def __init__(
        self,
        field: str,
        expected: str,
        got: object,
        *,
        feature: str | None = None,
        plugin: str | None = None,
        distribution: str | None = None,
    ) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self.feature = feature
        self.plugin = plugin
        self.distribution = distribution
        super().__init__(self._message())

    def _message(self) -> str:
        subject = []
        if self.plugin is not None:
            subject.append(f"plugin {self.plugin!r}")
        if self.distribution is not None:
            subject.append(f"(dist {self.distribution})")
        if self.feature is not None:
            subject.append(f"feature {self.feature!r}")
        prefix = (" ".join(subject) + ": ") if subject else ""
        return f"{prefix}field {self.field!r} {self.expected}; got {self.got!r}"

    def in_plugin(self, plugin: str, distribution: str | None) -> ManifestError:
        """Return a copy of this error that also names the plugin and distribution."""
        return type(self)(
            self.field,
            self.expected,
            self.got,
            feature=self.feature,
            plugin=plugin,
            distribution=distribution,
        )

    def __reduce__(self):  # keep keyword-only attributes through pickling (multiprocessing)
        return (_rebuild_manifest_error, (type(self), self.__dict__.copy()))


def _rebuild_manifest_error(cls: type[ManifestError], state: dict) -> ManifestError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._message())
    return error


class ReservedNameError(ManifestError):
    """A feature's name would shadow a module or attribute of the host."""


class FeatureNotFoundError(FledgeError, ModuleNotFoundError):
    """No installed plugin provides a feature of that name.

    Attributes:
        feature: the name that was asked for.
        suggestions: the closest known names, best first.
    """

    def __init__(self, feature: str, suggestions: list[str], namespace: str, *,
                 list_command: str = "fledge list",
                 doctor_command: str = "fledge doctor") -> None:
        self.feature = feature
        self.suggestions = suggestions
        hint = (
            f" Did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else ""
        )
        super().__init__(
            f"no feature named {feature!r} is installed in {namespace}.{hint} "
            f"Run `{list_command}` to see the installed features and `{doctor_command}` "
            "for plugins that failed to load.",
            name=f"{namespace}.{feature}",
        )


class HostNotFoundError(FledgeError, LookupError):
    """``--host`` (or the catalogue's ``host:``) named no known host.

    Attributes:
        host: what was asked for.
        known: the names of the hosts that are registered.
    """

    def __init__(self, host: str, known: list[str], reason: str = "") -> None:
        self.host = host
        self.known = known
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"no fledge host {host!r}{why}. Known hosts: {', '.join(known) or 'none'}. "
            "Pass a registered name (`fledge hosts` lists them) or the import path of a "
            "namespace whose __init__ calls Host(...).serve(); a library registers its host "
            "with an entry point in the 'fledge.hosts' group."
        )


class FeatureUnavailableError(FledgeError, ImportError):
    """A feature is installed but cannot be used: incompatible, broken, blocked or retired.

    Attributes:
        feature: the feature's name.
        problem: the `fledge.Problem` that explains why.
    """

    def __init__(self, feature: str, problem: object, message: str) -> None:
        self.feature = feature
        self.problem = problem
        super().__init__(message, name=feature)


# Tracebacks and reprs name the public home of these classes, not this private module.
for _public in (FledgeError, ManifestError, ReservedNameError, FeatureNotFoundError,
                HostNotFoundError, FeatureUnavailableError):
    _public.__module__ = "fledge"
del _public
