"""The load path: scenario, Locust run, report, analysis, charts.

Only imported once load is about to be sent: its imports reach Locust (and with
it gevent's monkey-patching) through ``runner``.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import logging
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

from .analysis import LATENCY, incompatibilities
from .arguments import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SCRIPT, UsageError
from .html_report import write_html
from .judge import (
    analyze,
    describe_run,
    objectives_from,
    print_validity,
    save_baseline,
)
from .locustfile import render_locustfile
from .openapi import ScenarioError, SpecError, discover_spec, load_spec
from .report import (
    ReportError,
    build_report,
    judge_validity,
    load_report,
    print_table,
    write_report,
)
from .scenario import Auth, Scenario, Selection, build_scenario
from .stages import parse_stages

# With --rate and no --users: enough accounts to spread rows and connections,
# few enough that setting them up (login, seeding) stays quick.
DEFAULT_OPEN_USERS = 10


def _build_scenario(args: argparse.Namespace) -> Scenario:
    if args.openapi:
        source = args.openapi
        spec = load_spec(source, timeout_s=args.timeout)
    else:
        spec, source = discover_spec(args.host, timeout_s=args.timeout)
    selection = Selection(
        include_writes=args.include_writes,
        only=tuple(args.only),
        exclude=tuple(args.exclude),
        weights=dict(args.weight),
    )
    return build_scenario(spec, source=source, selection=selection)


def _check_credentials(auth: Auth, environ: Mapping[str, str]) -> None:
    needed = {
        "oauth2_password": ()
        if auth.register_path or environ.get("LOADTEST_TOKEN")
        else ("LOADTEST_USERNAME", "LOADTEST_PASSWORD"),
        "bearer": ("LOADTEST_TOKEN",),
        "api_key": ("LOADTEST_API_KEY",),
    }.get(auth.kind, ())
    missing = [name for name in needed if not environ.get(name)]
    if missing:
        msg = (
            f"the API needs credentials ({auth.scheme}, {auth.kind}) and offers no "
            f"registration: set {' and '.join(missing)} or pass the matching flags"
        )
        raise UsageError(msg)


def _write_scenario(args: argparse.Namespace, path: Path) -> Scenario:
    scenario = _build_scenario(args)
    _check_credentials(scenario.auth, os.environ)
    source = render_locustfile(
        scenario, seed_objects=args.seed_objects, filename=str(path)
    )
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        # A bug here, not the user's: never blame a --locustfile they did not pass.
        msg = (
            f"the locustfile generated from {scenario.source} does not compile "
            f"(line {exc.lineno}: {exc.msg}); please report it with the document"
        )
        raise ScenarioError(msg) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return scenario


def identity(auth: Auth, environ: Mapping[str, str]) -> str:
    """Who the virtual users are, said before any request is sent."""
    if auth.kind == "none":
        return "anonymous (the API declares no security scheme)"
    if auth.kind == "api_key":
        return "the API key given (--api-key / LOADTEST_API_KEY)"
    if environ.get("LOADTEST_TOKEN"):
        return "the token given (--token / LOADTEST_TOKEN); no login, no registration"
    if auth.kind == "bearer":
        return "no token: set --token"
    if environ.get("LOADTEST_USERNAME"):
        return f"{environ['LOADTEST_USERNAME']} (--username), logged in at {auth.token_url}"
    return f"a new account per virtual user, registered at {auth.register_path}"


def _print_mix(scenario: Scenario) -> None:
    total = sum(op.weight for op in scenario.operations)
    print(f"scenario from {scenario.source} ({scenario.auth.kind} login):")
    print(f"  identity: {identity(scenario.auth, os.environ)}")
    for op in scenario.operations:
        print(f"  {op.weight / total:>5.0%}  {op.key}")
    for key, why in scenario.left_out:
        print(f"     -   {key}: {why}")


def generate_only(args: argparse.Namespace) -> int:
    try:
        scenario = _write_scenario(args, args.generate_locustfile)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    _print_mix(scenario)
    print(f"wrote {args.generate_locustfile}")
    return EXIT_OK


def _mix(classes: Sequence[type[Any]]) -> dict[str, int]:
    # Locust repeats a task once per unit of weight: counting entries gives weights.
    mix: dict[str, int] = {}
    for cls in classes:
        for task in cls.tasks:
            name = f"{cls.__name__}.{getattr(task, '__name__', str(task))}"
            mix[name] = mix.get(name, 0) + 1
    return mix


def _check_baseline(args: argparse.Namespace, parameters: Mapping[str, Any]) -> None:
    """Refuse an incomparable baseline before spending time on load."""
    if not args.analyze or args.baseline is None:
        return
    try:
        baseline = load_report(args.baseline)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    differences = incompatibilities({"parameters": parameters}, baseline)
    if differences:
        msg = (
            f"cannot compare with baseline {args.baseline}: the runs differ in "
            + "; ".join(differences)
        )
        raise UsageError(msg)


SECRET_OPTIONS = ("--password", "--token", "--api-key")


def redacted(command: list[str]) -> list[str]:
    """The command line with every secret's value replaced: reports are uploaded
    as CI artifacts, and a token in one is a leaked token."""
    out: list[str] = []
    hide_next = False
    for part in command:
        if hide_next:
            out.append("***")
            hide_next = False
        elif part in SECRET_OPTIONS:
            out.append(part)
            hide_next = True
        elif part.startswith(tuple(f"{option}=" for option in SECRET_OPTIONS)):
            out.append(part.split("=", 1)[0] + "=***")
        else:
            out.append(part)
    return out


def _progress_mode(asked: bool | None, terminal: bool) -> bool | None:
    """True: a live line; False: a line every 10 s (a log); None: nothing."""
    if asked is False or (asked is None and not terminal):
        return None
    return terminal


def run_load(args: argparse.Namespace) -> int:
    from . import runner  # imports Locust, which patches with gevent

    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    scenario_source: str
    schemas: dict[str, Any] | None = None
    try:
        if args.locustfile is not None:
            locustfile = args.locustfile
            scenario_source = str(locustfile)
        else:
            locustfile = args.out / "locustfile.py"
            scenario = _write_scenario(args, locustfile)
            _print_mix(scenario)
            scenario_source = scenario.source
            schemas = scenario.response_schemas
        classes = load_user_classes(locustfile)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (ScenarioError, LocustfileError) as exc:
        raise UsageError(str(exc)) from exc

    model = "open" if args.rate is not None else "closed"
    workers = args.expect_workers if args.master else args.processes
    # The closed model always has --users; the open model may leave it out.
    users = args.users or max(DEFAULT_OPEN_USERS, workers)
    if users < workers:
        msg = f"--users {users} is fewer than the {workers} worker processes: each needs one"
        raise UsageError(msg)
    plan = runner.Plan(
        model=model,
        users=users,
        rate=args.rate,
        warmup_s=args.warmup,
        duration_s=args.duration,
        think_time_s=args.think_time,
        timeout_s=args.timeout,
        max_in_flight=args.max_in_flight,
        processes=workers,
        progress=_progress_mode(args.progress, sys.stderr.isatty()),
        response_schemas=schemas,
        check_every=args.check_responses,
        stages=[list(stage) for stage in parse_stages(args.stages)]
        if args.stages
        else None,
    )
    if model == "open":
        bad = [c.__name__ for c in classes if not runner.runs_open(c)]
        if bad:
            msg = (
                f"{', '.join(bad)}: the open model runs @task functions on a schedule; "
                "TaskSet classes need the closed model (--users without --rate)"
            )
            raise UsageError(msg)
    parameters = {
        "model": model,
        "rate": args.rate,
        "stages": args.stages,
        "users": users,
        "think_time_s": args.think_time,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "timeout_s": args.timeout,
        "max_in_flight": args.max_in_flight if model == "open" else None,
        "processes": workers,
        "include_writes": args.include_writes,
        "scenario": scenario_source,
        "locustfile": str(locustfile),
        "mix": _mix(classes),
    }
    _check_baseline(args, parameters)
    run_info: dict[str, Any] = {
        "host": args.host,
        "command": redacted([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    print(f"running: {describe_run({'parameters': parameters, 'run': run_info})}")
    sys.stdout.flush()

    try:
        if args.master or args.processes > 1:
            outcome = _run_distributed(runner, args, classes, plan, locustfile)
        else:
            outcome = runner.run_local(
                classes, args.host, plan, setup_timeout_s=args.setup_timeout
            )
    except runner.RunAbortedError as exc:
        print(f"\nINVALID RUN: the load could not be sent: {exc} (exit {EXIT_INVALID})")
        return EXIT_INVALID

    recorder = outcome.recorder
    objectives, _ = objectives_from(args) if args.analyze else ([], "")
    validity = judge_validity(
        recorder,
        model,
        args.rate,
        errors_judged=any(o.metric == "error_rate" for o in objectives),
    )
    report = build_report(
        recorder,
        parameters=parameters,
        validity=validity,
        run={
            **run_info,
            "generator_host": socket.gethostname(),
            "setup_s": round(outcome.setup_s, 3),
        },
        started_at=outcome.started_at,
        ended_at=outcome.ended_at,
        locust_version=version("locust"),
    )
    print()
    print_table(report, sys.stdout)
    print_validity(report, sys.stdout)
    code = EXIT_OK if validity.valid else EXIT_INVALID
    report_path = args.out / "report.json"
    if args.analyze:
        try:
            code, report["analysis"] = analyze(report, args, sys.stdout)
        except UsageError:
            # An objective naming no endpoint of the run: keep the run anyway.
            write_report(report, report_path)
            raise
    elif not validity.valid:
        print(f"\nresult: INVALID RUN (exit {EXIT_INVALID})")
    write_report(report, report_path)
    written = [report_path]
    if not args.no_plots:
        from .plots import write_plots  # matplotlib is slow to import

        # Every latency objective, the endpoints' too, on both charts.
        lines = [
            (o.label, o.threshold)
            for o in objectives
            if LATENCY.match(o.metric) or o.metric == "max"
        ]
        written += write_plots(report, args.out, lines)
    written.append(write_html(report, args.out / "report.html", written[1:]))
    print("\nwrote " + ", ".join(str(p) for p in written))
    if args.save_baseline is not None:
        save_baseline(report, args.save_baseline)
    return code


def _run_distributed(
    runner: Any,
    args: argparse.Namespace,
    classes: Sequence[type[Any]],
    plan: Any,
    locustfile: Path,
) -> Any:
    if args.master:
        host, port, commands = args.master_bind_host, args.master_bind_port, []
    else:
        host, port = "127.0.0.1", free_port()
        command = runner.worker_command(
            SCRIPT, master_host=host, master_port=port, locustfile=locustfile.resolve()
        )
        commands = [command] * args.processes
    return runner.run_master(
        classes,
        args.host,
        plan,
        bind_host=host,
        bind_port=port,
        local_workers=commands,
        setup_timeout_s=args.setup_timeout,
    )


def run_worker_process(args: argparse.Namespace) -> int:
    from . import runner  # imports Locust, which patches with gevent

    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        classes = load_user_classes(args.locustfile)
    except LocustfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    runner.run_worker(
        classes, master_host=args.master_host, master_port=args.master_port
    )
    return EXIT_OK


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocustfileError(Exception):
    """A locustfile could not be loaded or holds no runnable user class."""


def load_user_classes(path: Path) -> list[type[Any]]:
    """The concrete Locust user classes a locustfile defines."""
    from locust import User  # only the load path may import Locust

    if not path.is_file():
        msg = f"--locustfile {path}: no such file"
        raise LocustfileError(msg)
    module_name = f"locustfile_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        msg = f"--locustfile {path}: not a Python file"
        raise LocustfileError(msg)
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        msg = f"--locustfile {path} failed to import: {type(exc).__name__}: {exc}"
        raise LocustfileError(msg) from exc
    classes = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, User)
        and value.__module__ == module_name
        and not getattr(value, "abstract", False)
    ]
    if not classes:
        msg = f"--locustfile {path} defines no concrete Locust User class"
        raise LocustfileError(msg)
    return classes
