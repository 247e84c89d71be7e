import os
{%- if cookiecutter.use_redis %}
import uuid
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
{%- else %}
from collections.abc import AsyncIterator, Awaitable, Callable
{%- endif %}
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.auth == "oidc" %}

from tests.auth.issuer import AUDIENCE, Issuer
{%- if cookiecutter.use_redis %}
from tests.server import redis_url
{%- endif %}
{%- elif cookiecutter.use_redis %}

from tests.server import redis_url
{%- endif %}

# OpenTelemetry's and Prometheus's own variables (exporters, multiprocess dir).
OBSERVABILITY_PREFIXES = ("OTEL_", "PROMETHEUS_")


def pytest_configure(config: pytest.Config) -> None:
    """Keep the developer's shell out: nothing is read from it on purpose.

    Every setting of the service (APP_ENV, LOG_LEVEL...) and the OTEL_* and
    PROMETHEUS_* variables are removed before any test runs, and the tests build
    their settings without `.env`, so what a shell exports never changes a result.
    """
    leaky = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in leaky or name.upper().startswith(OBSERVABILITY_PREFIXES):
            del os.environ[name]
{%- if cookiecutter.auth == "oidc" %}


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """An OpenID provider of the run's own, on 127.0.0.1."""
    with Issuer() as issuer:
        yield issuer


@pytest.fixture(scope="session")
def settings(issuer: Issuer) -> Settings:
    return Settings(
        _env_file=None,
        app_env="test",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
{%- if cookiecutter.use_redis %}
        redis_url=redis_url(),
        # This run's own counters, whoever else uses the server.
        redis_namespace=f"test-{uuid.uuid4().hex}",
{%- endif %}
    )
{%- elif cookiecutter.use_redis %}


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(
        _env_file=None,
        app_env="test",
        redis_url=redis_url(),
        # This run's own counters, whoever else uses the server.
        redis_namespace=f"test-{uuid.uuid4().hex}",
    )
{%- else %}


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(_env_file=None, app_env="test")
{%- endif %}


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client for an app of the test's own, started and stopped around it."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


# The headers a caller of this name sends: `await caller_headers("eve")`.
CallerHeaders = Callable[[str], Awaitable[dict[str, str]]]
{%- if cookiecutter.auth == "oidc" %}


@pytest.fixture
def caller_headers(issuer: Issuer) -> CallerHeaders:
    """Callers are token subjects."""

    async def headers(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(name)}"}

    return headers
{%- else %}


@pytest.fixture
def caller_headers() -> CallerHeaders:
    """Callers are all the same, and send nothing: no one authenticates."""

    async def headers(name: str) -> dict[str, str]:
        return {}

    return headers
{%- endif %}
