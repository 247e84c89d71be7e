from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import text

from {{ cookiecutter.package_name }}.config import Settings

from tests.conftest import PASSWORD, login, register
from tests.security_log import security_events


async def test_register_creates_an_account(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert "password" not in response.text
    assert "password_hash" not in body


async def test_register_refuses_a_taken_email(client: AsyncClient) -> None:
    await register(client)

    response = await client.post(
        "/api/v1/auth/register", json={"email": "ADA@example.com", "password": PASSWORD}
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("taken", "twin"),
    [
        ("ada@example.com", "\uff41\uff44\uff41@example.com"),
        ("ada@example.com", "ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"),
        ("finance@example.com", "\ufb01nance@example.com"),
        ("ada@example.com", " ADA@EXAMPLE.COM "),
    ],
    ids=["fullwidth-name", "fullwidth-domain", "ligature", "case-and-spaces"],
)
async def test_register_refuses_another_spelling_of_a_taken_email(
    client: AsyncClient, taken: str, twin: str
) -> None:
    await register(client, taken)

    response = await client.post(
        "/api/v1/auth/register", json={"email": twin, "password": PASSWORD}
    )

    assert response.status_code == 409


async def test_register_refuses_a_look_alike_letter(client: AsyncClient) -> None:
    cyrillic_a = "\u0430"

    response = await client.post(
        "/api/v1/auth/register",
        json={"email": f"{cyrillic_a}da@example.com", "password": PASSWORD},
    )

    assert response.status_code == 422


async def test_logins_are_security_events(client: AsyncClient) -> None:
    await register(client)
    with security_events() as events:
        await client.post(
            "/api/v1/auth/token",
            data={"username": "ada@example.com", "password": "wrong password!"},
        )
        await login(client)

    failed, succeeded = events
    assert (failed["event"], failed["outcome"]) == ("authentication.refused", "failure")
    assert failed["subject"] == "ada@example.com"
    assert (succeeded["event"], succeeded["outcome"]) == ("login.succeeded", "success")


async def test_login_sent_as_json_is_a_415(client: AsyncClient) -> None:
    """The OAuth2 token endpoint reads a form: JSON is refused as such, not as 422."""
    response = await client.post(
        "/api/v1/auth/token", json={"username": "ada@example.com", "password": PASSWORD}
    )

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.json()["detail"]


async def test_login_accepts_another_spelling_of_the_address(
    client: AsyncClient,
) -> None:
    await register(client)

    response = await client.post(
        "/api/v1/auth/token",
        data={"username": "\uff21\uff24\uff21@example.com", "password": PASSWORD},
    )

    assert response.status_code == 200


async def test_register_refuses_a_short_password(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "ada@example.com", "password": "short"}
    )

    assert response.status_code == 422


async def test_login_returns_a_token_pair(
    client: AsyncClient, settings: Settings
) -> None:
    await register(client)

    tokens = await login(client)

    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == settings.access_token_ttl_seconds
    claims = jwt.decode(
        tokens["access_token"],
        settings.secret_key.get_secret_value(),
        algorithms=["HS256"],
    )
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds


@pytest.mark.parametrize(
    ("username", "password"),
    [("ada@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
async def test_login_refuses_bad_credentials(
    client: AsyncClient, username: str, password: str
) -> None:
    await register(client)

    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Incorrect e-mail or password."


async def test_refresh_rotates_the_token(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


async def test_refresh_reuse_revokes_the_whole_family(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    first = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    successor = first.json()["refresh_token"]

    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    after_reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": successor}
    )

    assert reuse.status_code == 401
    assert "reuse" in reuse.json()["detail"]
    assert after_reuse.status_code == 401


async def test_refresh_refuses_a_disabled_account_and_revokes_its_login(
    client: AsyncClient, tokens: dict[str, Any], app: FastAPI
) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = false"))

    refused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    async with app.state.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = true"))
    after_enabling = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    assert refused.status_code == 401
    assert after_enabling.status_code == 401


async def test_login_with_a_nul_in_the_username_is_refused_not_a_500(
    client: AsyncClient,
) -> None:
    await register(client)

    response = await client.post(
        "/api/v1/auth/token",
        data={"username": "ada@example.com\x00", "password": PASSWORD},
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.com", "password": " " * 12},
        {"email": "ada@example.com", "password": PASSWORD, "is_active": False},
        {"email": "ada\x00@example.com", "password": PASSWORD},
    ],
    ids=["blank-password", "unknown-field", "nul-in-email"],
)
async def test_register_refuses_unsafe_input(
    client: AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/api/v1/auth/register", json=body)

    assert response.status_code == 422


async def test_refresh_refuses_an_unknown_token(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": "not-a-token"}
    )

    assert response.status_code == 401


async def test_logout_revokes_the_refresh_token(
    client: AsyncClient, tokens: dict[str, Any], auth_headers: dict[str, str]
) -> None:
    body = {"refresh_token": tokens["refresh_token"]}

    logout = await client.post("/api/v1/auth/logout", json=body, headers=auth_headers)
    refresh = await client.post("/api/v1/auth/refresh", json=body)

    assert logout.status_code == 204
    assert refresh.status_code == 401


async def test_logout_ignores_another_users_token(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    await register(client, "eve@example.com")
    eve = await login(client, "eve@example.com")
    body = {"refresh_token": tokens["refresh_token"]}

    await client.post(
        "/api/v1/auth/logout",
        json=body,
        headers={"Authorization": f"Bearer {eve['access_token']}"},
    )
    refresh = await client.post("/api/v1/auth/refresh", json=body)

    assert refresh.status_code == 200
