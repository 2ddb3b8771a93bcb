"""The mkdocs writer of the catalogue: its pages, from the content model (no mkdocs import).

The content of each feature comes from `fledge._catalogue_model` (`entry_of`), as for the
Sphinx and doc-builder writers; this writer adds what only the site shows (distribution,
requirements, links, evidence, problems).

Every value that comes from a plugin (summary, owners, distribution, links, problem reasons)
is someone else's text: it is HTML-escaped before it reaches a page, and the pages put it
inside raw HTML blocks so that Markdown never reinterprets it either.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ._catalogue_model import entry_of
from ._manifest import Stage, field_docs
from ._readiness import UNKNOWN, Check, Readiness, load_readiness
from ._records import FIXES, FeatureRecord, Problem, ProblemKind, Status
from ._report_evidence import UNREPORTED, Evidence

if TYPE_CHECKING:
    from ._host import Host

__all__ = [
    "Check",
    "Readiness",
    "UNKNOWN",
    "load_readiness",
    "manifest_fields_table",
    "problem_kinds_table",
    "render_feature",
    "render_index",
]

# -- rendering --------------------------------------------------------------------------------

_STYLE = """<style>
.fledge-badge{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.75em;
font-weight:700;line-height:1.6;white-space:nowrap;color:#fff;background:#757575}
.fledge-badge--experimental{background:#e65100}.fledge-badge--stable{background:#2e7d32}
.fledge-badge--deprecated{background:#b71c1c}.fledge-badge--ready{background:#2e7d32}
.fledge-badge--not-ready{background:#c62828}.fledge-badge--unknown{background:#757575}
#fledge-features tr[hidden]{display:none}
</style>"""

# Small and dependency-free: filters rows by their data-stage, and reads/writes the choice as
# `#stage=...` so a filtered view can be linked to.
_SCRIPT = """<script>
(function () {
  function setup() {
    var select = document.getElementById("fledge-stage");
    var table = document.getElementById("fledge-features");
    if (!select || !table || select.dataset.ready) { return; }
    select.dataset.ready = "1";
    var rows = table.querySelectorAll("tbody tr");
    var count = document.getElementById("fledge-count");
    function apply(stage) {
      var shown = 0;
      rows.forEach(function (row) {
        var match = stage === "all" || row.getAttribute("data-stage") === stage;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " features shown";
    }
    var asked = /(?:^|[#&?])stage=([a-z]+)/.exec(location.hash + "&" + location.search.slice(1));
    if (asked && select.querySelector('option[value="' + asked[1] + '"]')) {
      select.value = asked[1];
    }
    select.addEventListener("change", function () {
      var hash = select.value === "all" ? "" : "#stage=" + select.value;
      history.replaceState(null, "", location.pathname + location.search + hash);
      apply(select.value);
    });
    apply(select.value);
  }
  if (window.document$ && window.document$.subscribe) { window.document$.subscribe(setup); }
  else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else { setup(); }
})();
</script>"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _badge(kind: str, text: str, title: str = "") -> str:
    css = kind.replace(" ", "-")
    tip = f' title="{_e(title)}"' if title else ""
    return f'<span class="fledge-badge fledge-badge--{_e(css)}"{tip}>{_e(text)}</span>'


def _dist(record: FeatureRecord) -> str:
    if record.distribution is None:
        return "unknown"
    return f"{record.distribution} {record.version or ''}".strip()


def render_index(
    records: list[FeatureRecord],
    problems: list[Problem],
    readiness: Mapping[str, Readiness],
    link: Callable[[str], str],
    *,
    title: str = "Feature catalogue",
    evidence: Mapping[str, Evidence] | None = None,
) -> str:
    """The catalogue's index page (Markdown with raw HTML blocks).

    Args:
        records: the registry's features.
        problems: the registry's problems; plugins that failed to load are listed.
        readiness: verdicts by feature name; a feature without one shows ``unknown``.
        link: the URL of a feature's page relative to the index, given its name.
        title: the page title.
        evidence: the last ``promote report``'s key columns by feature name; when given,
            the table shows age, last own work, owner and usage ("no data" where missing).
    """
    stages = [stage.value for stage in Stage]
    options = "".join(f'<option value="{s}">{s}</option>' for s in ["all", *stages])
    rows = []
    for record in records:
        entry = entry_of(record, readiness.get(record.name, UNKNOWN))
        ready = entry.readiness or UNKNOWN
        status = "" if record.status is Status.OK else (
            " " + _badge("unknown", entry.status,
                         record.problem.reason if record.problem else ""))
        rows.append(
            f'<tr data-stage="{_e(entry.stage)}" data-feature="{_e(entry.name)}">'
            f'<td><a href="{_e(link(entry.name))}"><code>{_e(entry.name)}</code></a>{status}'
            f"<br><small>{_e(entry.summary)}</small></td>"
            f"<td>{_badge(entry.stage, entry.stage)}</td>"
            f"<td>{_e(entry.since)}</td>"
            f"<td>{_e(', '.join(entry.owners) or '-')}</td>"
            f"<td>{_e(_dist(record))}</td>"
            f"<td>{_badge(ready.state, ready.state, ready.detail)}</td>"
            f"{_evidence_cells(evidence, entry.name)}</tr>"
        )
    span = 6 if evidence is None else 6 + len(_EVIDENCE_COLUMNS)
    body = "\n".join(rows) or f'<tr><td colspan="{span}">No features are installed.</td></tr>'
    parts = [
        f"# {title}\n",
        f"Every feature installed where this site was built: {len(records)} in all. "
        "Pick a stage to filter the table; each name opens the feature's page.\n",
        '<div class="fledge-catalogue">\n' + _STYLE + "\n"
        f'<p><label for="fledge-stage">Stage</label> <select id="fledge-stage">{options}'
        f'</select> <span id="fledge-count">{len(records)} of {len(records)} features shown'
        "</span></p>\n"
        '<table id="fledge-features">\n<thead><tr><th>Feature</th><th>Stage</th>'
        "<th>Since</th><th>Owners</th><th>Distribution</th><th>Readiness</th>"
        + ("" if evidence is None else "".join(f"<th>{c}</th>" for c in _EVIDENCE_COLUMNS))
        + "</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>\n</div>\n",
        _SCRIPT + "\n",
    ]
    if problems:
        parts.append(_problems_block(problems))
    return "\n".join(parts)


_EVIDENCE_COLUMNS = ("Age", "Last own work", "Owner", "Usage")


def _evidence_cells(evidence: Mapping[str, Evidence] | None, name: str) -> str:
    if evidence is None:
        return ""
    found = evidence.get(name, UNREPORTED)
    return "".join(f"<td>{_e(value)}</td>" for value in
                   (found.age, found.last_own_work, found.owner, found.usage))


def _problems_block(problems: list[Problem]) -> str:
    rows = "\n".join(
        f"<tr><td><code>{_e(p.kind.value)}</code></td><td>{_e(p.subject)}</td>"
        f"<td>{_e(p.reason)}</td><td>{_e(p.fix)}</td></tr>"
        for p in problems
    )
    return (
        "## Plugins that did not load\n\n"
        "Found where the site was built; `fledge doctor` explains each.\n\n"
        "<table>\n<thead><tr><th>Kind</th><th>Plugin</th><th>Why</th><th>Fix</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody>\n</table>\n"
    )


def render_feature(
    record: FeatureRecord,
    readiness: Readiness,
    *,
    index_url: str,
    docs_url: str | None = None,
    evidence: Evidence | None = None,
) -> str:
    """One feature's page: metadata, import path, requirements, links, readiness.

    Args:
        record: the feature's registry record.
        readiness: its last ``promote check`` verdict, or `UNKNOWN`.
        index_url: the catalogue index's URL relative to this page.
        docs_url: the URL of the feature's own docs page in this site, when it has one.
        evidence: its key columns from the last ``promote report``, when one is configured.
    """
    f, entry = record.feature, entry_of(record, readiness)
    rows: list[tuple[str, str]] = [
        ("Summary", _e(entry.summary)),
        ("Stage", _badge(entry.stage, entry.stage)),
        ("Import path", f"<code>{_e(record.import_path)}</code>"),
        ("Exports", ", ".join(f"<code>{_e(name)}</code>" for name in f.exports)),
        ("Since", _e(entry.since)),
        ("Owners", _e(", ".join(entry.owners) or "-")),
        ("Distribution", f"{_e(_dist(record))} (entry point <code>{_e(record.plugin)}</code>)"),
        ("Status", _e(record.status.value) + (
            f": {_e(record.problem.reason)} (fix: {_e(record.problem.fix)})"
            if record.problem else "")),
        ("Requires", ", ".join(f"<code>{_e(d)}{_e(s)}</code>" for d, s in f.requires.items())
         or "nothing beyond fledge"),
        ("Implementation", f"<code>{_e(f.module)}</code>"),
    ]
    if f.docs:
        target = docs_url or (f.docs if f.docs.startswith(("http://", "https://")) else None)
        rows.append(("Docs", f'<a href="{_e(target)}">{_e(f.docs)}</a>' if target
                     else _e(f.docs)))
    if f.tests:
        rows.append(("Tests", ", ".join(f"<code>{_e(t)}</code>" for t in f.tests)))
    for label, url in f.links.items():
        rows.append((_e(label).capitalize(),
                     f'<a href="{_e(url)}" rel="nofollow noopener">{_e(url)}</a>'))
    if evidence is not None:
        rows += [(label, _e(value)) for label, value in zip(
            _EVIDENCE_COLUMNS, (evidence.age, evidence.last_own_work, evidence.owner,
                                evidence.usage), strict=True)]
    if f.demo:
        rows.append(("Demo", f"<code>fledge demo {_e(f.name)}</code>"))
    for label, value in (("Stable path", f.stable_path), ("Promoted in", f.promoted_in),
                         ("Removal", f.removal), ("Replacement", f.replacement)):
        if value:
            rows.append((label, _e(value)))
    table = "\n".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    parts = [
        f"# {entry.name}\n",
        f'<div class="fledge-feature">\n{_STYLE}\n<table>\n{table}\n</table>\n</div>\n',
        "## Usage\n",
        f"```python\n{entry.import_line}\n```\n",
        "## Readiness\n",
        _readiness_block(readiness),
        f'<p><a href="{_e(index_url)}">Back to the catalogue</a></p>\n',
    ]
    return "\n".join(parts)


def _readiness_block(readiness: Readiness) -> str:
    head = f"<p>{_badge(readiness.state, readiness.state)} {_e(readiness.detail)}</p>"
    if not readiness.checks:
        return f"<div>\n{head}\n</div>\n"
    rows = "\n".join(
        f"<tr><td><code>{_e(c.name)}</code></td><td>{_e(c.outcome)}</td>"
        f"<td>{_e(c.message)}</td><td>{_e(c.fix)}</td></tr>"
        for c in readiness.checks
    )
    return (f"<div>\n{head}\n<table>\n<thead><tr><th>Check</th><th>Outcome</th>"
            f"<th>Message</th><th>Fix</th></tr></thead>\n<tbody>\n{rows}\n</tbody>\n"
            "</table>\n</div>\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def manifest_fields_table() -> str:
    """A Markdown table of every manifest field and its description."""
    lines = ["| Field | Meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(doc)} |" for name, doc in field_docs().items()]
    return "\n".join(lines)


#: When each problem kind is recorded, in words, for the docs' table.
PROBLEM_MEANINGS: dict[ProblemKind, str] = {
    ProblemKind.SYNTAX_ERROR: "The plugin's module has a syntax error.",
    ProblemKind.IMPORT_ERROR: "The plugin's module raised while being imported.",
    ProblemKind.BAD_ENTRY_POINT: "The entry point names nothing importable, or not a module.",
    ProblemKind.INVALID_HOOKIMPL: "A `@fledge.hookimpl` function matches no hook's name or "
                                  "arguments.",
    ProblemKind.HOOK_ERROR: "A hook implementation raised.",
    ProblemKind.NO_FEATURES: "`fledge_features` returned an empty list.",
    ProblemKind.NOT_A_FEATURE: "`fledge_features` returned something other than `Feature`s.",
    ProblemKind.INVALID_MANIFEST: "A `Feature(...)` broke a field's rule.",
    ProblemKind.RESERVED_NAME: "A feature took a name the host reserves.",
    ProblemKind.DUPLICATE_NAME: "Two plugins declare a feature of the same name; the first "
                                "one found keeps it (an in-tree feature always does).",
    ProblemKind.MISSING_REQUIREMENT: "A distribution in `requires` is not installed.",
    ProblemKind.UNMET_REQUIREMENT: "A distribution in `requires` is installed at a version "
                                   "outside the specifier.",
    ProblemKind.IMPLEMENTATION_ERROR: "The feature's implementation module raised on import.",
    ProblemKind.MISSING_EXPORT: "The implementation lacks a name listed in `exports`.",
    ProblemKind.BLOCKED: "A switch (`<PREFIX>_PLUGINS_BLOCK`, `<PREFIX>_PLUGINS_ALLOW`, "
                         "`<PREFIX>_DISABLE_PLUGIN_AUTOLOAD`; `FLEDGE_...` for fledge's own "
                         "namespace) kept it out. A note, not an error.",
}


def problem_kinds_table(host: Host | None = None) -> str:
    """A Markdown table of every problem kind ``fledge doctor`` reports, with its fix.

    Args:
        host: whose entry point group and switches the fixes name; None: fledge's own.
    """
    if host is None:
        from ._fledge_host import host
    lines = ["| Kind | When | Fix `fledge doctor` suggests |", "| --- | --- | --- |"]
    words = {"dist": "the distribution", "requirement": "the requirement", "switch": "the switch",
             "group": host.group, "block": host.switch_variables[2]}
    lines += [f"| `{kind.value}` | {_cell(PROBLEM_MEANINGS[kind])} | "
              f"{_cell(FIXES[kind].format_map(words))} |"
              for kind in ProblemKind]
    return "\n".join(lines)
