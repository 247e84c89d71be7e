{% if cookiecutter.database == "postgresql" -%}
"""OpenTelemetry tracing: a span per request, per database query, per outgoing call.
{%- else -%}
"""OpenTelemetry tracing: a span per request and per outgoing call.
{%- endif %}

Configured by the standard OTEL_* variables, read by the SDK itself:
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), and
OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT, _HEADERS, _TIMEOUT) for
the OTLP/HTTP exporter. Without an endpoint nothing is exported, but every log
line and problem document still carries the trace and span ids, so a request
can be followed through the logs. OTEL_SDK_DISABLED=true turns tracing off.
"""

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
{%- if cookiecutter.database == "postgresql" %}
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
{%- endif %}
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
ENDPOINT_VARIABLES = (
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)
# Probes and scrapes would drown the traces that matter.
UNTRACED_URLS = "health/live,health/ready,metrics"


def tracer_provider() -> TracerProvider:
    """The process's tracer provider, created and registered on first use."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    # From OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the project's name
    # when neither names the service.
    resource = Resource.create()
    if str(resource.attributes.get("service.name")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    if any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def instrument_tracing(app: FastAPI) -> None:
    provider = tracer_provider()
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=UNTRACED_URLS
    )
{%- if cookiecutter.database == "postgresql" %}
    # Both database pools run on asyncpg: one span per query, whichever pool.
    asyncpg = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    for instrumentor in (asyncpg, HTTPXClientInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
{%- else %}
    httpx = HTTPXClientInstrumentor()
    if not httpx.is_instrumented_by_opentelemetry:
        httpx.instrument(tracer_provider=provider)
{%- endif %}


def trace_context() -> dict[str, str | None]:
    """The current trace and span ids, as they appear in logs and problem documents."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {"trace_id": None, "span_id": None}
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }
