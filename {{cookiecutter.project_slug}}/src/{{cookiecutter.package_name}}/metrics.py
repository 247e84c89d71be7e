{% if cookiecutter.database == "postgresql" -%}
"""Prometheus metrics: request count and latency per route template, pool usage.
{%- else -%}
"""Prometheus metrics: request count and latency per route template.
{%- endif %}

`/metrics` is answered here, before the request context middleware: it needs no
token and stays out of the access log. With several worker processes
(`WORKERS` > 1) each writes its samples to PROMETHEUS_MULTIPROC_DIR, which
`python -m {{ cookiecutter.package_name }}` prepares, and a scrape of any worker
sums them all.
"""

import atexit
import os
import shutil
import tempfile
import time
from http import HTTPStatus

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
{%- if cookiecutter.database == "postgresql" %}
    Gauge,
{%- endif %}
    Histogram,
    generate_latest,
    multiprocess,
)
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.pool import QueuePool
{%- endif %}
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Label values are bounded: a route template, never a raw path.
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
{%- if cookiecutter.database == "postgresql" %}
POOL_CONNECTIONS = Gauge(
    "db_pool_connections",
    "Database connections of this service's pool, by state.",
    ["state"],
    # Summed over the live worker processes.
    multiprocess_mode="livesum",
)
{%- endif %}


class PrometheusMiddleware:
    """Count and time every request; answer `/metrics` itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH:
            await _serve_metrics(scope, send)
            return

        started = time.perf_counter()
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
{%- if cookiecutter.database == "postgresql" %}
            # After every request, not only at a scrape: with several workers the
            # scraped one reports the others' pools as they last recorded them.
            observe_pools(scope["app"])


def observe_pools(app: FastAPI) -> None:
    """Record how many connections the pool holds, and how many are in use."""
    engine = getattr(app.state, "engine", None)
    if engine is not None and isinstance(pool := engine.pool, QueuePool):
        POOL_CONNECTIONS.labels("in_use").set(pool.checkedout())
        POOL_CONNECTIONS.labels("idle").set(pool.checkedin())
{%- endif %}


async def _serve_metrics(scope: Scope, send: Send) -> None:
{%- if cookiecutter.database == "postgresql" %}
    observe_pools(scope["app"])
{%- endif %}
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    await send(
        {
            "type": "http.response.start",
            "status": HTTPStatus.OK.value,
            "headers": [
                (b"content-type", CONTENT_TYPE_LATEST.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def instrument_metrics(app: FastAPI) -> None:
    # Outermost, so every response (a 500 included) is counted as it leaves.
    app.add_middleware(PrometheusMiddleware)
    if os.environ.get(MULTIPROCESS_DIR):
        # A worker that exits takes its live gauges with it.
        atexit.register(multiprocess.mark_process_dead, os.getpid())


def prepare_multiprocess_metrics() -> None:
    """Give the worker processes a fresh directory to share their samples in.

    Call before the workers start (they read the variable when they import
    prometheus_client); the directory is removed when this process exits.
    """
    directory = tempfile.mkdtemp(prefix="prometheus-")
    os.environ[MULTIPROCESS_DIR] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
