"""The user's environment switches: which plugins load, which notices are silenced.

Like pytest's, and named after the host's switch prefix (``FLEDGE`` for
``fledge.experimental``, ``TRL_EXPERIMENTAL`` for ``trl.experimental``):
``<PREFIX>_DISABLE_PLUGIN_AUTOLOAD`` keeps third-party plugins out (the host's own features
still load), ``<PREFIX>_PLUGINS_ALLOW`` names the only third-party plugins to load, and
``<PREFIX>_PLUGINS_BLOCK`` names plugins (entry point or distribution names) never to load,
or features (by name) to mark blocked. Names compare case-insensitively, with ``-``, ``_``
and ``.`` alike. The silence variables (``FLEDGE_EXPERIMENTAL_SILENCE``) are read here too.

A value outside the documented ones is never dropped silently: it becomes a `SwitchIssue`,
warned once per process (naming the variable and the accepted values) and listed by
``fledge doctor``, which also names every listed name that matches nothing installed.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterable, Mapping

__all__ = ["SwitchIssue", "Switches", "read_silence", "silence_issues", "switch_names",
           "warn_once"]

#: Values that turn a yes/no switch on, and off (compared lowercased, stripped).
TRUE_VALUES = ("1", "true", "yes", "on")
FALSE_VALUES = ("0", "false", "no", "off", "")
#: Values of a silence variable that silence every feature, besides the true values.
ALL_VALUES = (*TRUE_VALUES, "all", "*")

# A plugin, distribution or feature name: letters, digits, '.', '-', '_' (PEP 508 names and
# entry point names as pip writes them); anything else cannot match an installed plugin.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_WARNED: set[tuple[str, str, str]] = set()
_WARNED_LOCK = threading.Lock()


def switch_names(prefix: str) -> tuple[str, str, str]:
    """The autoload, allow and block variables for a host's switch ``prefix``."""
    return (f"{prefix}_DISABLE_PLUGIN_AUTOLOAD", f"{prefix}_PLUGINS_ALLOW",
            f"{prefix}_PLUGINS_BLOCK")


class SwitchIssue:
    """A switch whose value is not one of the accepted ones, or names nothing installed.

    Attributes:
        variable: the environment variable.
        value: its value.
        message: what is wrong with it.
        fix: what to set instead.
    """

    __slots__ = ("variable", "value", "message", "fix")

    def __init__(self, variable: str, value: str, message: str, fix: str) -> None:
        self.variable = variable
        self.value = value
        self.message = message
        self.fix = fix

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SwitchIssue) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().values()))

    def __repr__(self) -> str:
        return f"SwitchIssue({self.variable}={self.value!r}: {self.message})"

    def __str__(self) -> str:
        return f"{self.variable}={self.value!r}: {self.message}. Fix: {self.fix}"

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return {"variable": self.variable, "value": self.value, "message": self.message,
                "fix": self.fix}


def warn_once(issue: SwitchIssue, category: type[Warning] = UserWarning) -> None:
    """Warn about ``issue`` unless the same variable, value and message warned already."""
    key = (issue.variable, issue.value, issue.message)
    with _WARNED_LOCK:
        if key in _WARNED:
            return
        _WARNED.add(key)
    warnings.warn(str(issue), category, stacklevel=2)


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_")


def _yes_no(variable: str, value: str | None, issues: list[SwitchIssue]) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_VALUES:
        return True
    if word in FALSE_VALUES:
        return False
    issues.append(SwitchIssue(
        variable, value or "",
        f"is not an accepted value (on: {', '.join(TRUE_VALUES)}; off: "
        f"{', '.join(FALSE_VALUES[:-1])} or empty); it is taken as on, as pytest takes its "
        "own switch",
        f"set {variable}=1 to turn it on, or unset it",
    ))
    return True


def _name_list(variable: str, value: str | None, what: str, issues: list[SwitchIssue],
               check: Iterable[str] = ()) -> frozenset[str] | None:
    """The comma list of names in ``value``; None when unset or blank."""
    if value is None or not value.strip():
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    example = f"{variable}=name_one,name_two"
    if not items:
        issues.append(SwitchIssue(variable, value, f"holds no {what} names, only commas; it "
                                  "is taken as unset", f"name the {what}s, e.g. {example}, or "
                                  "unset it"))
        return None
    bad = [item for item in items if not _NAME.match(item)]
    if bad:
        issues.append(SwitchIssue(variable, value, f"{', '.join(map(repr, bad))} cannot be "
                                  f"a {what} name (letters, digits, '.', '-', '_')",
                                  f"list {what} names separated by commas, e.g. {example}"))
    return frozenset(_normalize(item) for item in items)


def read_silence(variable: str, value: str | None) -> tuple[bool, frozenset[str],
                                                           list[SwitchIssue]]:
    """Read one silence variable: (every feature silenced, the feature names, the issues).

    Accepted: ``1``, ``true``, ``yes``, ``on``, ``all``, ``*`` (every feature); ``0``,
    ``false``, ``no``, ``off``, empty (none); a comma list of feature names.
    """
    issues: list[SwitchIssue] = []
    word = (value or "").strip().lower()
    if word in FALSE_VALUES:
        return False, frozenset(), issues
    if word in ALL_VALUES:
        return True, frozenset(), issues
    items = [item.strip() for item in word.split(",") if item.strip()]
    accepted = "1 (every feature), 0 (none) or a comma list of feature names"
    if not items:
        issues.append(SwitchIssue(variable, value or "", "holds no feature names, only "
                                  f"commas; nothing is silenced (accepted: {accepted})",
                                  f"set {variable}=1, or name the features"))
    bad = [item for item in items if not item.isidentifier()]
    if bad:
        issues.append(SwitchIssue(variable, value or "", f"{', '.join(map(repr, bad))} is not "
                                  f"a feature name (accepted: {accepted})",
                                  f"set {variable}=1, or name features as `fledge list` "
                                  "shows them, separated by commas"))
    return False, frozenset(items), issues


def silence_issues(variables: Iterable[str], environ: Mapping[str, str],
                   features: Iterable[str], namespace: str, list_command: str
                   ) -> list[SwitchIssue]:
    """What is wrong with the silence ``variables`` set in ``environ``: values outside the
    accepted ones, and feature names that are none of ``features``."""
    known = {name.lower() for name in features}
    issues: list[SwitchIssue] = []
    for variable in variables:
        value = environ.get(variable)
        if value is None:
            continue
        _, names, found = read_silence(variable, value)
        issues += found
        missing = sorted(n for n in names - known if n.isidentifier())
        if missing:
            issues.append(SwitchIssue(
                variable, value, f"{', '.join(map(repr, missing))} matches no feature of "
                f"{namespace}, so it silences nothing",
                f"check the spelling against `{list_command}`, or take it out",
            ))
    return issues


class Switches:
    """The user's plugin switches, read once per registry.

    Args:
        environ: the environment to read.
        prefix: the host's switch prefix, e.g. ``FLEDGE``.
    """

    def __init__(self, environ: Mapping[str, str], prefix: str = "FLEDGE") -> None:
        self.autoload_variable, self.allow_variable, self.block_variable = switch_names(prefix)
        self.values = {variable: environ[variable]
                       for variable in switch_names(prefix) if variable in environ}
        #: What was wrong with the values, in the order of the variables.
        self.issues: list[SwitchIssue] = []
        self.autoload_off = (self.autoload_variable in self.values
                             and _yes_no(self.autoload_variable,
                                         self.values[self.autoload_variable], self.issues))
        self.allow = _name_list(self.allow_variable, environ.get(self.allow_variable),
                                "plugin", self.issues)
        self.block = _name_list(self.block_variable, environ.get(self.block_variable),
                                "plugin or feature", self.issues) or frozenset()

    def plugin_refusal(self, plugin: str, dist: str | None, builtin: bool) -> str | None:
        """Why a plugin must not be loaded, naming the switch, or None to load it."""
        names = {_normalize(plugin)} | ({_normalize(dist)} if dist else set())
        if names & self.block:
            return self.block_variable
        if builtin:
            return None
        if self.allow is not None and not names & self.allow:
            return self.allow_variable
        if self.autoload_off and not (self.allow and names & self.allow):
            return self.autoload_variable
        return None

    def feature_blocked(self, feature: str) -> bool:
        return _normalize(feature) in self.block

    def reason(self, switch: str) -> str:
        """Why ``switch`` (one of this host's variables) kept a plugin or feature out."""
        return {
            self.autoload_variable:
                f"{self.autoload_variable} is set and it is not in {self.allow_variable}",
            self.allow_variable: f"{self.allow_variable} is set and does not name it",
            self.block_variable: f"{self.block_variable} names it",
        }[switch]

    def fix(self, switch: str, name: str) -> str:
        """What to change so that plugin or feature ``name``, kept out by ``switch``, loads."""
        if switch == self.block_variable:
            return f"remove {name!r} from {self.block_variable} to load it"
        add = f"add {name!r} to {self.allow_variable} to load it"
        if switch == self.autoload_variable:
            return f"{add} (or unset {self.autoload_variable})"
        return add

    def unmatched(self, plugins: Iterable[str], features: Iterable[str]) -> list[SwitchIssue]:
        """The allow and block names that match no plugin, distribution or feature given.

        Args:
            plugins: every plugin's entry point and distribution name that was found,
                loaded or not.
            features: every feature's name.
        """
        plugin_names = {_normalize(n) for n in plugins}
        feature_names = {_normalize(n) for n in features}
        found = []
        for variable, names, known, what in (
            (self.allow_variable, self.allow or frozenset(), plugin_names, "plugin"),
            (self.block_variable, self.block, plugin_names | feature_names,
             "plugin, distribution or feature"),
        ):
            missing = sorted(names - known)
            if missing:
                found.append(SwitchIssue(
                    variable, self.values.get(variable, ""),
                    f"{', '.join(map(repr, missing))} matches no installed {what}, so it "
                    "has no effect",
                    f"check the spelling against `fledge list` (names compare without case, "
                    f"'-', '_' and '.' alike), or take it out of {variable}",
                ))
        return found
