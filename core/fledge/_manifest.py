"""The feature manifest: an immutable record that validates itself on construction.

Manifests come from other people's packages, so every text field is checked: names are
identifiers, and no field may hold control characters or terminal escape sequences (a
summary holding ``\\x1b[2J`` would otherwise let ``fledge list`` clear the user's screen).
"""

from __future__ import annotations

import enum
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ._errors import ManifestError, ReservedNameError

__all__ = ["Feature", "Stage", "RESERVED_NAMES"]


class Stage(str, enum.Enum):
    """Where a feature stands on the stability path."""

    EXPERIMENTAL = "experimental"
    """May change or vanish in any release; warns once when used."""
    STABLE = "stable"
    """Promoted: lives in the stable namespace and follows its deprecation policy."""
    DEPRECATED = "deprecated"
    """Still works, warns with a FutureWarning, and goes away in a named release."""

    def __str__(self) -> str:
        return self.value


#: Names no feature of any host may take: fledge's machinery, and ``host``, the attribute by
#: which every namespace module holds its `fledge.Host`. A host reserves more of its own
#: (``Host(reserved=...)``; fledge's reserves its package names).
RESERVED_NAMES = frozenset(
    {
        "cli",
        "experimental",
        "hookimpl",
        "hookspec",
        "hookspecs",
        "host",
        "registry",
        "stability",
        "testing",
        "mkdocs_plugin",
    }
)

#: Release versions such as ``1.16.0``: valid PEP 440 (packaging checks the rest).
_PLAIN_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# ESC starts every ANSI/VT escape sequence; C0, DEL and C1 controls (category Cc) can move the
# cursor or ring the bell; bidi overrides (Cf) can make text read differently than it is.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _unsafe_character(text: str) -> str | None:
    for char in text:
        if unicodedata.category(char) == "Cc" or char in _BIDI:
            return char
    return None


def _check_text(name: str, value: object, *, required: bool, max_len: int = 500) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ManifestError(name, "must be a string", value)
    if required and not value.strip():
        raise ManifestError(name, "must be a non-empty string", value)
    if len(value) > max_len:
        raise ManifestError(name, f"must be at most {max_len} characters", value[:40] + "...")
    bad = _unsafe_character(value)
    if bad is not None:
        raise ManifestError(
            name,
            f"must be plain text without control characters or escape sequences "
            f"(found {bad!r})",
            value,
        )
    return value


def _check_identifier(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.isidentifier() or keyword.iskeyword(value):
        raise ManifestError(
            name, "must be a Python identifier, for example 'my_feature'", value
        )
    if not value.isascii():
        raise ManifestError(name, "must be an ASCII identifier, for example 'my_feature'", value)
    return value


def _check_dotted(name: str, value: object, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _DOTTED.match(value):
        raise ManifestError(
            name, "must be a dotted module path, for example 'my_plugin.feature'", value
        )
    return value


def _check_version(name: str, value: object, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ManifestError(name, "must be a PEP 440 version string, for example '0.3.0'", value)
    if _PLAIN_VERSION.match(value):
        return value  # the common case, valid without loading packaging
    from packaging.version import InvalidVersion, Version

    try:
        Version(value)
    except InvalidVersion:
        raise ManifestError(
            name, "must be a PEP 440 version string, for example '0.3.0'", value
        ) from None
    return value


def _check_strings(name: str, value: object, *, item_check=None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ManifestError(name, "must be a list of strings, for example ['alice']", value)
    items = tuple(value)
    for item in items:
        if item_check is not None:
            item_check(name, item)
        else:
            _check_text(name, item, required=True, max_len=200)
    if len(set(items)) != len(items):
        raise ManifestError(name, "must not repeat an entry", list(items))
    return items


def _check_requires(value: object) -> Mapping[str, str]:
    if value is None or (isinstance(value, Mapping) and not value):
        return MappingProxyType({})
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not isinstance(value, Mapping):
        raise ManifestError(
            "requires", "must map distribution names to specifiers, e.g. {'trl': '>=1.12'}", value
        )
    checked: dict[str, str] = {}
    for dist, spec in value.items():
        if not isinstance(dist, str) or not isinstance(spec, str):
            raise ManifestError(
                "requires", "must map distribution names to specifiers, e.g. {'trl': '>=1.12'}",
                {dist: spec},
            )
        try:
            parsed = Requirement(dist)
            SpecifierSet(spec)
        except (InvalidRequirement, InvalidSpecifier):
            raise ManifestError(
                "requires",
                "must map distribution names to PEP 440 specifiers, e.g. {'trl': '>=1.12'}",
                {dist: spec},
            ) from None
        if str(parsed) != dist:
            raise ManifestError(
                "requires", "keys must be bare distribution names, e.g. 'trl'", dist
            )
        checked[dist] = spec
    return MappingProxyType(checked)


def _check_links(value: object) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ManifestError(
            "links", "must map labels to URLs, e.g. {'paper': 'https://arxiv.org/abs/...'}", value
        )
    for label, url in value.items():
        _check_text("links", label, required=True, max_len=60)
        _check_text("links", url, required=True, max_len=500)
        if not re.match(r"^https?://", url):
            raise ManifestError("links", "values must be http(s) URLs", url)
    return MappingProxyType(dict(value))


def _check_demo(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.count(":") != 1:
        raise ManifestError("demo", "must be 'module:function', e.g. 'my_plugin.demo:run'", value)
    module, _, attr = value.partition(":")
    _check_dotted("demo", module, required=True)
    _check_identifier("demo", attr)
    return value


@dataclass(frozen=True, eq=True)
class Feature:
    """The manifest of one feature: what it is, where it lives, how stable it is.

    Construct it in a plugin's ``fledge_features`` hook. Every field is validated when the
    record is built; a bad value raises `fledge.ManifestError` naming the field, the
    rule and the value.

    Example:
        >>> Feature(
        ...     name="length_reward",
        ...     summary="Reward completions by their length.",
        ...     module="fledge_length_reward.reward",
        ...     exports=("length_reward",),
        ...     since="0.1.0",
        ...     owners=("alice",),
        ... ).stage
        <Stage.EXPERIMENTAL: 'experimental'>
    """

    name: str = field(metadata={"doc": "Python identifier; `fledge.experimental.<name>`."})
    summary: str = field(metadata={"doc": "One line saying what the feature does."})
    module: str = field(metadata={"doc": "Dotted path of the implementation module."})
    exports: tuple[str, ...] = field(
        metadata={"doc": "Public names of the implementation module."}
    )
    since: str = field(metadata={"doc": "Version of its distribution that first shipped it."})
    stage: Stage = field(
        default=Stage.EXPERIMENTAL,
        metadata={"doc": "`experimental`, `stable` or `deprecated`."},
    )
    owners: tuple[str, ...] = field(
        default=(), metadata={"doc": "People or teams who maintain it."}
    )
    requires: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"doc": "Distribution name to PEP 440 specifier, e.g. {'trl': '>=1.12'}."},
    )
    docs: str | None = field(
        default=None, metadata={"doc": "Docs page: a path in the repository, or a URL."}
    )
    tests: tuple[str, ...] = field(
        default=(), metadata={"doc": "Test files or folders, relative to the repository."}
    )
    links: Mapping[str, str] = field(
        default_factory=dict, metadata={"doc": "Label to URL, e.g. {'paper': 'https://...'}."}
    )
    demo: str | None = field(
        default=None, metadata={"doc": "'module:function' that `fledge demo <name>` runs."}
    )
    stable_path: str | None = field(
        default=None, metadata={"doc": "After promotion: the stable import path."}
    )
    promoted_in: str | None = field(
        default=None, metadata={"doc": "After promotion: the version that promoted it."}
    )
    removal: str | None = field(
        default=None,
        metadata={"doc": "Version that removes the old (experimental or deprecated) path."},
    )
    replacement: str | None = field(
        default=None, metadata={"doc": "What to use instead once it is deprecated or retired."}
    )

    def __post_init__(self) -> None:
        name = _check_identifier("name", self.name)
        try:
            self._validate(name)
        except ManifestError as error:
            if error.feature is None:
                error = type(error)(error.field, error.expected, error.got, feature=name)
            raise error from None

    def _validate(self, name: str) -> None:
        if name in RESERVED_NAMES or name.startswith("_"):
            raise ReservedNameError(
                "name",
                "must not start with '_' or shadow a host name "
                f"({', '.join(sorted(RESERVED_NAMES))})",
                name,
            )
        set_ = object.__setattr__
        _check_text("summary", self.summary, required=True, max_len=200)
        if "\n" in self.summary:
            raise ManifestError("summary", "must be a single line", self.summary)
        _check_dotted("module", self.module, required=True)
        set_(self, "exports", _check_strings("exports", self.exports, item_check=_check_identifier))
        if not self.exports:
            raise ManifestError("exports", "must name at least one public name", self.exports)
        _check_version("since", self.since, required=True)
        try:
            set_(self, "stage", Stage(self.stage))
        except ValueError:
            raise ManifestError(
                "stage", f"must be one of {', '.join(s.value for s in Stage)}", self.stage
            ) from None
        set_(self, "owners", _check_strings("owners", self.owners))
        set_(self, "requires", _check_requires(self.requires))
        _check_text("docs", self.docs, required=False)
        set_(self, "tests", _check_strings("tests", self.tests))
        set_(self, "links", _check_links(self.links))
        _check_demo(self.demo)
        _check_dotted("stable_path", self.stable_path, required=False)
        _check_version("promoted_in", self.promoted_in, required=False)
        _check_version("removal", self.removal, required=False)
        _check_text("replacement", self.replacement, required=False, max_len=200)
        if self.stage is Stage.STABLE and self.stable_path is None:
            raise ManifestError(
                "stable_path",
                "is required when stage is 'stable' (the import path users move to)",
                None,
            )
        if self.stage is Stage.DEPRECATED and self.removal is None:
            raise ManifestError(
                "removal", "is required when stage is 'deprecated' (the version that removes it)",
                None,
            )

    def __hash__(self) -> int:
        return hash((self.name, self.module, self.stage))

    @property
    def import_path(self) -> str:
        """Where users import it from in ``fledge.experimental``: the stable path once
        promoted, else the experimental one. A feature of another host: `import_path_in`."""
        return self.import_path_in(None)

    def import_path_in(self, namespace: str | None) -> str:
        """Where users import it from when ``namespace`` (None: fledge's own) serves it."""
        if self.stage is Stage.EXPERIMENTAL or self.stable_path is None:
            if namespace is None:
                from ._namespace import FLEDGE_NAMESPACE

                namespace = FLEDGE_NAMESPACE
            return f"{namespace}.{self.name}"
        return self.stable_path

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Stage):
                value = value.value
            elif isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def field_docs() -> dict[str, str]:
    """Each manifest field's one-line description, for docs and `fledge new`."""
    return {f.name: f.metadata.get("doc", "") for f in fields(Feature)}


# Tracebacks and reprs name the public home of these classes, not this private module.
for _public in (Feature, Stage):
    _public.__module__ = "fledge"
del _public
