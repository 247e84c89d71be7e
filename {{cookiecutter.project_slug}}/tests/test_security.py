"""Guarantees that hold on every route: security headers, no SQL values in errors."""

import secrets
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app

from tests.conftest import empty_tables

EXPECTED_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def with_failing_route(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        msg = "a route that raises"
        raise RuntimeError(msg)

    return app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/api/v1/users/me", 401),
        ("POST", "/api/v1/auth/register", 422),
        ("GET", "/boom", 500),
    ],
)
async def test_every_response_carries_the_security_headers(
    settings: Settings, method: str, path: str, status: int
) -> None:
    app = with_failing_route(settings)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        response = await client.request(method, path, json={})

    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED_HEADERS} == (
        EXPECTED_HEADERS
    )
    assert "strict-transport-security" not in response.headers


async def test_production_responses_ask_for_https_only(settings: Settings) -> None:
    production = settings.model_copy(
        update={
            "app_env": "production",
            "secret_key": SecretStr(secrets.token_urlsafe(48)),
        }
    )
    app = create_app(production)
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="https://test") as client:
        response = await client.get("/health/live")

    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_sql_errors_never_carry_the_values(app: FastAPI) -> None:
    """A failed INSERT, as logged, names neither the e-mail nor the password hash."""
    row = {
        "id": uuid.uuid4(),
        "email": "private.person@example.com",
        "hash": "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0$aGFzaA",
    }
    insert = text(
        "INSERT INTO users (id, email, password_hash) VALUES (:id, :email, :hash)"
    )
    async with app.state.engine.connect() as connection:
        await connection.execute(insert, row)
        with pytest.raises(DBAPIError) as caught:
            await connection.execute(insert, row | {"email": "other@example.com"})
        await connection.rollback()

    assert "private.person@example.com" not in str(caught.value)
    assert "other@example.com" not in str(caught.value)
    assert "$argon2id$" not in str(caught.value)


BODY_LIMIT = 4096


@pytest.fixture
async def small_body_limit(settings: Settings) -> AsyncIterator[AsyncClient]:
    app = create_app(settings.model_copy(update={"max_request_body_bytes": BODY_LIMIT}))
    transport = ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client
        await empty_tables(app.state.engine)


async def test_a_declared_oversized_body_is_refused_unread(
    small_body_limit: AsyncClient,
) -> None:
    response = await small_body_limit.post(
        "/api/v1/auth/register",
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
        "/api/v1/auth/register",
        content=chunks(),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_within_the_limit_is_read(small_body_limit: AsyncClient) -> None:
    response = await small_body_limit.post(
        "/api/v1/auth/register",
        json={"email": "ada@example.com", "password": "x" * 100},
    )

    assert response.status_code == 201
