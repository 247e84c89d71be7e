"""Run any locustfile's users under the closed or the open load model.

Closed model: Locust as usual; N users each send, wait for the answer, think, send
again, so a slow server slows the senders down with it.

Open model: each virtual user is a *lane* of a fixed schedule. Lane j of L sends
its k-th request at ``t0 + (j + k * L) / rate``, whatever happened to earlier
requests: every send runs in its own greenlet (up to the in-flight cap), and its
request carries the intended send time, from which the recorder measures latency.
When the server stalls, the requests due during the stall are still due: they
are sent late (or wait for a free connection) and their latency shows it, unlike
Locust's ``constant_throughput``, which skips the sends it could not make.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

import gevent  # type: ignore[import-untyped]
from gevent.event import Event  # type: ignore[import-untyped]
from gevent.lock import BoundedSemaphore  # type: ignore[import-untyped]
from gevent.pool import Pool  # type: ignore[import-untyped]
from locust import FastHttpUser, User, constant
from locust.exception import (
    InterruptTaskSet,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopUser,
)

from .recorder import ON_TIME_TOLERANCE_MS, SLOT_CONTEXT_KEY, Recorder, ScheduleSlot
from .stages import RateProfile

# Greenlet -> the schedule slot of the task it runs, handed to its requests.
_SLOTS: dict[Any, ScheduleSlot] = {}


@dataclass(frozen=True)
class Plan:
    """What to run; sent as-is from a master to its workers."""

    model: str  # "open" or "closed"
    users: int  # virtual users; in the open model, lanes sharing the schedule
    rate: float | None
    warmup_s: float
    duration_s: float
    think_time_s: float | None
    timeout_s: float
    max_in_flight: int
    processes: int = 1
    # Live progress: True redraws a line on a terminal, False prints one every
    # 10 s (logs), None shows nothing.
    progress: bool | None = None
    # The OpenAPI response schemas (checks.response_schemas) and how often to
    # check an answer against them: every Nth per endpoint, 0 for never.
    response_schemas: dict[str, Any] | None = None
    check_every: int = 0
    # Open model with --stages: [[seconds, target req/s], ...] from the start.
    stages: list[list[float]] | None = None

    @property
    def drain_s(self) -> float:
        """After the window, how long in-flight requests get to answer or time out."""
        return self.timeout_s + 1

    @property
    def in_flight_per_user(self) -> int:
        return max(math.ceil(self.max_in_flight / self.users), 1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(**data)


SETUP_CONCURRENCY = 4
SETUP_ATTEMPTS = 3
SETUP_BACKOFF_S = 0.5


class Coordinator:
    """One process's view of the run: readiness, the start signal, setup errors."""

    def __init__(
        self, plan: Plan, recorder: Recorder, *, phase_offset: float = 0.0
    ) -> None:
        self.plan = plan
        self.recorder = recorder
        # Where this process's lanes sit between another process's, as a fraction
        # of one lane's slot: 0 in a single process.
        self.phase_offset = phase_offset
        self.ready = 0
        self.setup_errors: list[str] = []
        self.lanes_done = 0
        self.t0 = 0.0
        self.go = Event()
        # Setup (login, registration, seeding) a few users at a time: a password
        # hash costs the server a CPU-heavy fraction of a second, and all users
        # at once would time some of them out.
        self.setup_slots = BoundedSemaphore(SETUP_CONCURRENCY)
        self._lanes = 0

    def user_ready(self) -> None:
        self.ready += 1

    def setup_failed(self, message: str) -> None:
        self.setup_errors.append(message)

    def start(self, t0: float) -> None:
        self.t0 = t0
        self.recorder.start(t0)
        self.go.set()

    def next_lane(self) -> int:
        lane = self._lanes
        self._lanes += 1
        return lane

    @property
    def window_end(self) -> float:
        return self.t0 + self.plan.warmup_s + self.plan.duration_s


def _is_task_function(task: object) -> bool:
    return callable(task) and not isinstance(task, type)


def runs_open(base: type[User]) -> bool:
    """Whether the open model can schedule this user's tasks (functions only)."""
    return bool(base.tasks) and all(_is_task_function(task) for task in base.tasks)


def managed_class(base: type[User], plan: Plan, coordinator: Coordinator) -> type[User]:
    """A subclass of a locustfile's user that the run can coordinate and measure."""
    base_on_start = base.on_start

    def on_start(self: User) -> None:
        for attempt in range(1, SETUP_ATTEMPTS + 1):
            try:
                with coordinator.setup_slots:
                    base_on_start(self)
                break
            except StopUser:
                raise
            except Exception as exc:  # any failure means "not ready"
                if attempt < SETUP_ATTEMPTS:
                    # A slow login under load is common: back off and retry
                    # (the setup is outside the measured window).
                    gevent.sleep(
                        SETUP_BACKOFF_S * 2 ** (attempt - 1) * random.uniform(1, 1.5)  # noqa: S311 - jitter, not a secret
                    )
                    continue
                coordinator.setup_failed(
                    f"{type(exc).__name__}: {exc} (after {SETUP_ATTEMPTS} tries)"
                )
                # Parked, not raised: the run aborts on the first setup error, and
                # a raise would only add Locust's traceback to the message above.
                gevent.sleep(math.inf)
        coordinator.user_ready()
        coordinator.go.wait()

    namespace: dict[str, Any] = {
        "abstract": False,
        "on_start": on_start,
        "__module__": base.__module__,
    }
    if issubclass(base, FastHttpUser):
        namespace["network_timeout"] = plan.timeout_s
        namespace["connection_timeout"] = plan.timeout_s
    if plan.model == "closed":
        if plan.think_time_s is not None:
            namespace["wait_time"] = constant(plan.think_time_s)
        return type(base.__name__, (base,), namespace)

    if not runs_open(base):
        msg = f"{base.__name__}: the open model needs @task functions, not TaskSets"
        raise TypeError(msg)
    if issubclass(base, FastHttpUser):
        # One connection per request in flight, up to this user's share of the cap.
        namespace["concurrency"] = plan.in_flight_per_user
    base_context = base.context

    def context(self: User) -> dict[str, Any]:
        extra = base_context(self)
        slot = _SLOTS.get(gevent.getcurrent())
        return extra if slot is None else {**extra, SLOT_CONTEXT_KEY: slot}

    namespace["context"] = context
    tasks = cast("list[Callable[[User], Any]]", list(base.tasks))
    lane_class: type[User] = type(base.__name__, (base,), namespace)
    # Set after creation: Locust's metaclass would add the base's tasks to a
    # ``tasks`` given in the class body, and those would run off the schedule.
    lane_class.tasks = [_lane(tasks, plan, coordinator)]
    return lane_class


def _run_task(
    user: User, task: Callable[[User], Any], intended: float, recorder: Recorder
) -> None:
    _SLOTS[gevent.getcurrent()] = ScheduleSlot(intended)
    try:
        task(user)
    except (RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet):
        pass  # Locust flow control means nothing outside its task loop.
    except Exception as exc:  # recorded and reported as a task error
        recorder.task_error(getattr(task, "__name__", "task"), exc, intended)
    finally:
        _SLOTS.pop(gevent.getcurrent(), None)


def _lane(
    tasks: list[Callable[[User], Any]], plan: Plan, coordinator: Coordinator
) -> Callable[[User], None]:
    assert plan.rate is not None  # noqa: S101 - only built for the open model
    interval = plan.users / plan.rate
    recorder = coordinator.recorder
    schedule = recorder.schedule

    profile = RateProfile(plan.stages) if plan.stages else None

    def lane(user: User) -> None:
        lane_index = coordinator.next_lane()
        local_lanes = max(math.ceil(plan.users / plan.processes), 1)
        phase = (lane_index + coordinator.phase_offset) / local_lanes
        start = coordinator.t0 + phase * interval

        def due(slot: int) -> float:
            if profile is None:
                return start + slot * interval
            # The lane's share of the run's n-th send, wherever the stages put it.
            return coordinator.t0 + profile.time_of((slot + phase) * plan.users)

        end = coordinator.window_end
        cutoff = end + plan.drain_s
        pool = Pool(plan.in_flight_per_user)
        running: dict[Any, tuple[str, float]] = {}
        # Until when sends were held back by the in-flight cap: a slot that came
        # due before then is late because of the server, not this generator.
        held_until = 0.0
        slot = 0
        while (intended := due(slot)) < end:
            slot += 1
            in_window = recorder.relative(intended) is not None
            now = time.time()
            if intended > now:
                gevent.sleep(intended - now)
                now = time.time()
            if in_window:
                schedule.planned += 1
            if now >= cutoff:
                if in_window and pool.full():
                    # Held back by requests the server never answered: that is
                    # the server's latency, so it counts as a failed request.
                    recorder.not_sent(intended, now)
                else:
                    schedule.unsent += in_window
                continue
            if in_window:
                capped = pool.full() or intended < held_until
                schedule.in_flight_cap_waits += pool.full()
                lag_ms = (now - intended) * 1000
                schedule.wake_lag.record(lag_ms)
                # Lateness while the in-flight cap holds sends back is the
                # server's doing (and is in the latency); otherwise it is this
                # generator's (a starved event loop).
                schedule.late += not capped and (
                    lag_ms > ON_TIME_TOLERANCE_MS or now >= end
                )
            # Locust expands @task(weight) into repeated entries: a uniform pick
            # is a weighted one.
            task = random.choice(tasks)  # noqa: S311 - picks a task, not a secret
            blocked = pool.full()
            greenlet = pool.spawn(_run_task, user, task, intended, recorder)
            if blocked:
                held_until = time.time()
            running[greenlet] = (getattr(task, "__name__", "task"), intended)
            greenlet.link(lambda done: running.pop(done, None))
        pool.join(timeout=max(cutoff - time.time(), 0))
        now = time.time()
        for name, intended in list(running.values()):
            recorder.unfinished(name, intended, now)
        pool.kill(block=False)
        coordinator.lanes_done += 1
        raise StopUser

    return lane
