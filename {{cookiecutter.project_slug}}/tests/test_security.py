{% if cookiecutter.database == "postgresql" -%}
"""Guarantees that hold on every route: security headers, no SQL values in errors."""
{%- else -%}
"""Guarantees that hold on every route: security headers, bounded request bodies."""
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}

import asyncio
import re
import secrets
import uuid
from collections.abc import AsyncIterator
{%- elif cookiecutter.auth == "none" %}

import asyncio
from collections.abc import AsyncIterator
{%- else %}

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
{%- endif %}

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.auth == "jwt" %}
from pydantic import BaseModel, SecretStr
{%- else %}
from pydantic import BaseModel
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
{%- endif %}
{%- if cookiecutter.auth != "none" %}

from {{ cookiecutter.package_name }}.api import AUTHENTICATED
from {{ cookiecutter.package_name }}.config import Settings
{%- else %}

from {{ cookiecutter.package_name }}.config import Settings
{%- endif %}
from {{ cookiecutter.package_name }}.main import create_app

{%- if cookiecutter.auth != "none" %}

from tests.conftest import serving
from tests.security_log import security_events
{%- else %}

from tests.conftest import serving
{%- endif %}

EXPECTED_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


class Note(BaseModel):
    text: str


def with_test_routes(settings: Settings) -> FastAPI:
    """The service's app, plus a route that fails and one that reads a body."""
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        msg = "a route that raises"
        raise RuntimeError(msg)

    @app.post("/notes", status_code=201)
    async def create_note(note: Note) -> Note:
        return note

    return app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/no/such/page", 404),
{%- if cookiecutter.auth == "jwt" %}
        ("GET", "/api/v1/users/me", 401),
{%- endif %}
        ("POST", "/notes", 422),
        ("GET", "/boom", 500),
    ],
)
async def test_every_response_carries_the_security_headers(
    settings: Settings, method: str, path: str, status: int
) -> None:
    async with serving(with_test_routes(settings)) as client:
        response = await client.request(method, path, json={})

    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED_HEADERS} == (
        EXPECTED_HEADERS
    )
    assert "strict-transport-security" not in response.headers


async def test_production_responses_ask_for_https_only(settings: Settings) -> None:
{%- if cookiecutter.auth == "jwt" %}
    production = settings.model_copy(
        update={
            "app_env": "production",
            "secret_key": SecretStr(secrets.token_urlsafe(48)),
        }
    )
{%- else %}
    production = settings.model_copy(update={"app_env": "production"})
{%- endif %}
    app = create_app(production)
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="https://test") as client:
        response = await client.get("/health/live")

    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(("expose", "status"), [(False, 404), (True, 200)])
async def test_production_serves_its_schema_only_when_told(
    settings: Settings, expose: bool, status: int
) -> None:
{%- if cookiecutter.auth == "jwt" %}
    production = settings.model_copy(
        update={
            "app_env": "production",
            "secret_key": SecretStr(secrets.token_urlsafe(48)),
            "expose_openapi": expose,
        }
    )
{%- else %}
    production = settings.model_copy(
        update={"app_env": "production", "expose_openapi": expose}
    )
{%- endif %}
    transport = ASGITransport(app=create_app(production))
    async with AsyncClient(transport=transport, base_url="https://test") as client:
        schema = await client.get("/openapi.json")
        docs = await client.get("/docs")

    assert (schema.status_code, docs.status_code) == (status, status)
{%- if cookiecutter.database == "postgresql" %}


async def test_sql_errors_never_carry_the_values(app: FastAPI) -> None:
    """A failed INSERT, as logged, names neither the e-mail nor the hash."""
    row = {
        "id": 1,
        "email": "private.person@example.com",
        "hash": "sha256$9f86d081884c7d659a2feaa0c55ad015",
    }
    insert = text("INSERT INTO people VALUES (:id, :email, :hash)")
    async with app.state.engine.connect() as connection:
        await connection.execute(
            text("CREATE TEMP TABLE people (id int PRIMARY KEY, email text, h text)")
        )
        await connection.execute(insert, row)
        with pytest.raises(DBAPIError) as caught:
            await connection.execute(insert, row | {"email": "other@example.com"})
        await connection.rollback()

    assert "private.person@example.com" not in str(caught.value)
    assert "other@example.com" not in str(caught.value)
    assert "9f86d081884c7d65" not in str(caught.value)
{%- endif %}


{%- if cookiecutter.auth != "none" %}


# Everything else needs a credential: a route is public only by being listed here.
PUBLIC_ROUTES = {
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
{%- if cookiecutter.auth == "jwt" %}
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
{%- endif %}
}


async def test_every_route_needs_a_credential_unless_listed_public(
    app: FastAPI, client: AsyncClient
) -> None:
    """Calls every operation the app serves without a credential: mounting a router
    without AUTHENTICATED, or a route that forgets its dependency, fails here."""
    refused: set[tuple[str, str]] = set()
    public: set[tuple[str, str]] = set()
    for template, operations in app.openapi()["paths"].items():
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
        for method in operations:
            response = await client.request(method.upper(), path)
            key = (method.upper(), template)
            (refused if response.status_code == 401 else public).add(key)

    assert public == PUBLIC_ROUTES
{%- if cookiecutter.auth == "jwt" or cookiecutter.example_resource %}
    assert refused
{%- endif %}


async def test_a_refused_credential_is_a_security_event(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/guarded", dependencies=AUTHENTICATED)
    async def guarded() -> None:
        """A route mounted like every API router."""

    async with serving(app) as client:
        with security_events() as events:
            response = await client.get("/guarded")

    (event,) = events
    assert response.status_code == 401
    assert event["event"] == "authentication.refused"
    assert event["outcome"] == "failure"
    assert event["path"] == "/guarded"
{%- endif %}


BODY_LIMIT = 4096


@pytest.fixture
async def small_body_limit(settings: Settings) -> AsyncIterator[AsyncClient]:
    limited = settings.model_copy(update={"max_request_body_bytes": BODY_LIMIT})
    async with serving(with_test_routes(limited)) as client:
        yield client


async def test_a_declared_oversized_body_is_refused_unread(
    small_body_limit: AsyncClient,
) -> None:
    response = await small_body_limit.post(
        "/notes",
        content=b"{" + b" " * BODY_LIMIT + b"}",
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_a_streamed_oversized_body_is_cut_off(
    small_body_limit: AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"{"
        for _ in range(BODY_LIMIT // 512 + 1):
            yield b" " * 512
        yield b"}"

    response = await small_body_limit.post(
        "/notes",
        content=chunks(),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_that_trickles_in_is_timed_out(settings: Settings) -> None:
    impatient = settings.model_copy(update={"request_body_timeout_seconds": 0.2})

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"text": '
        await asyncio.sleep(5)
        yield b'"late"}'

    async with serving(with_test_routes(impatient)) as client:
        response = await client.post(
            "/notes", content=trickle(), headers={"content-type": "application/json"}
        )

    assert response.status_code == 408
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_within_the_limit_is_read(small_body_limit: AsyncClient) -> None:
    response = await small_body_limit.post("/notes", json={"text": "x" * 100})

    assert response.status_code == 201
