"""Warnings about stability, emitted once per feature, and every way to silence them.

Silencing, from the broadest to the narrowest:

* ``FLEDGE_EXPERIMENTAL_SILENCE=1`` (or ``true``, ``yes``, ``all``) silences every feature;
  a comma list (``bema_for_ref_model,other``) silences those features only. ``0``,
  ``false``, ``no`` and the empty string mean "not silenced".
* ``TRL_EXPERIMENTAL_SILENCE`` is read the same way, since TRL users already set it.
* standard filters: ``warnings.filterwarnings("ignore", category=ExperimentalWarning)``,
  ``python -W ignore::fledge.ExperimentalWarning``, or pytest's
  ``filterwarnings = ["ignore::fledge.ExperimentalWarning"]``.
* the `silence_experimental` context manager.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._manifest import Feature

__all__ = [
    "ExperimentalWarning",
    "FeatureDeprecatedWarning",
    "FeaturePromotedWarning",
    "FledgeWarning",
    "silence_experimental",
]

SILENCE_VARIABLES = ("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE")
_OFF_VALUES = frozenset({"", "0", "false", "no", "off"})
_ALL_VALUES = frozenset({"1", "true", "yes", "on", "all", "*"})

# The texts, in one place (pytest keeps its deprecation texts the same way).
EXPERIMENTAL_TEXT = (
    "fledge.experimental.{name} is an experimental feature (since {dist} {since}): its API "
    "may change or be removed in any release. Silence this notice with "
    "FLEDGE_EXPERIMENTAL_SILENCE={name} (or =1 for all features), "
    "`with fledge.silence_experimental('{name}'):`, or "
    "warnings.filterwarnings('ignore', category=fledge.ExperimentalWarning)."
)
PROMOTED_TEXT = (
    "fledge.experimental.{name} was promoted to the stable API{promoted_in}: import it from "
    "{stable_path} instead. The old path will be removed in {removal}."
)
DEPRECATED_TEXT = (
    "{name} is deprecated and will be removed in {removal}.{replacement}"
)


class FledgeWarning(UserWarning):
    """Base class of every warning fledge emits."""


class ExperimentalWarning(FledgeWarning):
    """A feature from ``fledge.experimental`` was used: its API may change in any release."""


class FeaturePromotedWarning(FledgeWarning, FutureWarning):
    """A promoted feature was reached through its old, experimental import path."""


class FeatureDeprecatedWarning(FledgeWarning, FutureWarning):
    """A deprecated feature was used; it goes away in the release its manifest names."""


_lock = threading.Lock()
_already_warned: set[str] = set()
_silenced_by_context: list[frozenset[str] | None] = []  # None: every feature


def _env_silences(name: str) -> bool:
    for variable in SILENCE_VARIABLES:
        value = os.environ.get(variable, "").strip().lower()
        if value in _OFF_VALUES:
            continue
        if value in _ALL_VALUES:
            return True
        if name.lower() in {item.strip() for item in value.split(",")}:
            return True
    return False


def is_silenced(name: str) -> bool:
    """Whether the experimental notice of feature ``name`` is silenced by fledge's own means.

    Standard ``warnings`` filters are not consulted here: they apply when the warning is
    emitted, as they would for any warning.
    """
    if _env_silences(name):
        return True
    return any(entry is None or name in entry for entry in _silenced_by_context)


@contextlib.contextmanager
def silence_experimental(*names: str) -> Iterator[None]:
    """Silence the experimental notice inside a ``with`` block.

    Args:
        *names: the features to silence; none means every feature.

    Example:
        >>> import fledge
        >>> with fledge.silence_experimental("bema_for_ref_model"):
        ...     pass  # import and use the feature here, without the notice
    """
    entry = frozenset(names) if names else None
    with _lock:
        _silenced_by_context.append(entry)
    try:
        yield
    finally:
        with _lock:
            _silenced_by_context.remove(entry)


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


def warn_feature_used(
    feature: Feature,
    distribution: str,
    *,
    internal_packages: tuple[str, ...],
) -> None:
    """Emit the notice that fits the feature's stage, once per feature per process.

    The warning points at the first frame outside fledge's own modules, i.e. the user's line
    that imported or used the feature. Nothing is emitted when that frame belongs to one of
    ``internal_packages`` (fledge itself, or any installed feature's package), so fledge's
    own loading and one feature importing another never warn.
    """
    from ._manifest import Stage

    key = f"{feature.name}:{feature.stage.value}"
    if key in _already_warned:
        return
    stacklevel, caller = _caller_stacklevel(("fledge",))
    # The frame search skipped the host's modules; a caller from any other internal package
    # (the built-in plugins, promote, a feature importing another) stays silent.
    if in_packages(caller, internal_packages):
        return
    if feature.stage is Stage.EXPERIMENTAL:
        if is_silenced(feature.name):
            return
        text = EXPERIMENTAL_TEXT.format(
            name=feature.name, since=feature.since, dist=distribution
        )
        category: type[Warning] = ExperimentalWarning
    elif feature.stage is Stage.STABLE:
        text = PROMOTED_TEXT.format(
            name=feature.name,
            stable_path=feature.stable_path,
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
    with _lock:
        _already_warned.add(key)


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


def _reset_warned() -> None:
    """Forget which features already warned (for tests)."""
    with _lock:
        _already_warned.clear()


if sys.warnoptions:
    apply_warning_options(sys.warnoptions)
