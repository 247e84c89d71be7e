import os
{%- if cookiecutter.use_redis %}
import uuid
{%- endif %}
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
{%- if cookiecutter.auth == "jwt" %}
from typing import Any
{%- endif %}

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.auth == "jwt" %}
from pydantic import SecretStr
{%- endif %}
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
{%- if cookiecutter.auth == "api_key" %}
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from {{ cookiecutter.package_name }} import permissions
from {{ cookiecutter.package_name }}.auth import service as api_keys
from {{ cookiecutter.package_name }}.config import Settings
{%- elif cookiecutter.auth == "oidc" %}
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.package_name }} import permissions
from {{ cookiecutter.package_name }}.config import Settings
{%- else %}
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.package_name }}.config import Settings
{%- endif %}
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.models_registry import Base

{%- if cookiecutter.auth == "oidc" %}

from tests.auth.issuer import AUDIENCE, Issuer
from tests.database import create_database, drop_database, postgres_server
{%- else %}

from tests.database import create_database, drop_database, postgres_server
{%- endif %}
{%- if cookiecutter.use_redis %}
from tests.server import redis_url
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}

PASSWORD = "correct horse battery staple"
{%- endif %}

# What asyncpg reads from the environment to fill in a connection.
LIBPQ_VARIABLES = frozenset(
    {
        "PGDATABASE",
        "PGHOST",
        "PGPASSFILE",
        "PGPASSWORD",
        "PGPORT",
        "PGSERVICE",
        "PGSSLCERT",
        "PGSSLKEY",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGTARGETSESSIONATTRS",
        "PGUSER",
    }
)

# OpenTelemetry's and Prometheus's own variables (exporters, multiprocess dir).
OBSERVABILITY_PREFIXES = ("OTEL_", "PROMETHEUS_")


def pytest_configure(config: pytest.Config) -> None:
    """Keep the developer's shell out: only TEST_DATABASE_URL is read on purpose.

    Every setting of the service (DATABASE_URL, APP_ENV, LOG_LEVEL...), every
    libpq variable and the OTEL_* and PROMETHEUS_* ones are removed before any
    test runs, and the tests build their settings without `.env`, so what a
    shell exports never changes a result.
    """
    leaky = {name.upper() for name in Settings.model_fields} | LIBPQ_VARIABLES
    for name in list(os.environ):
        if name.upper() in leaky or name.upper().startswith(OBSERVABILITY_PREFIXES):
            del os.environ[name]


def alembic_config() -> Config:
    return Config("alembic.ini")


def upgrade(connection: Connection, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def settings_for(database_url: URL) -> Settings:
    return Settings(
        _env_file=None,
        app_env="test",
        database_url=database_url.render_as_string(hide_password=False),
{%- if cookiecutter.use_redis %}
        redis_url=redis_url(),
        # This run's own counters, whoever else uses the server.
        redis_namespace=f"test-{uuid.uuid4().hex}",
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
        # 64 bytes: long enough for every HMAC algorithm a test signs with.
        secret_key=SecretStr("test-secret-key-" + "0123456789abcdef" * 3),
        # The tests log in and register a lot from one address; the rate limit
        # tests set their own rates.
        rate_limit_login=None,
        rate_limit_register=None,
{%- elif cookiecutter.auth == "oidc" %}
        # Never contacted: the `settings` fixture points at the run's own issuer.
        oidc_issuer="https://issuer.invalid",
        oidc_audience=AUDIENCE,
{%- endif %}
    )


@pytest.fixture(scope="session")
def server_url() -> Iterator[URL]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(server_url: URL) -> AsyncIterator[URL]:
    """A database of this run's own, with the schema built by the migrations."""
    url = await create_database(server_url, "test_{{ cookiecutter.package_name }}")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade)
        yield url
    finally:
        await engine.dispose()
        await drop_database(server_url, url)
{%- if cookiecutter.auth == "oidc" %}


@pytest.fixture(scope="session")
def settings(database_url: URL, issuer: Issuer) -> Settings:
    return settings_for(database_url).model_copy(update={"oidc_issuer": issuer.url})
{%- else %}


@pytest.fixture(scope="session")
def settings(database_url: URL) -> Settings:
    return settings_for(database_url)
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
    await empty_tables(app.state.engine)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client for an app of the test's own, started and stopped around it."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client
        await empty_tables(app.state.engine)


async def empty_tables(engine: AsyncEngine) -> None:
    """Each test starts from empty tables, whatever it committed."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    if not tables:
        return
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))


# The headers a caller of this name sends: `await caller_headers("eve")`.
CallerHeaders = Callable[[str], Awaitable[dict[str, str]]]
{%- if cookiecutter.auth == "jwt" %}


async def register(client: AsyncClient, email: str = "ada@example.com") -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 202, response.text


async def login(client: AsyncClient, email: str = "ada@example.com") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


@pytest.fixture
async def tokens(client: AsyncClient) -> dict[str, Any]:
    """A registered, logged-in user's token pair."""
    await register(client)
    return await login(client)


@pytest.fixture
def auth_headers(tokens: dict[str, Any]) -> dict[str, str]:
    """The headers of the account the `tokens` fixture logged in."""
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def caller_headers(client: AsyncClient) -> CallerHeaders:
    """Callers are accounts: registered and logged in by name."""

    async def headers(name: str) -> dict[str, str]:
        await register(client, f"{name}@example.com")
        tokens = await login(client, f"{name}@example.com")
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    return headers
{%- else %}
{%- if cookiecutter.auth == "api_key" %}


@pytest.fixture
def caller_headers(app: FastAPI) -> CallerHeaders:
    """Callers are key owners: each gets a key with every permission routes require."""

    async def headers(name: str) -> dict[str, str]:
        async with AsyncSession(app.state.engine) as session, session.begin():
            _, key = await api_keys.create(
                session=session,
                name=f"{name}'s key",
                owner=name,
                scopes=sorted(permissions.DECLARED),
            )
        return {"X-API-Key": key}

    return headers
{%- elif cookiecutter.auth == "oidc" %}


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """An OpenID provider of the run's own, on 127.0.0.1."""
    with Issuer() as issuer:
        yield issuer


@pytest.fixture
def caller_headers(issuer: Issuer) -> CallerHeaders:
    """Callers are token subjects, allowed every permission routes require."""

    async def headers(name: str) -> dict[str, str]:
        token = issuer.token(name, scope=" ".join(sorted(permissions.DECLARED)))
        return {"Authorization": f"Bearer {token}"}

    return headers
{%- elif cookiecutter.auth == "none" %}


@pytest.fixture
def caller_headers() -> CallerHeaders:
    """Callers are all the same, and send nothing: no one authenticates."""

    async def headers(name: str) -> dict[str, str]:
        return {}

    return headers
{%- endif %}


@pytest.fixture
async def auth_headers(caller_headers: CallerHeaders) -> dict[str, str]:
    return await caller_headers("ada")
{%- endif %}
