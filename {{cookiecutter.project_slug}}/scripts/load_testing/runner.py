"""Drive Locust as a library: one process, or a master with workers.

Importing this module imports Locust, which monkey-patches the standard library
with gevent; the command line imports it only once it is about to send load.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import User
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from .checks import ResponseChecker
from .recorder import Recorder
from .users import Coordinator, Plan, managed_class, runs_open

__all__ = [
    "Outcome",
    "Plan",
    "RunAbortedError",
    "run_local",
    "run_master",
    "run_worker",
    "runs_open",
]

CPU_SAMPLE_INTERVAL_S = 0.5
POLL_S = 0.02
# Above this, Locust's own spawner warns that ramping up may misbehave.
MAX_SPAWN_RATE = 100
WORKERS_CONNECT_TIMEOUT_S = 30


class RunAbortedError(Exception):
    """The load could not be sent (setup failed, workers missing)."""


@dataclass
class Outcome:
    recorder: Recorder
    started_at: float
    ended_at: float
    setup_s: float


def _sample_cpu(recorder: Recorder) -> None:
    """Sample this process's CPU use; one core fully busy is 100%."""
    last_cpu = sum(os.times()[:2])
    last_wall = time.monotonic()
    while True:
        gevent.sleep(CPU_SAMPLE_INTERVAL_S)
        cpu, wall = sum(os.times()[:2]), time.monotonic()
        recorder.cpu_sample(
            time.time(), 100 * (cpu - last_cpu) / max(wall - last_wall, 1e-9)
        )
        last_cpu, last_wall = cpu, wall


def _listen(hook: Any, listener: Callable[..., None]) -> None:
    # Locust's EventHook.add_listener has no annotations: one untyped call site.
    hook.add_listener(listener)


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        gevent.sleep(POLL_S)
    return True


def _environment(
    user_classes: Sequence[type[User]], host: str, plan: Plan
) -> Environment:
    return Environment(
        user_classes=list(user_classes),
        host=host,
        # Users finish the task in hand before stopping: requests started in the
        # window get their answer (or their timeout) instead of vanishing.
        stop_timeout=plan.drain_s,
    )


def _await_setup(coordinator: Coordinator, expected: int, timeout_s: float) -> None:
    ready = _wait_until(
        lambda: bool(coordinator.setup_errors) or coordinator.ready >= expected,
        timeout_s,
    )
    if coordinator.setup_errors:
        raise RunAbortedError(coordinator.setup_errors[0])
    if not ready:
        msg = (
            f"only {coordinator.ready} of {expected} virtual users were ready "
            f"after {timeout_s:g} s of setup (login, seeding): raise --setup-timeout "
            "or lower --users"
        )
        raise RunAbortedError(msg)


def _finish(runner: Runner, coordinator: Coordinator, plan: Plan, users: int) -> None:
    """Let the window run out, then stop the users gracefully."""
    if plan.model == "open":
        _wait_until(
            lambda: coordinator.lanes_done >= users,
            coordinator.window_end + plan.drain_s + 2 - time.time(),
        )
    else:
        gevent.sleep(max(coordinator.window_end - time.time(), 0))
    runner.stop()


def recorder_for(plan: Plan) -> Recorder:
    checker = None
    if plan.response_schemas and plan.check_every:
        checker = ResponseChecker(plan.response_schemas, plan.check_every)
    return Recorder(warmup_s=plan.warmup_s, duration_s=plan.duration_s, checker=checker)


def progress_line(recorder: Recorder, plan: Plan, t0: float, now: float) -> str:
    """Elapsed time, rate, p95 and errors so far: what a user watches a run for."""
    elapsed = now - t0
    total = plan.warmup_s + plan.duration_s
    if elapsed < plan.warmup_s:
        return f"warmup {elapsed:4.0f}/{plan.warmup_s:g} s"
    measured = max(elapsed - plan.warmup_s, 1e-9)
    overall = recorder.overall()
    p95 = overall.latency.percentile(95) if overall.requests else None
    return (
        f"{elapsed:4.0f}/{total:g} s  {overall.requests / measured:7.1f} req/s  "
        f"p95 {'-' if p95 is None else f'{p95:.1f} ms'}  "
        f"errors {overall.failures} ({overall.failures / max(overall.requests, 1):.1%})"
    )


def _show_progress(recorder: Recorder, plan: Plan, t0: float, *, live: bool) -> None:
    """On a terminal, one line redrawn every second; elsewhere a line every 10 s."""
    every = 1.0 if live else 10.0
    end = t0 + plan.warmup_s + plan.duration_s
    while (now := time.time()) < end:
        gevent.sleep(min(every, max(end - now, 0.01)))
        line = progress_line(recorder, plan, t0, min(time.time(), end))
        if live:
            sys.stderr.write(f"\r\x1b[2K{line}")
        else:
            sys.stderr.write(f"progress: {line}\n")
        sys.stderr.flush()
    if live:
        sys.stderr.write("\n")


def run_local(
    base_classes: Sequence[type[User]], host: str, plan: Plan, *, setup_timeout_s: float
) -> Outcome:
    recorder = recorder_for(plan)
    coordinator = Coordinator(plan, recorder)
    classes = [managed_class(base, plan, coordinator) for base in base_classes]
    env = _environment(classes, host, plan)
    _listen(env.events.request, recorder.on_request)
    _listen(env.events.user_error, recorder.on_user_error)
    runner = env.create_local_runner()
    sampler = gevent.spawn(_sample_cpu, recorder)
    progress = None
    started = time.time()
    try:
        runner.start(plan.users, spawn_rate=min(plan.users, MAX_SPAWN_RATE))
        _await_setup(coordinator, plan.users, setup_timeout_s)
        coordinator.start(time.time())
        if plan.progress is not None:
            progress = gevent.spawn(
                _show_progress, recorder, plan, coordinator.t0, live=plan.progress
            )
        _finish(runner, coordinator, plan, plan.users)
    except RunAbortedError:
        # Nothing in flight is worth waiting for: stop users at once.
        env.stop_timeout = 0
        raise
    finally:
        runner.quit()
        sampler.kill()
        if progress is not None:
            progress.join(timeout=2)
            progress.kill()
    recorder.close(locust_cpu_warning=runner.cpu_warning_emitted)
    return Outcome(
        recorder=recorder,
        started_at=started,
        ended_at=time.time(),
        setup_s=coordinator.t0 - started,
    )


# --- distributed: a master that sends no load, and workers that do -------------

# A worker asks for its plan once its handlers are registered: a plan pushed as
# soon as it connects can arrive first and be dropped as an unknown message.
MSG_PLAN_REQUEST = "load_tester_plan_request"
MSG_PLAN = "load_tester_plan"
MSG_READY = "load_tester_ready"
MSG_GO = "load_tester_go"
MSG_RESULT = "load_tester_result"
MSG_ABORT = "load_tester_abort"


@dataclass
class _MasterState:
    planned: list[str] = field(default_factory=list)
    ready: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_master(
    base_classes: Sequence[type[User]],
    host: str,
    plan: Plan,
    *,
    bind_host: str,
    bind_port: int,
    local_workers: Sequence[Sequence[str]],
    setup_timeout_s: float,
) -> Outcome:
    """Coordinate ``plan.processes`` workers; start ``local_workers`` commands here."""
    state = _MasterState()
    env = _environment(base_classes, host, plan)
    runner = env.create_master_runner(
        master_bind_host=bind_host, master_bind_port=bind_port
    )
    assert isinstance(runner, MasterRunner)  # noqa: S101 - narrows Locust's return type

    def on_plan_request(environment: Environment, msg: Any, **_: Any) -> None:
        # Workers are phase-shifted by the order in which they ask.
        data = {**plan.to_json(), "phase_offset": len(state.planned) / plan.processes}
        state.planned.append(msg.node_id)
        runner.send_message(MSG_PLAN, data, client_id=msg.node_id)

    def on_ready(environment: Environment, msg: Any, **_: Any) -> None:
        if msg.data.get("error"):
            state.errors.append(f"worker {msg.node_id}: {msg.data['error']}")
        state.ready[msg.node_id] = int(msg.data["users"])

    def on_result(environment: Environment, msg: Any, **_: Any) -> None:
        state.results[msg.node_id] = msg.data

    runner.register_message(MSG_PLAN_REQUEST, on_plan_request)
    runner.register_message(MSG_READY, on_ready)
    runner.register_message(MSG_RESULT, on_result)
    children = [
        subprocess.Popen(command, shell=False)  # noqa: S603 - our own script, no shell
        for command in local_workers
    ]
    started = time.time()
    try:
        if not _wait_until(
            lambda: (
                len(runner.clients.ready) >= plan.processes
                and len(state.planned) >= plan.processes
            ),
            WORKERS_CONNECT_TIMEOUT_S,
        ):
            msg = (
                f"{len(state.planned)} of {plan.processes} workers connected to "
                f"{bind_host}:{bind_port} within {WORKERS_CONNECT_TIMEOUT_S} s"
            )
            raise RunAbortedError(msg)
        runner.start(plan.users, spawn_rate=min(plan.users, MAX_SPAWN_RATE))
        if not _wait_until(
            lambda: bool(state.errors) or sum(state.ready.values()) >= plan.users,
            setup_timeout_s,
        ):
            msg = f"workers were not ready after {setup_timeout_s:g} s of setup"
            raise RunAbortedError(msg)
        if state.errors:
            raise RunAbortedError(state.errors[0])
        runner.send_message(MSG_GO)
        go_at = time.time()
        window = plan.warmup_s + plan.duration_s + plan.drain_s + 5
        if not _wait_until(lambda: len(state.results) >= len(state.ready), window):
            msg = (
                f"only {len(state.results)} of {len(state.ready)} workers sent results"
            )
            raise RunAbortedError(msg)
    except RunAbortedError:
        env.stop_timeout = 0
        runner.send_message(MSG_ABORT)
        gevent.sleep(0.2)
        raise
    finally:
        runner.quit()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    recorder = recorder_for(plan)
    for data in state.results.values():
        recorder.merge(Recorder.from_json(data))
    return Outcome(
        recorder=recorder,
        started_at=started,
        ended_at=time.time(),
        setup_s=go_at - started,
    )


def run_worker(
    base_classes: Sequence[type[User]], *, master_host: str, master_port: int
) -> None:
    """Serve a master until it quits; the plan arrives from the master."""
    env = Environment(user_classes=list(base_classes))
    runner = env.create_worker_runner(master_host, master_port)
    assert isinstance(runner, WorkerRunner)  # noqa: S101 - narrows Locust's return type
    current: dict[str, Coordinator] = {}

    def on_plan(environment: Environment, msg: Any, **_: Any) -> None:
        data = dict(msg.data)
        phase_offset = float(data.pop("phase_offset"))
        plan = Plan.from_json(data)
        recorder = recorder_for(plan)
        coordinator = Coordinator(plan, recorder, phase_offset=phase_offset)
        environment.user_classes = [
            managed_class(b, plan, coordinator) for b in base_classes
        ]
        environment.stop_timeout = plan.drain_s
        _listen(environment.events.request, recorder.on_request)
        _listen(environment.events.user_error, recorder.on_user_error)
        current["coordinator"] = coordinator

        def on_spawned(**_: Any) -> None:
            gevent.spawn(_worker_setup, runner, coordinator)

        # Fired when the master says every worker has all its users.
        _listen(environment.events.spawning_complete, on_spawned)

    def on_go(environment: Environment, msg: Any, **_: Any) -> None:
        coordinator = current["coordinator"]
        coordinator.start(time.time())
        gevent.spawn(_worker_finish, runner, coordinator)

    def on_abort(environment: Environment, msg: Any, **_: Any) -> None:
        environment.stop_timeout = 0

    runner.register_message(MSG_PLAN, on_plan)
    runner.register_message(MSG_GO, on_go)
    runner.register_message(MSG_ABORT, on_abort)
    runner.send_message(MSG_PLAN_REQUEST)
    runner.greenlet.join()


def _worker_setup(runner: WorkerRunner, coordinator: Coordinator) -> None:
    users = runner.user_count
    # No deadline here: the master enforces --setup-timeout and aborts the run.
    _wait_until(
        lambda: bool(coordinator.setup_errors) or coordinator.ready >= users, math.inf
    )
    error = coordinator.setup_errors[0] if coordinator.setup_errors else None
    runner.send_message(MSG_READY, {"users": users, "error": error})


def _worker_finish(runner: WorkerRunner, coordinator: Coordinator) -> None:
    sampler = gevent.spawn(_sample_cpu, coordinator.recorder)
    users = runner.user_count
    _finish(runner, coordinator, coordinator.plan, users)
    sampler.kill()
    coordinator.recorder.close(locust_cpu_warning=runner.cpu_warning_emitted)
    runner.send_message(MSG_RESULT, coordinator.recorder.to_json())


def worker_command(
    script: Path, *, master_host: str, master_port: int, locustfile: Path
) -> list[str]:
    return [
        sys.executable,
        str(script),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        "--locustfile",
        str(locustfile),
    ]
