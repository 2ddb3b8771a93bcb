"""The host: the description of one experimental namespace, and its state in this process.

``fledge.experimental`` is one host; a library makes its own ``pkg.experimental`` another
with a few lines in that package's ``__init__.py``::

    from fledge import Host
    from ..import_utils import TRLExperimentalWarning

    host = Host("trl.experimental", warning=TRLExperimentalWarning)
    __getattr__, __dir__ = host.serve()

Each host has its own registry, notices, silencing and switches; several live side by side.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ._errors import FledgeError
from ._stability import EXPERIMENTAL_TEXT, NOTICE_FIELDS, ExperimentalWarning, Notices
from ._switches import switch_names

if TYPE_CHECKING:
    from ._registry import Registry

__all__ = ["Host", "HostError", "served_hosts"]

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SERVED: dict[str, Host] = {}  # namespace -> the host serving it in this process


class HostError(FledgeError, ValueError):
    """A `Host` was described wrongly, or used where it cannot work.

    Attributes:
        field: the argument at fault.
        got: the offending value.
    """

    def __init__(self, field: str, message: str, got: object) -> None:
        self.field = field
        self.got = got
        super().__init__(f"fledge.Host: {field!r} {message}; got {got!r}")


class Host:
    """One experimental namespace: where its features live and how they announce themselves.

    Every argument but ``namespace`` has a default derived from it, shown here for
    ``Host("trl.experimental")``.

    Args:
        namespace: the namespace's import path, e.g. ``trl.experimental``. When it is a
            package folder, each of its subpackages is an in-tree feature.
        name: the short name that ``fledge --host`` and ``fledge hosts`` use (``trl``: the
            first part of the namespace).
        group: the entry point group third-party plugins register in (the namespace,
            ``trl.experimental``).
        warning: the experimental notice's warning class (`fledge.ExperimentalWarning`);
            the library's own class need not subclass fledge's.
        silence_variables: the environment variables that silence the notice, all (``1``)
            or a comma list of features (``TRL_EXPERIMENTAL_SILENCE``).
        switch_prefix: the prefix of the plugin switches (``TRL_EXPERIMENTAL`` makes
            ``TRL_EXPERIMENTAL_PLUGINS_BLOCK``, ``TRL_EXPERIMENTAL_PLUGINS_ALLOW``,
            ``TRL_EXPERIMENTAL_DISABLE_PLUGIN_AUTOLOAD``).
        quiet: packages whose own loading of a feature never warns (``trl``).
        notice: the experimental notice's wording, with the placeholders ``{namespace}``,
            ``{name}``, ``{dist}``, ``{since}``, ``{variable}`` (the first silence variable)
            and ``{category}`` (fledge's wording).
        distribution: the distribution that ships the namespace, whose version is the
            default ``since`` of in-tree features (``trl``).
        builtin: distributions whose plugins are the host's own, which the autoload and
            allow switches never keep out (the ``distribution``).
        reserved: names no plugin's feature may take, besides the namespace's own modules.

    Raises:
        HostError: an argument is not what it must be; the message names it.
    """

    __slots__ = ("namespace", "name", "group", "warning", "silence_variables",
                 "switch_prefix", "quiet", "notice", "distribution", "builtin", "reserved",
                 "_notices", "_lock", "_registry", "_folders", "_version")

    def __init__(
        self,
        namespace: str,
        *,
        name: str | None = None,
        group: str | None = None,
        warning: type[Warning] = ExperimentalWarning,
        silence_variables: Sequence[str] | None = None,
        switch_prefix: str | None = None,
        quiet: Sequence[str] | None = None,
        notice: str = EXPERIMENTAL_TEXT,
        distribution: str | None = None,
        builtin: Sequence[str] | None = None,
        reserved: Sequence[str] = (),
    ) -> None:
        if not isinstance(namespace, str) or not _DOTTED.match(namespace):
            raise HostError("namespace", "must be a dotted import path such as "
                            "'trl.experimental'", namespace)
        top = namespace.partition(".")[0]
        upper = namespace.upper().replace(".", "_")
        put = object.__setattr__
        put(self, "namespace", namespace)
        put(self, "name", _text("name", name or top))
        put(self, "group", _text("group", group or namespace))
        if not (isinstance(warning, type) and issubclass(warning, Warning)):
            raise HostError("warning", "must be a Warning subclass", warning)
        put(self, "warning", warning)
        variables = (f"{upper}_SILENCE",) if silence_variables is None else silence_variables
        put(self, "silence_variables", _variables("silence_variables", variables))
        prefix = switch_prefix or upper
        _variables("switch_prefix", [prefix])
        put(self, "switch_prefix", prefix)
        put(self, "quiet", _dotted_all("quiet", (top,) if quiet is None else quiet))
        _check_notice(notice)
        put(self, "notice", notice)
        put(self, "distribution", _text("distribution", distribution or top))
        put(self, "builtin", tuple(builtin) if builtin is not None else (self.distribution,))
        put(self, "reserved", frozenset(_text("reserved", r) for r in reserved))
        put(self, "_notices", Notices(namespace, warning, self.silence_variables, notice))
        put(self, "_lock", threading.Lock())
        put(self, "_registry", None)
        put(self, "_folders", None)
        put(self, "_version", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"fledge.Host is read-only; build a new Host to change {name!r}")

    def __repr__(self) -> str:
        return f"Host({self.namespace!r}, name={self.name!r}, group={self.group!r})"

    # -- the namespace ---------------------------------------------------------------------

    def serve(self) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
        """Make the namespace module serve its features; call it from that module.

        Installs the import hook that resolves ``<namespace>.<feature>``, makes a module
        without a folder a package, and returns the module's ``__getattr__`` and
        ``__dir__`` (assign them there: ``__getattr__, __dir__ = host.serve()``).

        Raises:
            HostError: the namespace module is not being imported, or another host
                already serves it.
        """
        from . import _namespace

        module = sys.modules.get(self.namespace)
        if module is None:
            raise HostError("namespace", "must be imported when serve() is called: call "
                            "host.serve() in that module's own code", self.namespace)
        served = _SERVED.get(self.namespace)
        if served is not None and served is not self:
            raise HostError("namespace", f"is already served by {served!r}", self.namespace)
        if not hasattr(module, "__path__"):
            module.__path__ = []  # a package without folders: features come from the hook
        object.__setattr__(self, "_folders", tuple(module.__path__))
        _namespace.install_finder(self)
        _SERVED[self.namespace] = self
        return _namespace.namespace_getattr(self), _namespace.namespace_dir(self)

    @property
    def folders(self) -> tuple[str, ...]:
        """The namespace package's folders, which hold its in-tree features."""
        if self._folders is None:
            import importlib.util

            try:
                spec = importlib.util.find_spec(self.namespace)
            except (ImportError, ValueError):
                spec = None
            locations = (spec.submodule_search_locations or []) if spec else []
            object.__setattr__(self, "_folders", tuple(locations))
        return self._folders  # type: ignore[return-value]

    @property
    def version(self) -> str | None:
        """The installed version of `distribution`, or None when it is not installed."""
        if self._version is None:
            top = sys.modules.get(self.namespace.partition(".")[0])
            found = getattr(top, "__version__", None) if top and top.__name__ == (
                self.distribution) else None  # the package's own word: no metadata scan
            if not isinstance(found, str):
                from importlib import metadata

                try:
                    found = metadata.version(self.distribution)
                except metadata.PackageNotFoundError:
                    found = ""
            object.__setattr__(self, "_version", found)
        return self._version or None

    @property
    def switch_variables(self) -> tuple[str, str, str]:
        """The autoload, allow and block switch variables."""
        return switch_names(self.switch_prefix)

    @property
    def is_fledge(self) -> bool:
        """Whether this is fledge's own host, ``fledge.experimental``."""
        from ._namespace import FLEDGE_NAMESPACE

        return self.namespace == FLEDGE_NAMESPACE

    def command(self, command: str) -> str:
        """``fledge <command>``, with ``--host <name>`` unless this is fledge's own host."""
        return f"fledge {command}" if self.is_fledge else f"fledge {command} --host {self.name}"

    # -- state in this process -------------------------------------------------------------

    @property
    def notices(self) -> Notices:
        """The host's experimental notices: once per feature, silenced its own ways."""
        return self._notices

    def silence(self, *names: str) -> AbstractContextManager[None]:
        """Silence this host's experimental notice inside a ``with`` block.

        Args:
            *names: the features to silence; none means every feature.
        """
        return self._notices.silence(*names)

    def registry(self) -> Registry:
        """The host's registry of features, created on first call."""
        registry = self._registry
        if registry is None:
            with self._lock:
                if self._registry is None:
                    from ._registry import Registry

                    object.__setattr__(self, "_registry", Registry(host=self))
                registry = self._registry
        return registry  # type: ignore[return-value]

    def set_registry(self, registry: Registry | None) -> Registry | None:
        """Replace the host's registry (``None``: rebuild on next use); return the old one."""
        if registry is not None and registry.host is not self:
            raise HostError("registry", f"must be a registry of {self!r} "
                            "(Registry(host=this host))", registry)
        with self._lock:
            previous = self._registry
            object.__setattr__(self, "_registry", registry)
        return previous


def served_hosts() -> Iterator[Host]:
    """The hosts whose namespace module is imported in this process."""
    return iter(list(_SERVED.values()))


def _text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise HostError(field, "must be a non-empty, printable string", value)
    return value


def _variables(field: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise HostError(field, "must be a list of variable names, e.g. ['PKG_SILENCE']", values)
    for value in values:
        if not isinstance(value, str) or not _VARIABLE.match(value):
            raise HostError(field, "must hold environment variable names such as "
                            "'TRL_EXPERIMENTAL_SILENCE'", value)
    return tuple(values)


def _dotted_all(field: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise HostError(field, "must be a list of package names, e.g. ['trl']", values)
    for value in values:
        if not isinstance(value, str) or not _DOTTED.match(value):
            raise HostError(field, "must hold dotted package names such as 'trl'", value)
    return tuple(values)


def _check_notice(notice: object) -> None:
    if not isinstance(notice, str) or not notice.strip():
        raise HostError("notice", "must be a non-empty string", notice)
    try:
        notice.format(**{name: name for name in NOTICE_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        raise HostError("notice", f"may use only the placeholders "
                        f"{', '.join('{' + n + '}' for n in NOTICE_FIELDS)} ({exc!r})",
                        notice) from None


# Tracebacks and reprs name the public home of these classes, not this private module.
for _public in (Host, HostError):
    _public.__module__ = "fledge"
del _public
