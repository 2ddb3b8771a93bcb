"""Warnings about stability, emitted once per feature, and every way to silence them.

Each host (`fledge.Host`) has its own `Notices`: its warning class, its silence variables,
its record of which features already warned. Silencing, from the broadest to the narrowest
(``fledge.experimental``'s names; another host has its own):

* ``FLEDGE_EXPERIMENTAL_SILENCE=1`` (or ``true``, ``yes``, ``all``) silences every feature;
  a comma list (``bema_for_ref_model,other``) silences those features only. ``0``,
  ``false``, ``no`` and the empty string mean "not silenced".
* ``TRL_EXPERIMENTAL_SILENCE`` is read the same way for fledge's host, since TRL users
  already set it.
* standard filters: ``warnings.filterwarnings("ignore", category=ExperimentalWarning)``,
  ``python -W ignore::fledge.ExperimentalWarning``, or pytest's
  ``filterwarnings = ["ignore::fledge.ExperimentalWarning"]``.
* the `fledge.silence_experimental` context manager (`fledge.Host.silence` for another host).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._switches import read_silence, warn_once

if TYPE_CHECKING:
    from ._manifest import Feature

__all__ = [
    "ExperimentalWarning",
    "FeatureDeprecatedWarning",
    "FeaturePromotedWarning",
    "FledgeWarning",
]

# The texts, in one place (pytest keeps its deprecation texts the same way). A host may bring
# its own experimental wording (``Host(notice=...)``); the placeholders are the same.
EXPERIMENTAL_TEXT = (
    "{namespace}.{name} is an experimental feature (since {dist} {since}): its API "
    "may change or be removed in any release. Silence this notice with "
    "{variable}={name} (or =1 for all features), or "
    "warnings.filterwarnings('ignore', category={category})."
)
PROMOTED_TEXT = (
    "{namespace}.{name} was promoted to the stable API{promoted_in}: import it from "
    "{stable_path} instead. The old path will be removed in {removal}."
)
DEPRECATED_TEXT = (
    "{name} is deprecated and will be removed in {removal}.{replacement}"
)
#: The placeholders a host's notice may use.
NOTICE_FIELDS = ("namespace", "name", "dist", "since", "variable", "category")


class FledgeWarning(UserWarning):
    """Base class of every warning fledge emits."""


class ExperimentalWarning(FledgeWarning):
    """A feature from ``fledge.experimental`` was used: its API may change in any release."""


class FeaturePromotedWarning(FledgeWarning, FutureWarning):
    """A promoted feature was reached through its old, experimental import path."""


class FeatureDeprecatedWarning(FledgeWarning, FutureWarning):
    """A deprecated feature was used; it goes away in the release its manifest names."""


# Tracebacks and reprs name the public home of these classes, not this private module.
for _public in (FledgeWarning, ExperimentalWarning, FeaturePromotedWarning,
                FeatureDeprecatedWarning):
    _public.__module__ = "fledge"
del _public


def _env_silences(name: str, variables: tuple[str, ...]) -> bool:
    for variable in variables:
        every, names, issues = _silence_value(variable, os.environ.get(variable))
        for issue in issues:
            warn_once(issue, FledgeWarning)
        if every or name.lower() in names:
            return True
    return False


@functools.lru_cache(maxsize=64)
def _silence_value(variable: str, value: str | None) -> tuple[bool, frozenset[str], tuple]:
    every, names, issues = read_silence(variable, value)
    return every, names, tuple(issues)


class Notices:
    """One host's notices: which features already warned, and what silences them.

    Each `fledge.Host` owns one, so two namespaces in a process warn, and are silenced,
    independently.

    Args:
        namespace: the host's namespace, e.g. ``trl.experimental``.
        category: the warning class of the experimental notice.
        variables: the environment variables that silence it.
        text: the notice's wording, with the placeholders of `NOTICE_FIELDS`.
    """

    def __init__(self, namespace: str, category: type[Warning], variables: tuple[str, ...],
                 text: str) -> None:
        self.namespace = namespace
        self.category = category
        self.variables = variables
        self.text = text
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._silenced_by_context: list[frozenset[str] | None] = []  # None: every feature

    def is_silenced(self, name: str) -> bool:
        """Whether feature ``name``'s experimental notice is silenced by the host's own means.

        Standard ``warnings`` filters are not consulted here: they apply when the warning is
        emitted, as they would for any warning.
        """
        if _env_silences(name, self.variables):
            return True
        return any(entry is None or name in entry for entry in self._silenced_by_context)

    @contextlib.contextmanager
    def silence(self, *names: str) -> Iterator[None]:
        """Silence this host's experimental notice inside a ``with`` block (none: all)."""
        entry = frozenset(names) if names else None
        with self._lock:
            self._silenced_by_context.append(entry)
        try:
            yield
        finally:
            with self._lock:
                self._silenced_by_context.remove(entry)

    def reset(self) -> None:
        """Forget which features already warned (for tests)."""
        with self._lock:
            self._warned.clear()

    def warn(self, feature: Feature, distribution: str, *,
             internal_packages: tuple[str, ...]) -> None:
        """Emit the notice that fits the feature's stage, once per feature per process.

        The warning points at the first frame outside fledge's own modules, i.e. the user's
        line that imported or used the feature. Nothing is emitted when that frame belongs
        to one of ``internal_packages`` (the host's packages, or any installed feature's),
        so the host's own loading and one feature importing another never warn.
        """
        from ._manifest import Stage

        key = f"{feature.name}:{feature.stage.value}"
        if key in self._warned:
            return
        # importlib.import_module(...) is machinery too: the notice points at its caller.
        stacklevel, caller = _caller_stacklevel(("fledge", "importlib"))
        if in_packages(caller, internal_packages):
            return
        if feature.stage is Stage.EXPERIMENTAL:
            if self.is_silenced(feature.name):
                return
            category = self.category
            text = self.text.format(
                namespace=self.namespace, name=feature.name, since=feature.since,
                dist=distribution, variable=self.variables[0] if self.variables else "",
                category=_dotted(category),
            )
        elif feature.stage is Stage.STABLE:
            text = PROMOTED_TEXT.format(
                namespace=self.namespace, name=feature.name, stable_path=feature.stable_path,
                promoted_in=f" in {feature.promoted_in}" if feature.promoted_in else "",
                removal=feature.removal or "a future release",
            )
            category = FeaturePromotedWarning
        else:
            replacement = f" Use {feature.replacement} instead." if feature.replacement else ""
            text = DEPRECATED_TEXT.format(
                name=feature.name, removal=feature.removal, replacement=replacement
            )
            category = FeatureDeprecatedWarning
        warnings.warn(text, category, stacklevel=stacklevel)
        with self._lock:
            self._warned.add(key)


def _dotted(category: type) -> str:
    module = category.__module__
    return category.__qualname__ if module == "builtins" else f"{module}.{category.__qualname__}"


def _caller_stacklevel(skip_packages: tuple[str, ...]) -> tuple[int, str]:
    """Find the first frame outside fledge's machinery and return its stacklevel for warn().

    ``warnings.warn`` itself skips importlib's frames when counting, so only the frames it
    counts are counted here. Returns the stacklevel and the ``__name__`` of that frame's module.
    """
    frame = sys._getframe(2)  # the caller of our caller
    level = 2
    while frame is not None:
        filename = frame.f_code.co_filename
        if "importlib" in filename and "_bootstrap" in filename:
            frame = frame.f_back
            continue
        module = frame.f_globals.get("__name__", "")
        if not in_packages(module, skip_packages):
            return level, module
        frame = frame.f_back
        level += 1
    return level, ""


def in_packages(module: str, packages: tuple[str, ...]) -> bool:
    """Whether dotted ``module`` is one of ``packages`` or inside one of them."""
    return any(module == p or module.startswith(p + ".") for p in packages)


_ACTIONS = ("default", "error", "ignore", "always", "module", "once")


def apply_warning_options(options: list[str]) -> None:
    """Apply the ``-W``/``PYTHONWARNINGS`` options that name a fledge warning category.

    Python reads ``-W`` before third-party packages are importable, so it drops
    ``-W ignore::fledge.ExperimentalWarning`` (printing "Invalid -W option ignored") while
    keeping the text in ``sys.warnoptions``. ``import fledge`` applies those options itself,
    in order, with the interpreter's rules, so the documented spelling works.
    """
    categories = {cls.__name__: cls for cls in (
        FledgeWarning, ExperimentalWarning, FeaturePromotedWarning, FeatureDeprecatedWarning
    )}
    for option in options:
        parts = [part.strip() for part in option.split(":")] + [""] * 5
        action, message, category, module, lineno = parts[:5]
        owner, _, class_name = category.rpartition(".")
        if owner.partition(".")[0] != "fledge" or class_name not in categories:
            continue
        matches = [a for a in _ACTIONS if action and a.startswith(action)]
        if len(matches) != 1 or (lineno and not lineno.isdigit()):
            continue  # Python already reported the malformed option
        warnings.filterwarnings(
            matches[0], message, categories[class_name],
            (re.escape(module) + r"\Z") if module else "", int(lineno or 0),
        )


if sys.warnoptions:
    apply_warning_options(sys.warnoptions)
