"""OpenTelemetry: spans per request and query, ids in logs and errors, OTLP export."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy import literal, select, text
from sqlalchemy.engine import URL

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.database import ReadQuery, SessionDep
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.observability import JsonFormatter
from {{ cookiecutter.package_name }}.tracing import tracer_provider

from tests.conftest import serving
from tests.server import running_server
{%- else %}

from {{ cookiecutter.package_name }}.observability import JsonFormatter
from {{ cookiecutter.package_name }}.tracing import tracer_provider

from tests.server import running_server
{%- endif %}

EXPORT_TIMEOUT_SECONDS = 15


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


def server_spans(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    finished = spans.get_finished_spans()
    return [span for span in finished if span.kind == trace.SpanKind.SERVER]


def server_span(spans: InMemorySpanExporter) -> ReadableSpan:
    (span,) = server_spans(spans)
    return span


def trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return trace.format_trace_id(span.context.trace_id)

{%- if cookiecutter.database == "postgresql" %}


async def test_a_request_and_its_queries_are_one_trace(
    settings: Settings, spans: InMemorySpanExporter
) -> None:
    app = create_app(settings)

    two = ReadQuery(select(literal(2).label("two")))

    @app.get("/balance")
    async def balance(session: SessionDep) -> int:
        written = await session.scalar(text("SELECT 1"))
        read = await two.fetch_one(session)
        assert read is not None
        return int(written) + int(read["two"])

    async with serving(app) as client:
        spans.clear()  # startup's and cleanup's queries belong to no request
        response = await client.get("/balance")
        finished = spans.get_finished_spans()

    assert response.json() == 3
    (request,) = [span for span in finished if span.kind == trace.SpanKind.SERVER]
    queries = [
        span
        for span in finished
        if (span.attributes or {}).get("db.system") == "postgresql"
    ]
    assert request.name == "GET /balance"
    assert len(queries) >= 2, [span.name for span in finished]
    assert {trace_id(span) for span in queries} == {trace_id(request)}
{%- endif %}


async def test_probes_are_not_traced(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    await client.get("/health/live")

    assert server_spans(spans) == []


async def test_log_lines_carry_the_trace_and_span_ids(
    client: AsyncClient, spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # Formatted as it is logged: inside the request, its span current.
            lines.append(JsonFormatter().format(record))

    handler = Capture()
    name = "{{ cookiecutter.package_name }}.middleware.access"
    access_log = logging.getLogger(name)
    access_log.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger=name):
            await client.get("/no/such/page")
    finally:
        access_log.removeHandler(handler)

    (line,) = lines
    entry = json.loads(line)
    assert entry["trace_id"] == trace_id(server_span(spans))
    assert len(entry["span_id"]) == 16


async def test_problem_documents_carry_the_trace_id(
    client: AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await client.get("/no/such/page")

    assert response.status_code == 404
    assert response.json()["trace_id"] == trace_id(server_span(spans))


def test_no_trace_outside_a_request() -> None:
    entry = json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "idle"})))

    assert entry["trace_id"] is None
    assert entry["span_id"] is None


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP endpoint that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        super().__init__(("127.0.0.1", 0), CollectorHandler)


class CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the test reads what was received."""


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
{%- if cookiecutter.database == "postgresql" %}


def test_spans_are_exported_to_the_otlp_endpoint(
    collector: Collector, database_url: URL, tmp_path: Path
) -> None:
    exporter = f"http://127.0.0.1:{collector.server_port}"
    with running_server(
        database_url,
        tmp_path,
{%- else %}


def test_spans_are_exported_to_the_otlp_endpoint(
    collector: Collector, tmp_path: Path
) -> None:
    exporter = f"http://127.0.0.1:{collector.server_port}"
    with running_server(
        tmp_path,
{%- endif %}
        OTEL_SERVICE_NAME="tracing-test-service",
        OTEL_EXPORTER_OTLP_ENDPOINT=exporter,
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as base:
        httpx.get(f"{base}/no/such/page")
        deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
        while not collector.received and time.monotonic() < deadline:
            time.sleep(0.1)

    assert collector.received, "no spans reached the collector"
    path, content_type, body = collector.received[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    assert b"tracing-test-service" in body


def test_the_service_is_named_after_the_project() -> None:
    attributes = tracer_provider().resource.attributes

    assert attributes["service.name"] == "{{ cookiecutter.project_slug }}"
