"""Command line: check the options, then analyze a report or run load."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from .analysis import AnalysisError, parse_tolerance
from .arguments import (
    CREDENTIAL_VARIABLES,
    DEFAULT_HOST,
    EXIT_USAGE,
    UsageError,
    build_parser,
)
from .judge import analyze_existing, objectives_from
from .stages import RateProfile, StageError, parse_stages


def _check(args: argparse.Namespace) -> None:
    """Combinations argparse cannot see; raise UsageError with the fix."""
    load_flags = [
        name
        for name in ("rate", "users", "think_time", "locustfile", "generate_locustfile")
        if getattr(args, name) is not None
    ]
    if args.report is not None:
        if load_flags or args.worker or args.master:
            msg = "--report analyzes an existing run; load options do not apply to it"
            raise UsageError(msg)
        return
    analysis_flags = [
        flag
        for flag, value in (
            ("--slo", args.slo),
            ("--slo-file", args.slo_file),
            ("--baseline", args.baseline),
            ("--save-baseline", args.save_baseline),
            ("--fail-on-inconclusive", args.fail_on_inconclusive),
        )
        if value
    ]
    if analysis_flags and not args.analyze:
        msg = f"{', '.join(analysis_flags)} only take effect with --analyze"
        raise UsageError(msg)
    if args.analyze:
        # Bad objectives must not cost a load run first.
        objectives, _ = objectives_from(args)
        parse_tolerance(args.tolerance)
        if not objectives and args.baseline is None:
            msg = "--analyze has nothing to check: give --slo, --slo-file or --baseline"
            raise UsageError(msg)
    if not args.worker and not re.match(r"^https?://[^/]+", args.host):
        msg = f"--host {args.host!r}: expected a base URL like {DEFAULT_HOST}"
        raise UsageError(msg)
    if args.worker:
        if args.locustfile is None:
            msg = "--worker needs --locustfile (the same file as the master's)"
            raise UsageError(msg)
        return
    if args.generate_locustfile is not None:
        if args.locustfile is not None:
            msg = "--generate-locustfile writes a new locustfile; drop --locustfile"
            raise UsageError(msg)
        return
    _resolve_stages(args)
    if args.rate is None and args.users is None:
        msg = "choose a load model: --rate R (open: requests per second) or --users N (closed)"
        raise UsageError(msg)
    if args.think_time is not None and args.rate is not None:
        msg = "--think-time is for the closed model; the open model's --rate sets the pace"
        raise UsageError(msg)
    if args.master and args.expect_workers is None:
        msg = "--master needs --expect-workers N"
        raise UsageError(msg)
    if args.master and args.processes > 1:
        msg = "--processes starts local workers; with --master, start them yourself"
        raise UsageError(msg)
    if args.duration <= 0:
        msg = "--duration must be above 0"
        raise UsageError(msg)
    if args.check_responses < 0:
        msg = "--check-responses N: every Nth answer is checked; 0 checks none"
        raise UsageError(msg)


def _resolve_stages(args: argparse.Namespace) -> None:
    """--stages sets the rate (its peak), the duration and, by default, no warmup."""
    if args.stages is None:
        args.duration = 30.0 if args.duration is None else args.duration
        args.warmup = 5.0 if args.warmup is None else args.warmup
        return
    if args.rate is not None:
        msg = "--stages sets the rate stage by stage; drop --rate"
        raise UsageError(msg)
    if args.duration is not None:
        msg = "--stages sets the duration (the sum of the stages); drop --duration"
        raise UsageError(msg)
    try:
        profile = RateProfile(parse_stages(args.stages))
    except StageError as exc:
        raise UsageError(str(exc)) from exc
    args.warmup = 0.0 if args.warmup is None else args.warmup
    args.duration = profile.total_s - args.warmup
    if args.duration <= 0:
        msg = f"--warmup {args.warmup:g}s leaves nothing of the {profile.total_s:g} s of stages to measure"
        raise UsageError(msg)
    args.rate = profile.peak


def _export_credentials(args: argparse.Namespace) -> None:
    # The locustfile (and any worker it runs in) reads credentials from the
    # environment, so they never land in a generated file or a report.
    for option, variable in CREDENTIAL_VARIABLES.items():
        value = getattr(args, option)
        if value:
            os.environ[variable] = value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check(args)
        if args.report is not None:
            return analyze_existing(args)
        _export_credentials(args)
        # Imported only now: the load path brings in Locust and gevent.
        from .load import generate_only, run_load, run_worker_process

        if args.worker:
            return run_worker_process(args)
        if args.generate_locustfile is not None:
            return generate_only(args)
        return run_load(args)
    except (UsageError, AnalysisError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
