"""The evidence for promoting or removing each experimental feature, gathered in one pass.

:func:`gather` reads the git log once (:mod:`._history`), classifies every commit for every
feature at the same time (:mod:`._classify`), and adds what the tree says: owners (own-work
authors and CODEOWNERS), stable parents and their overrides (:mod:`._upkeep`), consumers,
tests and docs, the last ``promote check`` verdicts, usage (:mod:`..repository._usage`) and
the issues that name it (:mod:`._issues`). How it is shown is :mod:`._output`'s business.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..repository._config import PromoteConfig
from ..repository._features import FeatureInfo, find_feature, list_features
from ..repository._repo import Repo
from ..repository._usage import Usage, UsageData, load_usage
from ._classify import Classified, classify
from ._history import Commit, Lineage, read_log
from ._issues import FeatureIssues, load_issues, match_issues
from ._upkeep import ParentUse, make_index, stable_parents

__all__ = ["Evidence", "gather"]

CODEOWNERS_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass
class Evidence:
    """Everything the report knows about one feature. Lists of commits are newest first.

    Attributes:
        name: the feature.
        package_dir: its package folder.
        today: the day ages are counted to.
        commits: every commit that touched its package, tests or docs page.
        classified: each of them as own work or a sweep, with the rule that decided.
        own: the own-work commits among them.
        sweeps: the sweeps among them.
        landed: the oldest commit of its package's files (renames followed), or None.
        moves: renames that brought files into its lineage: (old path, new path, commit).
        authors: own-work authors, most recent first, each with their commits.
        codeowners: owners CODEOWNERS gives its package folder.
        parents: the stable classes its classes subclass.
        cochanges: commits that changed its package (not only added files to it) and a
            stable parent's module together.
        consumers: files outside the feature that name it, by kind.
        test_files: its test files with their static test counts.
        code_lines: (files, lines) of its package's Python modules.
        docs_page: its docs page, and whether it exists.
        checks: the last ``promote check`` result for it, or None (no data).
        usage: its usage, or None (no data).
        issues: the issues that name it, or None (no ``issues_file``: no data).
    """

    name: str
    package_dir: str
    today: dt.date
    commits: list[Commit] = field(default_factory=list)
    classified: list[Classified] = field(default_factory=list)
    own: list[Commit] = field(default_factory=list)
    sweeps: list[Commit] = field(default_factory=list)
    landed: Commit | None = None
    moves: list[tuple[str, str, Commit]] = field(default_factory=list)
    authors: list[tuple[str, str, list[Commit]]] = field(default_factory=list)
    codeowners: list[str] = field(default_factory=list)
    parents: list[ParentUse] = field(default_factory=list)
    cochanges: list[Commit] = field(default_factory=list)
    consumers: dict[str, list[str]] = field(default_factory=dict)
    test_files: list[tuple[str, int]] = field(default_factory=list)
    code_lines: tuple[int, int] = (0, 0)
    docs_page: tuple[str | None, bool] = (None, False)
    checks: dict | None = None
    usage: Usage | None = None
    issues: FeatureIssues | None = None

    @property
    def first_day(self) -> dt.date:
        """The day of its oldest commit (today without any)."""
        return min((_day(c) for c in self.commits), default=self.today)

    @property
    def age_days(self) -> int | None:
        return None if self.landed is None else (self.today - _day(self.landed)).days

    @property
    def last_own(self) -> Commit | None:
        return max(self.own, key=lambda c: c.time, default=None)

    @property
    def days_since_own(self) -> int | None:
        last = self.last_own
        return None if last is None else (self.today - _day(last)).days

    @property
    def overridden(self) -> tuple[int, int]:
        """(methods, parent lines) overridden, each (parent, method) counted once."""
        seen: dict[tuple[str, str, str], int] = {}
        for use in self.parents:
            for o in use.overrides:
                seen[(use.module, use.parent, o.method)] = o.lines
        return len(seen), sum(seen.values())

    @property
    def test_count(self) -> int:
        return sum(count for _, count in self.test_files)

    @property
    def consumer_count(self) -> int:
        return sum(len(files) for files in self.consumers.values())


def _day(commit: Commit) -> dt.date:
    return dt.datetime.fromtimestamp(commit.time, dt.timezone.utc).date()


def gather(
    repo: Repo,
    config: PromoteConfig,
    names: Sequence[str] | None = None,
    *,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> tuple[list[Evidence], UsageData]:
    """The evidence for ``names`` (every experimental feature when None).

    Returns:
        One :class:`Evidence` per feature, in the order of ``names``, and the usage data
        (with the problems met reading it).

    Raises:
        UsageError: an unknown feature, or not a git repository.
        ConfigError: a configured usage file is missing or malformed.
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    every = list_features(repo, config)
    names = list(names) if names is not None else every
    infos = [find_feature(repo, config, n) for n in names]
    commits = read_log(repo, progress)
    progress(f"analysing {len(infos)} feature(s): classes, tests, consumers ...")
    index = make_index(repo, config)
    found = []
    for info in infos:
        evidence = Evidence(info.name, info.package_dir, today)
        evidence.parents = stable_parents(repo, config, info, index)
        evidence.test_files = _test_files(repo, info)
        modules = [rel for rel in repo.files_under(info.package_dir) if rel.endswith(".py")]
        evidence.code_lines = (len(modules), sum(
            len((repo.read(rel) or "").splitlines()) for rel in modules))
        page = info.docs_page
        evidence.docs_page = (page, bool(page) and repo.exists(page))
        evidence.codeowners = _codeowners(repo, info.package_dir)
        found.append(evidence)
    by_name = {i.name: i for i in infos}
    _history(config, commits, [by_name.get(n) or find_feature(repo, config, n) for n in every]
             + [i for i in infos if i.name not in every], found)
    _consumers(repo, config, infos, found)
    checks = _last_checks(repo, config)
    usage = load_usage(repo, config, names)
    issues = load_issues(repo, config)
    named = None if issues is None else match_issues(issues, {
        i.name: _classes(i, e) for i, e in zip(infos, found, strict=True)})
    for evidence in found:
        evidence.checks = checks.get(evidence.name)
        evidence.usage = usage.for_feature(evidence.name, config.usage_window_days, today)
        evidence.issues = None if named is None else named[evidence.name]
    return found, usage


def _classes(info: FeatureInfo, evidence: Evidence) -> list[str]:
    """Its exported classes that name it in an issue: not one named like a stable parent."""
    parents = {p.parent for p in evidence.parents}
    return [n for n in info.exports if n[:1].isupper() and not n.isupper()
            and n not in parents]


def _history(config: PromoteConfig, commits: list[Commit], infos: list[FeatureInfo],
             found: list[Evidence]) -> None:
    """Each feature's commits, own work and sweeps, landing, moves, co-changes, authors.

    ``infos``: every experimental feature, reported or not.
    """
    parent_files = {e.name: {u.file for u in e.parents if u.in_repo} for e in found}
    history = classify(config, commits, infos, parent_files)
    for evidence in found:
        got = history[evidence.name]
        evidence.classified = got["classified"]
        evidence.commits = [c.commit for c in evidence.classified]
        evidence.own = [c.commit for c in evidence.classified if c.own]
        evidence.sweeps = [c.commit for c in evidence.classified if not c.own]
        evidence.landed = got["landed"]
        evidence.moves = got["moves"]
        evidence.cochanges = got["cochanges"]
        authors: dict[str, tuple[str, str, list[Commit]]] = {}
        for commit in sorted(evidence.own, key=lambda c: -c.time):
            authors.setdefault(commit.email.lower() or commit.author,
                               (commit.author, commit.email, []))[2].append(commit)
        evidence.authors = list(authors.values())


def _test_files(repo: Repo, info: FeatureInfo) -> list[tuple[str, int]]:
    """Test files (``test_*.py``, ``*_test.py``) and their test functions, counted statically.

    A test is a ``test*`` function at module level or a ``test*`` method of a ``Test*``
    class; a parametrized test counts once.
    """
    out = []
    for path in info.tests:
        for rel in repo.files_under(path):
            base = rel.rpartition("/")[2]
            if not (base.endswith(".py") and (base.startswith("test_")
                                              or base.endswith("_test.py"))):
                continue
            try:
                tree = ast.parse(repo.read(rel) or "")
            except SyntaxError:
                out.append((rel, 0))
                continue
            count = 0
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    count += node.name.startswith("test")
                elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                    count += sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                 and n.name.startswith("test") for n in node.body)
            out.append((rel, count))
    return sorted(dict.fromkeys(out))


def _codeowners(repo: Repo, package_dir: str) -> list[str]:
    """The owners the last matching CODEOWNERS rule gives ``package_dir``."""
    text = next((t for t in map(repo.read, CODEOWNERS_FILES) if t is not None), None)
    if text is None:
        return []
    parts = package_dir.split("/")
    folders = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    owners: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *rule_owners = line.split()
        if _owner_rule(pattern).search(f"{package_dir}/__init__.py") or any(
                _owner_rule(pattern, folder=True).search(f) for f in folders):
            owners = rule_owners
    return owners


def _owner_rule(pattern: str, folder: bool = False) -> re.Pattern[str]:
    """A CODEOWNERS (gitignore-style) pattern as a regular expression."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    dir_only = pattern.endswith("/")
    body = pattern.strip("/")
    regex = ""
    i = 0
    while i < len(body):
        if body.startswith("**", i):
            regex += ".*"
            i += 2
        elif body[i] == "*":
            regex += "[^/]*"
            i += 1
        elif body[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(body[i])
            i += 1
    head = "^" if anchored else "(?:^|/)"
    if dir_only and not folder:
        return re.compile(head + regex + "/")  # a file inside the folder
    return re.compile(head + regex + ("(?:/|$)"))


def _consumers(repo: Repo, config: PromoteConfig, infos: list[FeatureInfo],
               found: list[Evidence]) -> None:
    """Files outside each feature that name its import paths, grouped by kind."""
    names = {i.name for i in infos}
    patterns = [re.compile(rf"(?<![\w.]){re.escape(config.experimental_package)}\.(\w+)\b")]
    for alias in config.public_aliases:
        head, brace, tail = alias.partition("{name}")
        if brace:
            patterns.append(re.compile(rf"(?<![\w.]){re.escape(head)}(\w+){re.escape(tail)}\b"))
    own = {i.name: Lineage.of([p for p in [*i.tests, i.docs_page or ""] if p],
                              [i.package_dir, *i.tests]) for i in infos}
    by_name = {e.name: e for e in found}
    exp = config.experimental_dir.rstrip("/") + "/"
    stable_top = config.source_root.strip("./")
    for rel in repo.files():
        text = repo.read(rel)
        if not text:
            continue
        named = {m for p in patterns for m in p.findall(text)} & names
        for name in named:
            if own[name].owns(rel):
                continue
            kind = _kind(rel, exp, config.docs_dir, stable_top, config.top_package)
            by_name[name].consumers.setdefault(kind, []).append(rel)


def _kind(rel: str, exp: str, docs_dir: str, source_root: str, top: str) -> str:
    first = rel.partition("/")[0]
    if rel.startswith(exp):
        return "experimental"
    if rel.endswith((".md", ".mdx", ".rst", ".ipynb")) or rel.startswith(docs_dir + "/"):
        return "docs"
    if first in ("examples", "scripts", "tests", "benchmarks"):
        return first
    inside = rel.startswith(f"{source_root}/{top}/" if source_root else f"{top}/")
    return "stable" if inside and rel.endswith(".py") else "other"


def _last_checks(repo: Repo, config: PromoteConfig) -> dict[str, dict]:
    """The verdicts of the last ``promote check --format json`` (``check_report``)."""
    path = repo.root / config.check_report
    if not config.check_report or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
        return {f["feature"]: {
            "ready": bool(f["ready"]), "file": config.check_report,
            "verdicts": {r["check"]: r["verdict"] for r in f.get("results", [])}}
            for f in features}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # another tool's file, unreadable: no data rather than a guess
