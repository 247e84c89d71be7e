"""Verdicts: a report against SLOs and a baseline, and the exit code they give."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from .analysis import (
    Objective,
    compare,
    evaluate,
    incompatibilities,
    parse_slo_file,
    parse_slo_flag,
    parse_tolerance,
)
from .arguments import (
    DEFAULT_SLO_FILE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_REGRESSION,
    EXIT_SLO_BREACH,
    UsageError,
)
from .report import ALL, ReportError, load_report, print_table
from .scenario import closest, same_path


def objectives_from(args: argparse.Namespace) -> tuple[list[Objective], str]:
    """The objectives to judge and where they came from (perf/slo.yaml by default)."""
    objectives = [parse_slo_flag(text) for text in args.slo]
    source = "--slo" if args.slo else ""
    slo_file = args.slo_file
    if slo_file is None and not args.slo and DEFAULT_SLO_FILE.is_file():
        slo_file = DEFAULT_SLO_FILE
    if slo_file is not None:
        if not slo_file.is_file():
            msg = f"--slo-file {slo_file}: no such file"
            raise UsageError(msg)
        objectives += parse_slo_file(slo_file)
        source = f"{source} and {slo_file}" if source else str(slo_file)
    return objectives, source


def _check_endpoints(report: Mapping[str, Any], objectives: list[Objective]) -> None:
    """An objective on an endpoint the run never called would pass as
    "inconclusive": a typo would switch the gate off. It is a usage error."""
    known = sorted(report["endpoints"])
    for objective in objectives:
        if objective.scope == ALL or any(same_path(objective.scope, k) for k in known):
            continue
        msg = (
            f"SLO {objective.label!r} names an endpoint this run never called "
            f"(closest: {closest(objective.scope, known)})"
        )
        raise UsageError(msg)


def analyze(
    report: dict[str, Any], args: argparse.Namespace, out: TextIO
) -> tuple[int, dict[str, Any]]:
    """Print the verdicts; the exit code and the analysis to store in the report."""
    objectives, source = objectives_from(args)
    if not objectives and args.baseline is None:
        msg = "--analyze has nothing to check: give --slo, --slo-file or --baseline"
        raise UsageError(msg)
    tolerance = parse_tolerance(args.tolerance)
    baseline = None
    if args.baseline is not None:
        try:
            baseline = load_report(args.baseline)
        except ReportError as exc:
            raise UsageError(str(exc)) from exc
        differences = incompatibilities(report, baseline)
        if differences:
            msg = (
                f"cannot compare with baseline {args.baseline}: the runs differ in "
                + "; ".join(differences)
                + ". Re-record the baseline with this run's options."
            )
            raise UsageError(msg)

    _check_endpoints(report, objectives)
    verdicts = evaluate(report, objectives)
    if verdicts:
        print(f"\nSLOs ({source})", file=out)
        for verdict in verdicts:
            status = verdict.status.upper() if verdict.status != "pass" else "pass"
            print(
                f"  {status:<12}  {verdict.objective.label}: {verdict.detail}", file=out
            )
    deltas = compare(report, baseline, tolerance) if baseline is not None else []
    if baseline is not None:
        print(f"\nbaseline {args.baseline} (tolerance {args.tolerance})", file=out)
        for delta in deltas:
            print(f"  {delta.describe()}", file=out)

    validity = report["validity"]
    breaches = [v for v in verdicts if v.status == "breach"]
    regressions = [d for d in deltas if d.regressed]
    inconclusive = [v for v in verdicts if v.status == "inconclusive"]
    if not validity["valid"]:
        code, result = EXIT_INVALID, "INVALID RUN: " + "; ".join(validity["reasons"])
    elif breaches:
        code = EXIT_SLO_BREACH
        result = "SLO BREACH: " + ", ".join(v.objective.label for v in breaches)
    elif regressions:
        code = EXIT_REGRESSION
        result = "REGRESSION: " + ", ".join(
            f"{d.scope} {d.metric}" for d in regressions
        )
    elif inconclusive and args.fail_on_inconclusive:
        code = EXIT_INVALID
        result = "INCONCLUSIVE (--fail-on-inconclusive): " + ", ".join(
            v.objective.label for v in inconclusive
        )
    else:
        code = EXIT_OK
        result = "PASS" + (
            f" ({len(inconclusive)} objective(s) inconclusive)" if inconclusive else ""
        )
    print(f"\nresult: {result} (exit {code})", file=out)
    analysis = {
        "slo_source": source,
        "verdicts": [
            {
                "scope": v.objective.scope,
                "objective": v.objective.text,
                "threshold": v.objective.threshold,
                "status": v.status,
                "measured": v.measured,
                "detail": v.detail,
            }
            for v in verdicts
        ],
        "baseline": None
        if baseline is None
        else {
            "path": str(args.baseline),
            "tolerance": tolerance,
            "deltas": [
                {
                    "scope": d.scope,
                    "metric": d.metric,
                    "baseline": d.baseline,
                    "current": d.current,
                    "limit": d.limit,
                    "regressed": d.regressed,
                }
                for d in deltas
            ],
        },
        "result": result,
        "exit_code": code,
    }
    return code, analysis


def analyze_existing(args: argparse.Namespace) -> int:
    try:
        report = load_report(args.report)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    print(f"report {args.report}: {describe_run(report)}")
    print_table(report, sys.stdout)
    print_validity(report, sys.stdout)
    code, _ = analyze(report, args, sys.stdout)
    if args.save_baseline is not None:
        save_baseline(report, args.save_baseline)
    return code


def describe_run(report: Mapping[str, Any]) -> str:
    params = report["parameters"]
    if params["model"] == "open" and params.get("stages"):
        load = (
            f"open model in stages {params['stages']} (peak {params['rate']:g} req/s, "
            f"{params['users']} virtual users)"
        )
    elif params["model"] == "open":
        load = (
            f"open model at {params['rate']:g} req/s ({params['users']} virtual users)"
        )
    else:
        load = f"closed model with {params['users']} users"
    return (
        f"{load} for {params['duration_s']:g} s after {params['warmup_s']:g} s warmup "
        f"against {report['run']['host']}"
    )


def print_validity(report: Mapping[str, Any], out: TextIO) -> None:
    validity = report["validity"]
    if validity["valid"]:
        return
    print("\nINVALID RUN:", file=out)
    for reason in validity["reasons"]:
        print(f"  - {reason}", file=out)


def save_baseline(report: Mapping[str, Any], path: Path) -> None:
    if not report["validity"]["valid"]:
        print(
            f"not saving {path}: an invalid run cannot be a baseline", file=sys.stderr
        )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"baseline saved to {path}")
