"""What one load-generating process measured, in a form that merges across processes.

The recorder listens to Locust's request event. A request's latency runs from its
*intended* send time (the open model's ``ScheduleSlot`` in the request context)
to the end of its response, so time a request spent waiting because the
server had stalled is counted instead of hidden (coordinated omission). A request
belongs to the measured window by its intended send time, relative to the moment
this process started its schedule (``t0``): before ``warmup`` it is left out,
after ``warmup + duration`` too.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .checks import ResponseChecker, merge_checks
from .histogram import Histogram

SETUP_CONTEXT_KEY = "setup"
SLOT_CONTEXT_KEY = "schedule_slot"
MAX_ERROR_TEXT = 200
# Enough of an error body to say why ("Item not found", a validation detail).
MAX_SAMPLE_TEXT = 160
URL = re.compile(r"https?://[^\s,;)'\"]*[^\s,;)'\":.]")
# A scheduled send that leaves later than this was late: a healthy generator
# wakes within a couple of milliseconds, and 10 ms is 5% of a 200 ms objective.
ON_TIME_TOLERANCE_MS = 10.0


class ScheduleSlot:
    """One send of the open model's schedule, due at ``intended`` (epoch seconds).

    The first measured request of the task run for the slot is timed from the
    slot; set-up requests before it (e.g. creating a row to delete) do not use it
    up, and later requests of the same task are timed from their own start.
    """

    __slots__ = ("intended", "used")

    def __init__(self, intended: float) -> None:
        self.intended = intended
        self.used = False


def describe_error(exception: BaseException) -> str:
    """A short, stable label that groups identical failures together."""
    code = getattr(exception, "code", None)
    if isinstance(code, int) and 100 <= code < 600:
        try:
            return f"HTTP {code} {HTTPStatus(code).phrase}"
        except ValueError:
            return f"HTTP {code}"
    # URLs carry ids: without them, one kind of failure is one line.
    text = URL.sub("<url>", f"{type(exception).__name__}: {exception}")
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 3] + "..."


@dataclass
class EndpointStats:
    requests: int = 0
    failures: int = 0
    latency: Histogram = field(default_factory=Histogram)

    def add(self, latency_ms: float, *, failed: bool) -> None:
        self.requests += 1
        self.failures += failed
        self.latency.record(latency_ms)

    def merge(self, other: EndpointStats) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.latency.merge(other.latency)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "latency": self.latency.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EndpointStats:
        return cls(
            requests=int(data["requests"]),
            failures=int(data["failures"]),
            latency=Histogram.from_json(data["latency"]),
        )


@dataclass
class Schedule:
    """How well the open model's senders kept to their schedule (window only)."""

    planned: int = 0  # sends due in the window
    late: int = 0  # ... sent more than ON_TIME_TOLERANCE_MS late, by the generator
    unsent: int = 0  # ... not sent at all before the run had to end
    in_flight_cap_waits: int = 0
    wake_lag: Histogram = field(default_factory=Histogram)

    @property
    def on_time(self) -> int:
        return self.planned - self.late - self.unsent

    def merge(self, other: Schedule) -> None:
        self.planned += other.planned
        self.late += other.late
        self.unsent += other.unsent
        self.in_flight_cap_waits += other.in_flight_cap_waits
        self.wake_lag.merge(other.wake_lag)

    def to_json(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "late": self.late,
            "unsent": self.unsent,
            "in_flight_cap_waits": self.in_flight_cap_waits,
            "wake_lag": self.wake_lag.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schedule:
        return cls(
            planned=int(data["planned"]),
            late=int(data["late"]),
            unsent=int(data["unsent"]),
            in_flight_cap_waits=int(data["in_flight_cap_waits"]),
            wake_lag=Histogram.from_json(data["wake_lag"]),
        )


def _counter_to_json(
    counter: Counter[tuple[str, str]], samples: Mapping[tuple[str, str], str]
) -> list[dict[str, Any]]:
    return [
        {
            "endpoint": endpoint,
            "error": error,
            "count": count,
            "sample": samples.get((endpoint, error), ""),
        }
        for (endpoint, error), count in counter.most_common()
    ]


def _counter_from_json(rows: list[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter({(row["endpoint"], row["error"]): int(row["count"]) for row in rows})


def _samples_from_json(rows: list[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    return {
        (row["endpoint"], row["error"]): str(row["sample"])
        for row in rows
        if row.get("sample")
    }


def body_excerpt(response: Any) -> str:
    """The start of an error answer's body, on one line: what the server said."""
    try:
        text = str(getattr(response, "text", "") or "")
    except Exception:  # a body that cannot be decoded says nothing useful
        return ""
    text = " ".join(text.split())
    return text if len(text) <= MAX_SAMPLE_TEXT else text[: MAX_SAMPLE_TEXT - 3] + "..."


class Recorder:
    def __init__(
        self,
        *,
        warmup_s: float,
        duration_s: float,
        checker: ResponseChecker | None = None,
    ) -> None:
        self.warmup_s = warmup_s
        self.duration_s = duration_s
        self.checker = checker
        # Response checks merged from other processes (see checks.py).
        self.checks: dict[str, dict[str, Any]] = {}
        self.t0: float | None = None
        self.endpoints: dict[str, EndpointStats] = {}
        self.timeline: dict[int, EndpointStats] = {}
        self.service_time = Histogram()
        self.errors: Counter[tuple[str, str]] = Counter()
        # The first answer's body for each kind of error, kept short.
        self.error_samples: dict[tuple[str, str], str] = {}
        self.setup = EndpointStats()
        self.setup_errors: Counter[tuple[str, str]] = Counter()
        self.excluded: Counter[str] = Counter()
        self.schedule = Schedule()
        self.task_errors = 0
        self.processes: list[dict[str, Any]] = []
        self._cpu: list[tuple[float, float]] = []

    def start(self, t0: float) -> None:
        self.t0 = t0

    def relative(self, epoch: float) -> float | None:
        """Seconds from the end of the warmup, or None outside the window."""
        if self.t0 is None:
            return None
        offset = epoch - self.t0 - self.warmup_s
        return offset if 0 <= offset < self.duration_s else None

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        exception: BaseException | None = None,
        context: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        response: Any = None,
        **_: Any,
    ) -> None:
        """Listener for Locust's ``request`` event."""
        endpoint = f"{request_type} {name}"
        error = describe_error(exception) if exception is not None else None
        if error is not None and (endpoint, error) not in self.error_samples:
            self.error_samples[endpoint, error] = body_excerpt(response)
        context = context or {}
        if self.t0 is None or context.get(SETUP_CONTEXT_KEY):
            self.setup.add(response_time, failed=error is not None)
            if error is not None:
                self.setup_errors[endpoint, error] += 1
            return
        # Custom request events may not carry a start time.
        started = (
            start_time if start_time is not None else time.time() - response_time / 1000
        )
        intended = started
        slot = context.get(SLOT_CONTEXT_KEY)
        if isinstance(slot, ScheduleSlot) and not slot.used:
            slot.used = True
            intended = slot.intended
        offset = self.relative(intended)
        if offset is None:
            self.excluded[
                "warmup" if intended < self.t0 + self.warmup_s else "after"
            ] += 1
            return
        latency_ms = response_time + max(started - intended, 0.0) * 1000
        self._add(endpoint, offset, latency_ms, error)
        self.service_time.record(response_time)
        if error is None and self.checker is not None and response is not None:
            self.checker.check(endpoint, response)

    def _add(
        self, endpoint: str, offset: float, latency_ms: float, error: str | None
    ) -> None:
        failed = error is not None
        self.endpoints.setdefault(endpoint, EndpointStats()).add(
            latency_ms, failed=failed
        )
        self.timeline.setdefault(int(offset), EndpointStats()).add(
            latency_ms, failed=failed
        )
        if error is not None:
            self.errors[endpoint, error] += 1

    def unfinished(self, task_name: str, intended: float, now: float) -> None:
        """A dispatched task still had no answer when the run had to end."""
        offset = self.relative(intended)
        if offset is not None:
            error = "no response before the end of the run"
            self._add(f"TASK {task_name}", offset, (now - intended) * 1000, error)

    def not_sent(self, intended: float, now: float) -> None:
        """A scheduled send still waited for the in-flight cap when the run ended."""
        offset = self.relative(intended)
        if offset is not None:
            error = "still waiting for a free slot (--max-in-flight) when the run ended"
            self._add("NOT SENT", offset, (now - intended) * 1000, error)

    def task_error(self, task_name: str, exception: BaseException, when: float) -> None:
        """The scenario's own code raised while the window was open."""
        if self.relative(when) is not None:
            self.task_errors += 1
            self.errors[f"TASK {task_name}", describe_error(exception)] += 1

    def on_user_error(
        self, user_instance: Any, exception: BaseException, **_: Any
    ) -> None:
        """Listener for Locust's ``user_error`` event (exceptions inside tasks)."""
        # Locust passes the TaskSet running the task; name the user it belongs to.
        user = getattr(user_instance, "user", user_instance)
        self.task_error(type(user).__name__, exception, time.time())

    def cpu_sample(self, epoch: float, percent: float) -> None:
        self._cpu.append((epoch, percent))

    def close(self, *, locust_cpu_warning: bool) -> None:
        """Describe this process; call once, when its part of the run is over."""
        window = [
            percent for epoch, percent in self._cpu if self.relative(epoch) is not None
        ]
        self.processes.append(
            {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "cpu_percent_mean": round(sum(window) / len(window), 1)
                if window
                else None,
                "cpu_percent_max": round(max(window), 1) if window else None,
                "cpu_samples": len(window),
                "locust_cpu_warning": locust_cpu_warning,
            }
        )

    def merge(self, other: Recorder) -> None:
        for endpoint, stats in other.endpoints.items():
            self.endpoints.setdefault(endpoint, EndpointStats()).merge(stats)
        for second, stats in other.timeline.items():
            self.timeline.setdefault(second, EndpointStats()).merge(stats)
        self.service_time.merge(other.service_time)
        self.errors.update(other.errors)
        self.error_samples = {**other.error_samples, **self.error_samples}
        self.setup.merge(other.setup)
        self.setup_errors.update(other.setup_errors)
        self.excluded.update(other.excluded)
        self.schedule.merge(other.schedule)
        self.task_errors += other.task_errors
        self.processes.extend(other.processes)
        merge_checks(self.checks, other.all_checks())

    def all_checks(self) -> dict[str, dict[str, Any]]:
        merged = {endpoint: dict(result) for endpoint, result in self.checks.items()}
        if self.checker is not None:
            merge_checks(merged, self.checker.to_json())
        return merged

    def to_json(self) -> dict[str, Any]:
        return {
            "warmup_s": self.warmup_s,
            "duration_s": self.duration_s,
            "endpoints": {
                name: self.endpoints[name].to_json() for name in sorted(self.endpoints)
            },
            "timeline": {
                str(second): self.timeline[second].to_json()
                for second in sorted(self.timeline)
            },
            "service_time": self.service_time.to_json(),
            "errors": _counter_to_json(self.errors, self.error_samples),
            "setup": {
                **self.setup.to_json(),
                "errors": _counter_to_json(self.setup_errors, self.error_samples),
            },
            "excluded": dict(self.excluded),
            "schedule": self.schedule.to_json(),
            "task_errors": self.task_errors,
            "processes": self.processes,
            "checks": self.all_checks(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recorder:
        recorder = cls(
            warmup_s=float(data["warmup_s"]), duration_s=float(data["duration_s"])
        )
        recorder.endpoints = {
            name: EndpointStats.from_json(stats)
            for name, stats in data["endpoints"].items()
        }
        recorder.timeline = {
            int(second): EndpointStats.from_json(stats)
            for second, stats in data["timeline"].items()
        }
        recorder.service_time = Histogram.from_json(data["service_time"])
        recorder.errors = _counter_from_json(data["errors"])
        recorder.error_samples = {
            **_samples_from_json(data["setup"]["errors"]),
            **_samples_from_json(data["errors"]),
        }
        recorder.setup = EndpointStats.from_json(data["setup"])
        recorder.setup_errors = _counter_from_json(data["setup"]["errors"])
        recorder.excluded = Counter(data["excluded"])
        recorder.schedule = Schedule.from_json(data["schedule"])
        recorder.task_errors = int(data["task_errors"])
        recorder.processes = list(data["processes"])
        recorder.checks = dict(data.get("checks") or {})
        return recorder

    def overall(self) -> EndpointStats:
        total = EndpointStats()
        for stats in self.endpoints.values():
            total.merge(stats)
        return total
