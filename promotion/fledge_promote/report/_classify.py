"""Own work or sweep: what each commit that touched a feature is to that feature.

One walk of the log (newest first) finds, for every feature, the commits that touched its
own files (its package, its tests, its docs page; renames followed backwards) and, for
each, the figures the rules need. The rules are then applied in this order, the first that
holds deciding:

1. ``created`` (own work): the commit that created the feature: the oldest commit of its
   package's files, renames followed. Whatever else it touches (sibling features, docs
   pages, navigation, the paper index, examples), it is the feature's own work.
2. ``moved`` (own work): a commit that moved files into the feature's package from
   elsewhere: a stable module moved into the experimental folder, or the feature renamed.
3. ``focused`` (own work): the feature's share of the commit's change to code (lines
   added and deleted in ``.py`` files, a file with no changed lines counting as one) is
   more than half, however many other files or features it also touched.
4. ``many-features`` (sweep): the commit touched more than ``own_work_max_features``
   experimental features (folders of features that are gone count too).
5. ``many-files`` (sweep): it changed more than ``own_work_max_other_files`` files outside
   the feature's own files.
6. ``follow-up`` (own work): every other commit: it changes the feature and little else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..repository._config import PromoteConfig
from ..repository._features import FeatureInfo
from ._history import Change, Commit, Lineage

__all__ = ["OWN_RULES", "SWEEP_RULES", "Classified", "classify", "code_weight"]

OWN_RULES = ("created", "moved", "focused", "follow-up")
SWEEP_RULES = ("many-features", "many-files")
FOCUS_SHARE = 0.5
CODE_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Classified:
    """What one commit is to one feature, and the figures that decided it.

    Attributes:
        commit: the commit.
        own: own work (True) or a sweep (False).
        rule: the rule that decided (one of :data:`OWN_RULES` or :data:`SWEEP_RULES`).
        share: the feature's share of the commit's change to code, or None when the commit
            changed no code.
        features: how many experimental features the commit touched.
        other_files: how many files it changed outside the feature's own files.
    """

    commit: Commit
    own: bool
    rule: str
    share: float | None
    features: int
    other_files: int

    def to_dict(self) -> dict:
        return {"commit": self.commit.sha, "kind": "own_work" if self.own else "sweep",
                "rule": self.rule,
                "code_share": None if self.share is None else round(self.share, 4),
                "features": self.features, "other_files": self.other_files}


def code_weight(change: Change) -> int:
    """How much a change counts in a commit's change to code: its lines, at least 1."""
    return max(change.lines, 1) if change.path.endswith(CODE_SUFFIXES) else 0


@dataclass
class _Seen:
    commit: Commit
    mine: int  # code weight of the feature's changes
    total: int  # code weight of all the commit's changes
    features: int
    other_files: int
    moved_in: bool


def classify(config: PromoteConfig, commits: Sequence[Commit], infos: Sequence[FeatureInfo],
             parent_files: dict[str, set[str]]) -> dict[str, dict]:
    """The commits of the features ``parent_files`` names, classified, in one walk of the log.

    Args:
        infos: every experimental feature of the repository, reported or not: the features
            a commit touched are counted the same whichever are reported.
        parent_files: per reported feature, the repository files of its stable parents'
            modules.

    Returns:
        Per feature: ``classified`` (:class:`Classified`, newest first), ``landed`` (the
        oldest commit of its package, or None), ``moves`` ((old, new, commit) that brought
        files into its package from elsewhere) and ``cochanges`` (commits that changed its
        package, not only added files to it, together with a stable parent's module).
    """
    exp = config.experimental_dir.rstrip("/") + "/"
    code = {i.name: Lineage.of((), [i.package_dir]) for i in infos}
    extras = {i.name: Lineage.of([p for p in [*i.tests, i.docs_page or ""] if p.endswith(
        (".py", ".md", ".mdx", ".rst"))], [t for t in i.tests if not t.endswith(".py")])
        for i in infos}
    reported = [i for i in infos if i.name in parent_files]
    wanted = {f for files in parent_files.values() for f in files}
    parents = {f: Lineage.of([f]) for f in wanted}
    package = {i.name: i.package_dir + "/" for i in reported}
    seen: dict[str, list[_Seen]] = {i.name: [] for i in reported}
    landed: dict[str, Commit | None] = {i.name: None for i in reported}
    cochanges: dict[str, list[Commit]] = {i.name: [] for i in reported}
    for commit in commits:  # newest first: each lineage learns its renames on the way
        renames_before = {n: len(code[n].renamed_from) for n in package}
        touched_code = {n for n, lin in code.items() if lin.touched_by(commit)}
        keys = touched_code | {n for n, lin in extras.items() if lin.touched_by(commit)}
        parents_hit = {f for f, lin in parents.items() if lin.touched_by(commit)}
        touched = keys & package.keys()
        if not touched:
            continue
        keys |= {c.path[len(exp):].partition("/")[0] for c in commit.changes
                 if c.path.startswith(exp) and "/" in c.path[len(exp):]
                 and not any(lin.owns(c.path) for lin in code.values())}
        total = sum(map(code_weight, commit.changes))
        for name in touched:
            mine = [c for c in commit.changes
                    if any(code[name].owns(p) or extras[name].owns(p) for p in c.paths())]
            moved_in = any(not old.startswith(package[name])
                           for old, _, _ in code[name].renamed_from[renames_before[name]:])
            seen[name].append(_Seen(commit, sum(map(code_weight, mine)), total, len(keys),
                                    len(commit.changes) - len(mine), moved_in))
            if name in touched_code:
                landed[name] = commit  # the last one seen is the oldest
            if parent_files[name] & parents_hit and any(
                    c.status != "A" and code[name].owns(c.path) for c in commit.changes):
                cochanges[name].append(commit)  # changed, not just added, with a parent
    out = {}
    for info in reported:
        name = info.name
        first = landed[name]
        out[name] = {
            "classified": [_rule(config, s, first) for s in seen[name]],
            "landed": first,
            "moves": [(old, new, c) for old, new, c in code[name].renamed_from
                      if not old.startswith(package[name])],
            "cochanges": cochanges[name],
        }
    return out


def _rule(config: PromoteConfig, s: _Seen, landed: Commit | None) -> Classified:
    share = s.mine / s.total if s.total else None
    if landed is not None and s.commit.sha == landed.sha:
        rule = "created"
    elif s.moved_in:
        rule = "moved"
    elif share is not None and share > FOCUS_SHARE:
        rule = "focused"
    elif s.features > config.own_work_max_features:
        rule = "many-features"
    elif s.other_files > config.own_work_max_other_files:
        rule = "many-files"
    else:
        rule = "follow-up"
    return Classified(s.commit, rule in OWN_RULES, rule, share, s.features, s.other_files)
