"""report.html: the run on one self-contained page, to attach to a ticket or a PR.

Everything comes from report.json (no secret is in it) and the charts, which are
embedded, so the file can be mailed or uploaded on its own.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from .judge import describe_run
from .report import ALL

COLUMNS = ("p50", "p90", "p95", "p99", "p99.9", "max")
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.all td { font-weight: 600; }
.pass { color: #17692d; } .breach, .invalid { color: #b00020; font-weight: 600; }
.inconclusive { color: #8a6d00; }
code, .sample { font-family: ui-monospace, monospace; font-size: 12px; color: #555; }
img { max-width: 100%; border: 1px solid #eee; margin: .5em 0; }
"""


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _endpoint_rows(report: Mapping[str, Any]) -> str:
    rows = [*report["endpoints"].items(), (ALL, report["summary"])]
    out = []
    for name, entry in rows:
        latency = entry["latency_ms"]
        cells = "".join(f"<td>{_ms(latency.get(c))}</td>" for c in COLUMNS)
        css = ' class="all"' if name == ALL else ""
        out.append(
            f"<tr{css}><td>{escape(name)}</td><td>{entry['requests']}</td>"
            f"<td>{entry['failures']}</td><td>{entry['rps']:.1f}</td>{cells}</tr>"
        )
    return "\n".join(out)


def _errors(report: Mapping[str, Any]) -> str:
    errors = report["errors"]
    if not errors:
        return "<p>No failed requests.</p>"
    rows = "\n".join(
        f"<tr><td>{escape(row['endpoint'])}</td><td>{row['count']}</td>"
        f"<td>{escape(row['error'])}<br><span class=sample>"
        f"{escape(row.get('sample') or '')}</span></td></tr>"
        for row in errors
    )
    return (
        "<table><tr><th>endpoint</th><th>count</th><th>error (first answer)</th></tr>"
        f"\n{rows}</table>"
    )


def _checks(report: Mapping[str, Any]) -> str:
    checks = report.get("checks") or {}
    if not checks:
        return "<p>No answers were checked (--check-responses 0, or --locustfile).</p>"
    rows = "\n".join(
        f"<tr><td>{escape(endpoint)}</td><td>{r['checked']}</td><td>{r['failed']}</td>"
        f"<td class=sample>{escape(r['first_problem'])}</td></tr>"
        for endpoint, r in checks.items()
    )
    return (
        "<table><tr><th>endpoint</th><th>checked</th><th>did not match</th>"
        f"<th>first problem</th></tr>\n{rows}</table>"
    )


def _verdicts(report: Mapping[str, Any]) -> str:
    analysis = report.get("analysis")
    if not analysis:
        return "<p>Not analyzed (run with <code>--analyze</code>).</p>"
    rows = "\n".join(
        f"<tr><td>{escape(v['scope'])}</td><td>{escape(v['objective'])}</td>"
        f"<td class={escape(v['status'])}>{escape(v['status'])}</td>"
        f"<td>{escape(v['detail'])}</td></tr>"
        for v in analysis["verdicts"]
    )
    return (
        f"<p>Result: <strong>{escape(analysis['result'])}</strong> "
        f"(exit {analysis['exit_code']})</p>"
        "<table><tr><th>scope</th><th>objective</th><th>status</th><th>detail</th></tr>"
        f"\n{rows}</table>"
    )


def _validity(report: Mapping[str, Any]) -> str:
    validity = report["validity"]
    if validity["valid"]:
        return (
            "<p class=pass>Valid run: the generator delivered the load asked for.</p>"
        )
    reasons = "".join(f"<li>{escape(reason)}</li>" for reason in validity["reasons"])
    return f"<p class=invalid>INVALID RUN</p><ul>{reasons}</ul>"


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{escape(path.stem)}" src="data:image/png;base64,{data}">'


def write_html(report: Mapping[str, Any], path: Path, charts: Sequence[Path]) -> Path:
    """Write the page; returns its path."""
    title = f"Load test: {report['run']['host']}"
    images = "\n".join(_image(chart) for chart in charts if chart.is_file())
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(describe_run(report))}<br>
<code>{escape(" ".join(report["run"]["command"]))}</code><br>
{escape(report["run"]["started_at"])} to {escape(report["run"]["ended_at"])}</p>
<h2>Validity</h2>
{_validity(report)}
<h2>SLOs</h2>
{_verdicts(report)}
<h2>Endpoints <small>(latency in ms from the intended send time)</small></h2>
<table>
<tr><th>endpoint</th><th>reqs</th><th>fails</th><th>req/s</th>{"".join(f"<th>{c}</th>" for c in COLUMNS)}</tr>
{_endpoint_rows(report)}
</table>
<h2>Errors</h2>
{_errors(report)}
<h2>Response checks <small>(sampled answers against the OpenAPI schema)</small></h2>
{_checks(report)}
<h2>Charts</h2>
{images or "<p>No charts (--no-plots).</p>"}
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")
    return path
