"""report.json: raw histograms plus the run's parameters, validity and summary."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .histogram import Histogram
from .recorder import ON_TIME_TOLERANCE_MS, EndpointStats, Recorder

TOOL_NAME = "api_load_tester"
TOOL_VERSION = "1.0.0"
REPORT_SCHEMA = "api-load-tester/report/1"
PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
ALL = "All"
MAX_ERROR_ROWS = 10

# The open model's generator must send at least this share of its schedule on
# time (see recorder.ON_TIME_TOLERANCE_MS), or the load under test is not the
# load asked for: sustained or growing lag makes most sends late, while a burst
# (e.g. the answers released by a server stall) delays only a few.
MIN_ON_TIME_SHARE = 0.95
# Locust's own warning threshold for a load generator's CPU.
MAX_CPU_PERCENT = 90.0


class ReportError(Exception):
    """A report file cannot be read or is not a report of this tool."""


def percentile_key(q: float) -> str:
    return f"p{q:g}"


def summarize(stats: EndpointStats, duration_s: float) -> dict[str, Any]:
    histogram = stats.latency
    return {
        "requests": stats.requests,
        "failures": stats.failures,
        "error_rate": stats.failures / stats.requests if stats.requests else 0.0,
        "rps": stats.requests / duration_s if duration_s else 0.0,
        "latency_ms": {
            **{percentile_key(q): histogram.percentile(q) for q in PERCENTILES},
            "max": histogram.max_us / 1000 if histogram.total else None,
            "mean": histogram.mean(),
        },
        "histogram": histogram.to_json(),
    }


@dataclass(frozen=True)
class Validity:
    valid: bool
    reasons: list[str]
    checks: dict[str, Any]


# Above this share of failed requests the latencies describe error paths (a
# scenario that lost its state, a 404 flood), unless an error_rate SLO judges it.
MAX_ERROR_SHARE = 0.01


def judge_validity(
    recorder: Recorder, model: str, rate: float | None, *, errors_judged: bool = False
) -> Validity:
    """Whether the generator delivered the load it was asked for, and why not."""
    reasons: list[str] = []
    checks: dict[str, Any] = {}
    overall = recorder.overall()
    if overall.requests == 0:
        reasons.append("no request was measured in the window")
    elif not errors_judged and overall.failures / overall.requests > MAX_ERROR_SHARE:
        (endpoint, error), count = next(
            ((key, count) for key, count in recorder.errors.most_common()),
            (("", ""), 0),
        )
        reasons.append(
            f"{overall.failures / overall.requests:.1%} of requests failed (most: "
            f"{count} x {endpoint} {error}), above {MAX_ERROR_SHARE:.0%}: the "
            "latencies describe error answers; fix the scenario (--exclude the "
            "operation) or judge errors with an error_rate SLO"
        )
    if model == "open" and rate is not None:
        schedule = recorder.schedule
        planned = max(schedule.planned, 1)
        share = schedule.on_time / planned
        achieved = schedule.on_time / recorder.duration_s
        checks |= {
            "target_rps": rate,
            "achieved_rps": round(achieved, 2),
            "on_time_share": round(share, 4),
            "late_sends": schedule.late,
            "unsent": schedule.unsent,
            "wake_lag_ms": {
                "p50": schedule.wake_lag.percentile(50),
                "p99": schedule.wake_lag.percentile(99),
                "max": schedule.wake_lag.max_us / 1000,
            },
            "in_flight_cap_waits": schedule.in_flight_cap_waits,
        }
        if share < MIN_ON_TIME_SHARE:
            reasons.append(
                f"the generator sent only {schedule.on_time} of {schedule.planned} "
                f"scheduled requests on time ({achieved:.1f} of {rate:g} req/s, "
                f"{share:.0%} < {MIN_ON_TIME_SHARE:.0%}; {schedule.late} late by more "
                f"than {ON_TIME_TOLERANCE_MS:g} ms, {schedule.unsent} never sent): it "
                "could not keep up, add --processes or lower --rate"
            )
    for process in recorder.processes:
        mean = process.get("cpu_percent_mean")
        where = f"{process['host']} pid {process['pid']}"
        if mean is not None and mean >= MAX_CPU_PERCENT:
            reasons.append(
                f"load generator {where} used {mean:.0f}% of a CPU core during the "
                f"window (limit {MAX_CPU_PERCENT:g}%): add --processes"
            )
        elif process.get("locust_cpu_warning"):
            reasons.append(f"Locust warned that load generator {where} was CPU-bound")
    checks["cpu_percent_mean"] = [p.get("cpu_percent_mean") for p in recorder.processes]
    if recorder.task_errors:
        first = next(
            (
                f"{e}: {m}"
                for (e, m), _ in recorder.errors.items()
                if e.startswith("TASK ")
            ),
            "",
        )
        reasons.append(
            f"the scenario's own code failed {recorder.task_errors} times ({first}), "
            "so the mix sent was not the mix asked for"
        )
    return Validity(valid=not reasons, reasons=reasons, checks=checks)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")


def build_report(
    recorder: Recorder,
    *,
    parameters: Mapping[str, Any],
    validity: Validity,
    run: Mapping[str, Any],
    started_at: float,
    ended_at: float,
    locust_version: str,
) -> dict[str, Any]:
    duration = recorder.duration_s
    endpoints = {
        name: summarize(recorder.endpoints[name], duration)
        for name in sorted(recorder.endpoints)
    }
    timeline = []
    for second in sorted(recorder.timeline):
        stats = recorder.timeline[second]
        timeline.append(
            {
                "second": second,
                "requests": stats.requests,
                "failures": stats.failures,
                "latency_ms": {
                    percentile_key(q): stats.latency.percentile(q)
                    for q in (50.0, 90.0, 99.0)
                }
                | {"max": stats.latency.max_us / 1000},
                "histogram": stats.latency.to_json(),
            }
        )
    data = recorder.to_json()
    return {
        "schema": REPORT_SCHEMA,
        "tool": {
            "name": TOOL_NAME,
            "version": TOOL_VERSION,
            "locust": locust_version,
            "python": platform.python_version(),
        },
        "run": {**run, "started_at": _iso(started_at), "ended_at": _iso(ended_at)},
        "parameters": dict(parameters),
        "validity": {
            "valid": validity.valid,
            "reasons": validity.reasons,
            "checks": validity.checks,
        },
        "summary": summarize(recorder.overall(), duration),
        "endpoints": endpoints,
        "errors": data["errors"],
        "timeline": timeline,
        "service_time_ms": {
            **{
                percentile_key(q): recorder.service_time.percentile(q)
                for q in PERCENTILES
            },
            "histogram": recorder.service_time.to_json(),
        },
        "schedule": data["schedule"],
        "checks": data.get("checks") or {},
        "excluded": data["excluded"],
        "setup": data["setup"],
        "generators": data["processes"],
    }


def write_report(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"cannot read report {path}: {exc.strerror}"
        raise ReportError(msg) from exc
    except ValueError as exc:
        msg = f"{path} is not JSON: {exc}"
        raise ReportError(msg) from exc
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        msg = f"{path} is not a report of {TOOL_NAME} (schema {REPORT_SCHEMA})"
        raise ReportError(msg)
    return data


def histogram_of(entry: Mapping[str, Any]) -> Histogram:
    return Histogram.from_json(entry["histogram"])


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def print_table(report: Mapping[str, Any], out: TextIO) -> None:
    """Per-endpoint requests, failures, throughput and latency percentiles."""
    columns = ["p50", "p90", "p95", "p99", "p99.9", "max"]
    rows = [(name, entry) for name, entry in report["endpoints"].items()]
    rows.append((ALL, report["summary"]))
    width = max([len(name) for name, _ in rows] + [len("endpoint")])
    header = f"{'endpoint':<{width}} {'reqs':>7} {'fails':>6} {'req/s':>8}"
    header += "".join(f" {c:>7}" for c in columns)
    print(header + "   (latency in ms)", file=out)
    for name, entry in rows:
        latency = entry["latency_ms"]
        line = (
            f"{name:<{width}} {entry['requests']:>7} {entry['failures']:>6} "
            f"{entry['rps']:>8.1f}"
        )
        line += "".join(f" {_ms(latency[c]):>7}" for c in columns)
        print(line, file=out)
    errors = report["errors"]
    if errors:
        print("\nerrors", file=out)
        for row in errors[:MAX_ERROR_ROWS]:
            print(f"  {row['count']:>6}  {row['endpoint']}  {row['error']}", file=out)
            if row.get("sample"):
                print(f"          {row['sample']}", file=out)
        if len(errors) > MAX_ERROR_ROWS:
            rest = sum(row["count"] for row in errors[MAX_ERROR_ROWS:])
            print(
                f"  {rest:>6}  ... {len(errors) - MAX_ERROR_ROWS} more kinds, "
                "in report.json",
                file=out,
            )
    checks = report.get("checks") or {}
    if checks:
        checked = sum(result["checked"] for result in checks.values())
        wrong = {e: r for e, r in checks.items() if r["failed"]}
        print(
            f"\nresponse checks: {checked} sampled answers against the OpenAPI "
            f"schema, {sum(r['failed'] for r in wrong.values())} did not match",
            file=out,
        )
        for endpoint, result in wrong.items():
            print(
                f"  {result['failed']:>6}  {endpoint}  {result['first_problem']}",
                file=out,
            )
    setup = report.get("setup") or {}
    if setup.get("failures"):
        print(
            f"\nsetup (not measured): {setup['failures']} of {setup['requests']} "
            "requests failed and were retried or worked around:",
            file=out,
        )
        for row in setup["errors"]:
            print(f"  {row['count']:>6}  {row['endpoint']}  {row['error']}", file=out)
    service = report.get("service_time_ms") or {}
    params = report["parameters"]
    waits = report["validity"]["checks"].get("in_flight_cap_waits")
    if waits:
        print(
            f"\n{waits} sends waited for a free slot (--max-in-flight "
            f"{params['max_in_flight']}): the service fell behind the schedule; "
            "their latency includes the wait",
            file=out,
        )
    if params.get("model") == "open" and service.get("p99") is not None:
        print(
            f"\nservice time (from actual send, for comparison): p50 "
            f"{_ms(service['p50'])} ms, p99 {_ms(service['p99'])} ms",
            file=out,
        )
