import uuid
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import text

from {{ cookiecutter.package_name }}.auth import security
from {{ cookiecutter.package_name }}.config import Settings

from tests.conftest import PASSWORD, login, register
from tests.security_log import security_events


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def users(app: FastAPI) -> list[str]:
    async with app.state.engine.connect() as connection:
        return list(await connection.scalars(text("SELECT email FROM users")))


async def test_register_creates_an_account(client: AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 202
    assert response.content == b""
    assert await users(app) == ["ada@example.com"]


async def test_register_does_not_reveal_a_taken_email(
    client: AsyncClient, app: FastAPI
) -> None:
    body = {"email": "ada@example.com", "password": PASSWORD}
    with security_events() as events:
        first = await client.post("/api/v1/auth/register", json=body)
        again = await client.post(
            "/api/v1/auth/register", json=body | {"password": "another long one!"}
        )

    assert (again.status_code, again.headers.get("content-type"), again.content) == (
        first.status_code,
        first.headers.get("content-type"),
        first.content,
    )
    assert await users(app) == ["ada@example.com"]
    assert [event["event"] for event in events] == [
        "registration.succeeded",
        "registration.email_taken",
    ]
    await login(client)  # the first password still holds


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
async def test_register_makes_no_twin_of_a_taken_email(
    client: AsyncClient, app: FastAPI, taken: str, twin: str
) -> None:
    await register(client, taken)

    response = await client.post(
        "/api/v1/auth/register", json={"email": twin, "password": PASSWORD}
    )

    assert response.status_code == 202
    assert await users(app) == [taken]


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "aaaaaaaaaaaa",
        "qwertyuiopasdfgh",
        "ada@example.com1",
        "iloveyou2024",
    ],
    ids=["common", "repeated", "keyboard-walk", "the-address", "common-and-a-year"],
)
async def test_register_refuses_a_guessable_password(
    client: AsyncClient, app: FastAPI, password: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "ada@example.com", "password": password}
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("This password is too easy to guess.")
    assert await users(app) == []


async def test_a_password_change_refuses_a_guessable_password(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    refused = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=bearer(tokens),
    )
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))

    assert refused.status_code == 422
    assert me.status_code == 200


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
        algorithms=[settings.jwt_algorithm],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert {"jti", "sid", "sub"} <= claims.keys()


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


async def test_logout_ends_the_login_at_once(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    logout = await client.post("/api/v1/auth/logout", headers=bearer(tokens))
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    assert logout.status_code == 204
    assert me.status_code == 401
    assert refresh.status_code == 401


async def test_logout_ends_only_its_own_login(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    other_device = await login(client)

    await client.post("/api/v1/auth/logout", headers=bearer(tokens))
    me = await client.get("/api/v1/users/me", headers=bearer(other_device))

    assert me.status_code == 200


async def test_logout_everywhere_ends_every_login(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    other_device = await login(client)
    await register(client, "eve@example.com")
    eve = await login(client, "eve@example.com")

    response = await client.post("/api/v1/auth/logout-all", headers=bearer(tokens))
    statuses = [
        (await client.get("/api/v1/users/me", headers=bearer(pair))).status_code
        for pair in (tokens, other_device, eve)
    ]

    assert response.status_code == 204
    assert statuses == [401, 401, 200]


async def test_a_reused_refresh_token_ends_the_access_token_too(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    body = {"refresh_token": tokens["refresh_token"]}
    rotated = (await client.post("/api/v1/auth/refresh", json=body)).json()

    await client.post("/api/v1/auth/refresh", json=body)
    me = await client.get("/api/v1/users/me", headers=bearer(rotated))

    assert me.status_code == 401


async def test_a_disabled_account_is_refused_on_its_next_request(
    client: AsyncClient, tokens: dict[str, Any], app: FastAPI
) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = false"))

    response = await client.get("/api/v1/users/me", headers=bearer(tokens))

    assert response.status_code == 401


async def test_a_password_change_ends_every_login(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    new_password = "a brand new passphrase"

    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=bearer(tokens),
    )
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))
    old = await client.post(
        "/api/v1/auth/token", data={"username": "ada@example.com", "password": PASSWORD}
    )
    new = await client.post(
        "/api/v1/auth/token",
        data={"username": "ada@example.com", "password": new_password},
    )

    assert changed.status_code == 204
    assert me.status_code == 401
    assert old.status_code == 401
    assert new.status_code == 200


async def test_a_password_change_needs_the_current_password(
    client: AsyncClient, tokens: dict[str, Any]
) -> None:
    with security_events() as events:
        refused = await client.post(
            "/api/v1/auth/password",
            json={
                "current_password": "not my password",
                "new_password": "a brand new passphrase",
            },
            headers=bearer(tokens),
        )
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))

    assert refused.status_code == 422
    assert [event["event"] for event in events] == ["password_change.refused"]
    assert me.status_code == 200


async def test_refresh_cannot_outlive_the_login(
    client: AsyncClient, tokens: dict[str, Any], app: FastAPI
) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE login_sessions SET expires_at = now() + interval '10 minutes'")
        )
    body = {"refresh_token": tokens["refresh_token"]}
    rotated = (await client.post("/api/v1/auth/refresh", json=body)).json()
    async with app.state.engine.begin() as connection:
        outliving = await connection.scalar(
            text(
                "SELECT count(*) FROM refresh_tokens t JOIN login_sessions s "
                "ON s.id = t.session_id "
                "WHERE t.revoked_at IS NULL AND t.expires_at > s.expires_at"
            )
        )
        await connection.execute(
            text("UPDATE login_sessions SET expires_at = now() - interval '1 second'")
        )

    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    me = await client.get("/api/v1/users/me", headers=bearer(rotated))

    assert outliving == 0
    assert refresh.status_code == 401
    assert me.status_code == 401


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    client: AsyncClient, app: FastAPI
) -> None:
    weak = PasswordHash((Argon2Hasher(memory_cost=19456, time_cost=2, parallelism=1),))
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO users (id, email, password_hash) VALUES (:id, :e, :h)"),
            {"id": uuid.uuid4(), "e": "ada@example.com", "h": weak.hash(PASSWORD)},
        )

    await login(client)
    async with app.state.engine.connect() as connection:
        stored = await connection.scalar(text("SELECT password_hash FROM users"))

    assert security.password_hash.verify_and_update(PASSWORD, stored) == (True, None)
