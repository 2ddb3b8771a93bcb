"""``[tool.fledge.promote]``: where features, tests and docs live in the target repository.

Every key has a default that fits the fledge repository itself; a repository laid out like
TRL sets a handful of keys (see ``docs/promote.md``). Every value is checked when loaded, and
a bad one raises :class:`ConfigError` naming the key and the file.
"""

from __future__ import annotations

import difflib
import os
import re
import string
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.version import InvalidVersion, Version

from .._errors import ConfigError
from ._version import find_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["PromoteConfig", "load_config", "config_docs", "path_problem"]

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class PromoteConfig:
    """The promote tool's view of one repository. Paths are relative to its root."""

    source_root: str = field(default="plugins", metadata={
        "doc": "Folder that holds the top-level package of the features ('.' for TRL)."})
    experimental_package: str = field(default="fledge_plugins", metadata={
        "doc": "Dotted package whose subpackages are the experimental features."})
    stable_package: str = field(default="fledge_plugins.stable", metadata={
        "doc": "Dotted package that promoted features move into (`<stable_package>.<name>`)."})
    export_to: tuple[str, ...] = field(default=("fledge_plugins.stable",), metadata={
        "doc": "Packages whose `__init__` re-exports a promoted feature's public names; "
               "the first one is the stable import path written into the manifest."})
    public_aliases: tuple[str, ...] = field(default=("fledge.experimental.{name}",), metadata={
        "doc": "Other import paths of an experimental feature that readers use; references "
               "to them are rewritten to the stable import path."})
    manifests: str = field(default="fledge", metadata={
        "doc": "'fledge': features carry a `FEATURE = Feature(...)` manifest; 'none': a "
               "feature is just a package (checks that need a manifest skip)."})
    experimental_tests: tuple[str, ...] = field(default=("tests/plugins/{name}",), metadata={
        "doc": "Glob patterns of a feature's tests ({name} is replaced); used when the "
               "manifest names none."})
    stable_tests: str = field(default="tests/stable", metadata={
        "doc": "Folder that a promoted feature's test files and folders move into."})
    docs_pages: tuple[str, ...] = field(default=("docs/features/{name}.md",), metadata={
        "doc": "Glob patterns of a feature's docs page; used when the manifest names none."})
    docs_dir: str = field(default="docs", metadata={
        "doc": "The docs folder: Markdown under it is rewritten, pages are named from it."})
    docs_format: str = field(default="mkdocs", metadata={
        "doc": "Navigation format: 'mkdocs' (`nav` in mkdocs.yml), 'doc-builder' "
               "(Hugging Face `_toctree.yml`), or one contributed by a plugin."})
    nav_file: str = field(default="mkdocs.yml", metadata={
        "doc": "The file holding the navigation."})
    experimental_section: str = field(default="Experimental features", metadata={
        "doc": "Title of the navigation section listing experimental features."})
    stable_section: str = field(default="Stable features", metadata={
        "doc": "Title of the navigation section that promoted features move into."})
    changelog: str = field(default="CHANGELOG.md", metadata={
        "doc": "Changelog that gets an entry under '## Unreleased' ('' to skip)."})
    min_age_days: int = field(default=30, metadata={
        "doc": "`maturity`: days a feature must have been experimental."})
    deprecation_releases: int = field(default=2, metadata={
        "doc": "Minor releases a shim lives: promoted in 0.3.0 with 2 means removed in 0.5.0."})
    coverage_threshold: float = field(default=80.0, metadata={
        "doc": "`coverage`: minimum line coverage (percent) of the feature's code."})
    tests_timeout: int = field(default=900, metadata={
        "doc": "Seconds the feature's test run may take before `tests-pass` fails."})
    examples_timeout: int = field(default=120, metadata={
        "doc": "Seconds a docs page's runnable examples may take."})
    examples_setup: str = field(default="", metadata={
        "doc": "`module:function` called with the examples' working folder before they run, "
               "e.g. to lay out offline model and dataset fixtures; empty: none."})
    python_path: tuple[str, ...] = field(default=("core", "plugins", "promotion"), metadata={
        "doc": "Folders put first on PYTHONPATH when tests, examples and griffe run."})
    version: str = field(default="", metadata={
        "doc": "The version being developed; default: `[project] version`, setuptools' "
               "dynamic `file`/`attr`, hatch's `[tool.hatch.version] path`, else "
               "`__version__` of the top-level package."})
    stable_layout: str = field(default="package", metadata={
        "doc": "'package': a feature moves to `<stable_package>.<name>`; 'flat': its modules "
               "move into `<stable_package>` itself (TRL's `trl/trainer/<module>.py`)."})
    docs_release_url: str = field(default="", metadata={
        "doc": "URL template of a page in the last release's docs ({version}, {page}); "
               "`retire` points links to a removed page there. Empty: links become text."})
    release_tags: str = field(default="v*", metadata={
        "doc": "Glob of git tags that mark releases (`api-stable`, `retire`)."})
    skip_checks: tuple[str, ...] = field(default=(), metadata={
        "doc": "Checks not to run, by name."})
    usage_file: str = field(default="", metadata={
        "doc": "CSV or JSON file of usage counts (feature, period, runs[, source]) for "
               "`promote report` and `adoption`; empty: none."})
    usage_window_days: int = field(default=90, metadata={
        "doc": "`adoption` and the report's usage column: days of usage that count."})
    min_usage: int = field(default=1, metadata={
        "doc": "`adoption`: runs needed in the last `usage_window_days`."})
    check_report: str = field(default="build/promote-check.json", metadata={
        "doc": "The last `promote check --format json` output, shown by `promote report`."})
    own_work_max_features: int = field(default=1, metadata={
        "doc": "`promote report`: a commit touching more experimental features than this "
               "is a sweep."})
    own_work_max_other_files: int = field(default=10, metadata={
        "doc": "`promote report`: a commit changing more files outside the feature (its "
               "package, tests, docs page) than this is a sweep."})
    report_recent_days: int = field(default=180, metadata={
        "doc": "`promote report`: own work older than this many days counts as stale."})
    report_upkeep_lines: int = field(default=100, metadata={
        "doc": "`promote report`: overriding this many lines of stable parent methods is "
               "high upkeep."})
    report_upkeep_cochanges: int = field(default=2, metadata={
        "doc": "`promote report`: this many commits changing the feature together with its "
               "stable parent module is high upkeep."})
    issues_file: str = field(default="", metadata={
        "doc": "`promote report`: the repository's issues as the GitHub CLI exports them "
               "(`gh issue list --state all --limit 10000 --json "
               "number,title,state,labels,createdAt,closedAt,body`); empty: no data."})
    catalogue_page: str = field(default="", metadata={
        "doc": "`catalogue`: the doc-builder page whose section `fledge catalogue` writes "
               "(between `<!-- fledge:catalogue:begin -->` and `...:end -->`); empty: the "
               "check skips (mkdocs and Sphinx build theirs)."})
    docs_examples_test: str = field(default="", metadata={
        "doc": "With `--junit`: node id of the test that runs a page's examples ({page}: the "
               "page relative to docs_dir); `docs-examples` reads its result instead of "
               "running them. Empty: always run them."})

    @property
    def experimental_dir(self) -> str:
        return _package_dir(self.source_root, self.experimental_package)

    @property
    def stable_dir(self) -> str:
        return _package_dir(self.source_root, self.stable_package)

    @property
    def top_package(self) -> str:
        return self.experimental_package.partition(".")[0]


def _package_dir(root: str, dotted: str) -> str:
    parts = [p for p in root.strip("/").split("/") if p not in ("", ".")]
    return "/".join(parts + dotted.split("."))


def config_docs() -> dict[str, tuple[str, Any]]:
    """Each key's description and default, for the docs."""
    return {f.name: (f.metadata["doc"], f.default) for f in fields(PromoteConfig)}


def load_config(root: Path) -> tuple[PromoteConfig, dict[str, Any]]:
    """Read and check the configuration of the repository at ``root``.

    Returns:
        The configuration, and the parsed ``pyproject.toml`` (entry points, version).

    Raises:
        ConfigError: the file is missing or unreadable, a key is unknown, a value has the
            wrong type, or a configured folder does not exist.
    """
    path = root / "pyproject.toml"
    file = "pyproject.toml"
    if not path.is_file():
        raise ConfigError("(file)", str(path), "needs a pyproject.toml at the repository root")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("(file)", file, f"could not be read as TOML: {exc}") from None
    section = data.get("tool", {}).get("fledge", {}).get("promote", {})
    if not isinstance(section, dict):
        raise ConfigError("(section)", file, "must be a table", section)
    known = {f.name: f for f in fields(PromoteConfig)}
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(key, file, f"is not a known key{hint}; see docs/promote.md")
        values[key] = _coerce(key, known[key].default, value, file)
    config = PromoteConfig(**values)
    _check_values(config, root, file)
    if not config.version:
        config = replace(config, version=_find_version(config, root, data, file))
    return config, data


def _coerce(key: str, default: Any, value: Any, file: str) -> Any:
    if isinstance(default, tuple):
        if isinstance(value, str):
            raise ConfigError(key, file, f"must be a list of strings (write [{value!r}] for one)",
                              value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, file, "must be a list of strings", value)
        if any(not v.strip() for v in value):
            raise ConfigError(key, file, "must not hold an empty string", value)
        return tuple(value)
    kind = {int: "an integer", float: "a number", str: "a string"}[type(default)]
    if isinstance(value, bool):
        raise ConfigError(key, file, f"must be {kind}", value)
    if isinstance(default, float) and isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, type(default)):
        raise ConfigError(key, file, f"must be {kind}", value)
    return value


def _check_values(config: PromoteConfig, root: Path, file: str) -> None:
    for key in ("experimental_package", "stable_package"):
        if not _DOTTED.match(getattr(config, key)):
            raise ConfigError(key, file, "must be a dotted package name", getattr(config, key))
    for name in config.export_to:
        if not _DOTTED.match(name):
            raise ConfigError("export_to", file, "must list dotted package names", name)
    if config.stable_package == config.experimental_package:
        raise ConfigError("stable_package", file, "must differ from experimental_package",
                          config.stable_package)
    module, colon, function = config.examples_setup.partition(":")
    if config.examples_setup and not (colon and _DOTTED.match(module) and function.isidentifier()):
        raise ConfigError("examples_setup", file, "must be 'module:function', e.g. "
                          "'fledge.testing.training:write_hub'", config.examples_setup)
    if config.stable_layout not in ("package", "flat"):
        raise ConfigError("stable_layout", file, "must be 'package' or 'flat'",
                          config.stable_layout)
    if config.manifests not in ("fledge", "none"):
        raise ConfigError("manifests", file, "must be 'fledge' or 'none'", config.manifests)
    if not (root / config.experimental_dir).is_dir():
        raise ConfigError(
            "experimental_package", file,
            f"must name a package folder under source_root ({config.experimental_dir}/ does "
            "not exist); set source_root and experimental_package",
            config.experimental_package,
        )
    if not (root / config.docs_dir).is_dir():
        raise ConfigError("docs_dir", file, "must name an existing folder", config.docs_dir)
    for key in ("min_age_days", "deprecation_releases", "tests_timeout", "examples_timeout",
                "usage_window_days", "min_usage", "own_work_max_features",
                "own_work_max_other_files", "report_recent_days", "report_upkeep_lines",
                "report_upkeep_cochanges"):
        if getattr(config, key) < 0:
            raise ConfigError(key, file, "must not be negative", getattr(config, key))
    if not 0 <= config.coverage_threshold <= 100:
        raise ConfigError("coverage_threshold", file, "must be between 0 and 100",
                          config.coverage_threshold)
    _check_paths(config, root, file)
    _check_templates(config, file)
    if config.version:
        try:
            Version(config.version)
        except InvalidVersion:
            raise ConfigError("version", file, "must be a PEP 440 version such as '0.3.0.dev0'",
                              config.version) from None


#: Keys naming one path, and keys listing paths or glob patterns, relative to the root.
PATH_KEYS = ("stable_tests", "docs_dir", "nav_file", "changelog", "source_root", "usage_file",
             "check_report", "issues_file")
PATH_LIST_KEYS = ("experimental_tests", "docs_pages", "python_path")
#: Template keys: the placeholders each may use, and those it must use.
_TEMPLATES = {
    "experimental_tests": ({"name"}, {"name"}),
    "docs_pages": ({"name"}, {"name"}),
    "public_aliases": ({"name"}, {"name"}),
    "docs_release_url": ({"version", "page"}, {"page"}),
    "docs_examples_test": ({"page"}, set()),
}


def path_problem(root: Path, value: str) -> str | None:
    """Why ``value`` is not a path inside the repository at ``root``, or None.

    Absolute paths, ``..``, NUL and backslashes are refused, and so is a path whose existing
    part resolves (symbolic links followed) outside the root.
    """
    if "\0" in value or "\\" in value:
        return "must be a path inside the repository, with '/' between folders"
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or value.startswith("~"):
        return "must be a path inside the repository (not absolute, no '..')"
    resolved_root = root.resolve()
    existing = root
    for part in pure.parts:
        if any(c in part for c in "*?[{"):
            break  # a glob pattern or a template from here on
        existing = existing / part
    if os.path.lexists(existing):
        resolved = existing.resolve()
        if resolved != resolved_root and resolved_root not in resolved.parents:
            return f"must be a path inside the repository; it leads to {resolved}"
    return None


def _check_paths(config: PromoteConfig, root: Path, file: str) -> None:
    for key in PATH_KEYS:
        value = getattr(config, key)
        problem = path_problem(root, value) if value else None
        if problem:
            raise ConfigError(key, file, problem, value)
    for key in PATH_LIST_KEYS:
        for value in getattr(config, key):
            problem = path_problem(root, value)
            if problem:
                raise ConfigError(key, file, f"{problem} (in the list)", value)


def _check_templates(config: PromoteConfig, file: str) -> None:
    for key, (allowed, required) in _TEMPLATES.items():
        value = getattr(config, key)
        for template in value if isinstance(value, tuple) else [value] if value else []:
            try:
                used = [(name, conv, spec) for _, name, spec, conv in
                        string.Formatter().parse(template) if name is not None]
            except ValueError as exc:
                raise ConfigError(key, file, f"is not a valid template ({exc}); write a "
                                  "literal brace as {{ or }}", template) from None
            names = {name for name, _, _ in used}
            wrong = sorted(n for n, conv, spec in used
                           if n not in allowed or conv or spec)
            if wrong:
                raise ConfigError(key, file, "may use only "
                                  + ", ".join(f"{{{a}}}" for a in sorted(allowed))
                                  + f"; got {{{wrong[0]}}} or a conversion", template)
            if required - names:
                raise ConfigError(key, file, "must contain "
                                  + ", ".join(f"{{{r}}}" for r in sorted(required - names))
                                  + ", replaced by each feature's value", template)


def _find_version(config: PromoteConfig, root: Path, data: dict[str, Any], file: str) -> str:
    version, looked = find_version(root, data, config.source_root, config.top_package)
    if version:
        try:
            Version(version)
        except InvalidVersion:
            raise ConfigError("version", file, f"is needed: the version found ({looked[-1]}) is "
                              "not a PEP 440 version; set it to the version being developed",
                              version) from None
        return version
    raise ConfigError(
        "version", file,
        f"is needed: none found ({'; '.join(looked)}); set it to the version being developed",
    )
