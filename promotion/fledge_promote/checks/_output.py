"""Output formats for check results: a table (default), JSON, GitHub annotations, JUnit XML.

The checks produce :class:`FeatureReport` objects; these functions only render them.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET

from fledge._text import safe

from ._adoption import NO_EVIDENCE, verdict_words
from ._protocol import FeatureReport, Verdict

__all__ = ["render", "FORMATS"]

FORMATS = ("table", "json", "github", "junit")
_MARK = {Verdict.PASS: "pass", Verdict.FAIL: "FAIL", Verdict.SKIP: "skip", Verdict.ERROR: "ERROR"}


def render(reports: list[FeatureReport], fmt: str) -> str:
    """Render ``reports`` in format ``fmt`` (one of :data:`FORMATS`)."""
    return {"table": _table, "json": _json, "github": _github, "junit": _junit}[fmt](reports)


def _table(reports: list[FeatureReport]) -> str:
    width = max(shutil.get_terminal_size((100, 24)).columns, 60)
    out = []
    for report in reports:
        words = verdict_words(report)
        head = "READY on hygiene; no adoption evidence" if words == NO_EVIDENCE else words
        out.append(f"{report.feature}: {head.upper() if head == words else head}")
        name_width = max((len(r.check) for r in report.results), default=5)
        indent = " " * (2 + name_width + 2 + 5 + 2)
        for r in report.results:
            head = f"  {r.check:<{name_width}}  {_MARK[r.verdict]:<5}  "
            out.extend(textwrap.wrap(safe(r.reason), width, initial_indent=head,
                                     subsequent_indent=indent) or [head])
            if r.fix and r.verdict is not Verdict.PASS:
                out.extend(textwrap.wrap("fix: " + safe(r.fix), width, initial_indent=indent,
                                         subsequent_indent=indent + "     "))
        out.append("")
    ready = sum(r.ready for r in reports)
    out.append(f"{ready} of {len(reports)} feature(s) ready for promotion.")
    return "\n".join(out)


def _json(reports: list[FeatureReport]) -> str:
    return json.dumps({"ready": all(r.ready for r in reports),
                       "features": [{**r.to_dict(), "verdict": verdict_words(r)}
                                    for r in reports]}, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(reports: list[FeatureReport]) -> str:
    """GitHub Actions workflow commands: an annotation per failed, crashed or skipped check."""
    lines = []
    for report in reports:
        for r in report.results:
            if r.verdict is Verdict.PASS:
                continue
            level = {"fail": "warning", "error": "error", "skip": "notice"}[r.verdict.value]
            props = [f"title={_escape_property(f'promote {r.check} ({report.feature})')}"]
            if r.file:
                props.insert(0, f"file={_escape_property(r.file)}")
                if r.line:
                    props.insert(1, f"line={r.line}")
            message = safe(r.reason) + (f" Fix: {safe(r.fix)}" if r.fix else "")
            lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
        verdict = verdict_words(report)
        counts = {v: sum(r.verdict is v for r in report.results) for v in Verdict}
        lines.append(f"{report.feature}: {verdict} ({counts[Verdict.PASS]} passed, "
                     f"{counts[Verdict.FAIL]} failed, {counts[Verdict.SKIP]} skipped, "
                     f"{counts[Verdict.ERROR]} errors)")
    return "\n".join(lines)


def _junit(reports: list[FeatureReport]) -> str:
    root = ET.Element("testsuites", name="promote check")
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=report.feature,
                              tests=str(len(report.results)))
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for r in report.results:
            case = ET.SubElement(suite, "testcase", classname=f"promote.{report.feature}",
                                 name=r.check, time=f"{r.duration:.3f}")
            if r.file:
                case.set("file", r.file)
            text = r.reason + (f"\nFix: {r.fix}" if r.fix else "")
            if r.verdict is Verdict.FAIL:
                ET.SubElement(case, "failure", message=r.reason).text = text
                counts["failures"] += 1
            elif r.verdict is Verdict.ERROR:
                ET.SubElement(case, "error", message=r.reason).text = text
                counts["errors"] += 1
            elif r.verdict is Verdict.SKIP:
                ET.SubElement(case, "skipped", message=r.reason)
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
