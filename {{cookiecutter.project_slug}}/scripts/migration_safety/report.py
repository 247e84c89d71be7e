"""Findings as text for people, JSON for scripts, SARIF and GitLab for CI."""

import hashlib
import json
from collections import Counter
from typing import Any

from .catalog import RULES, generic
from .model import Analysis, Finding
from .project import display

TOOL = "migration-safety"
GITLAB_SEVERITY = {"info": "info", "warning": "minor", "error": "critical"}
SARIF_LEVEL = {"info": "note", "warning": "warning", "error": "error"}


def as_dict(item: Finding) -> dict[str, Any]:
    return {
        "rule": item.rule,
        "severity": item.severity,
        "file": display(item.path),
        "line": item.line,
        "message": item.message,
        "fixable": item.fixable,
        "source": item.source,
        "revision": item.revision,
        "impact": item.impact,
        "recipe": item.recipe,
        "lock_risk": item.lock_risk,
        "sql": item.sql,
    }


def render_json(findings: list[Finding]) -> str:
    return json.dumps([as_dict(item) for item in findings], indent=2)


def render_text(
    findings: list[Finding],
    analyses: list[Analysis],
    notes: list[str],
    *,
    verbose: bool,
    summary: str,
) -> str:
    out: list[str] = []
    if verbose:
        for analysis in analyses:
            out.append(
                f"-- {display(analysis.revision.path)} ({analysis.revision.revision})"
            )
            for statement in analysis.statements:
                out.append(f"-- line {statement.line}")
                out.append(statement.sql)
            out.append("")
    for item in findings:
        fixable = " [fixable: --fix]" if item.fixable else ""
        out.append(
            f"{display(item.path)}:{item.line}: {item.severity} [{item.rule}] "
            f"{item.message}{fixable}"
        )
        if item.lock_risk:
            out.append(f"    lock risk: {item.lock_risk}")
        if item.impact:
            out.append(f"    in production: {item.impact}")
        if item.recipe:
            out.append(f"    safe recipe: {item.recipe}")
        if verbose and item.sql:
            out.append(f"    sql: {item.sql}")
    out.extend(f"note: {note}" for note in notes)
    out.append(summary)
    return "\n".join(out)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(findings: list[Finding], revisions: int) -> str:
    checked = f"{_plural(revisions, 'revision')} checked"
    if not findings:
        return f"{checked}: no findings."
    counts = Counter(item.severity for item in findings)
    parts = [
        _plural(counts[severity], severity)
        for severity in ("error", "warning", "info")
        if counts[severity]
    ]
    fixable = sum(item.fixable for item in findings)
    fix_hint = f", {fixable} fixable with --fix" if fixable else ""
    return f"{checked}: {', '.join(parts)}{fix_hint}."


def _fingerprints(findings: list[Finding]) -> list[str]:
    """Stable across unrelated edits (no line numbers), unique within a report."""
    seen: Counter[str] = Counter()
    prints = []
    for item in findings:
        key = f"{item.rule}|{display(item.path)}|{item.revision}|{item.message}"
        seen[key] += 1
        prints.append(hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest())
    return prints


def render_gitlab(findings: list[Finding]) -> str:
    return json.dumps(
        [
            {
                "description": f"[{item.rule}] {item.message}",
                "check_name": item.rule,
                "fingerprint": fingerprint,
                "severity": GITLAB_SEVERITY[item.severity],
                "location": {"path": display(item.path), "lines": {"begin": item.line}},
            }
            for item, fingerprint in zip(findings, _fingerprints(findings), strict=True)
        ],
        indent=2,
    )


def render_sarif(findings: list[Finding], notes: list[str], version: str) -> str:
    used = sorted({item.rule for item in findings})
    rules = []
    for rule in used:
        entry: dict[str, Any] = {
            "id": rule,
            "name": rule,
            "shortDescription": {"text": rule.replace("-", " ")},
        }
        if (texts := generic(rule)) is not None:
            entry["fullDescription"] = {"text": texts[0]}
            entry["help"] = {"text": texts[1]}
            level = SARIF_LEVEL[RULES[rule].severity]
            entry["defaultConfiguration"] = {"level": level}
        rules.append(entry)
    results = []
    for item, fingerprint in zip(findings, _fingerprints(findings), strict=True):
        text = item.message
        if item.impact:
            text += f" In production: {item.impact}"
        if item.recipe:
            text += f" Safe recipe: {item.recipe}"
        results.append(
            {
                "ruleId": item.rule,
                "ruleIndex": used.index(item.rule),
                "level": SARIF_LEVEL[item.severity],
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": display(item.path).replace("\\", "/")
                            },
                            "region": {"startLine": item.line},
                        }
                    }
                ],
                "partialFingerprints": {"migrationSafety/v1": fingerprint},
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "version": version, "rules": rules}},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"message": {"text": note}, "level": "note"}
                            for note in notes
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(log, indent=2)
