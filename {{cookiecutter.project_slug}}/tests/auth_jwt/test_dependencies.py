import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.config import Settings


def claims_of(tokens: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The claims of a token the service issued, to forge variants of."""
    claims: dict[str, Any] = jwt.decode(
        tokens["access_token"],
        settings.secret_key.get_secret_value(),
        algorithms=[settings.jwt_algorithm],
        audience=settings.jwt_audience,
    )
    return claims


def forge(
    settings: Settings,
    claims: dict[str, Any],
    *,
    key: str | None = None,
    algorithm: str = "HS256",
) -> dict[str, str]:
    token = jwt.encode(claims, key or settings.secret_key.get_secret_value(), algorithm)
    return {"Authorization": f"Bearer {token}"}


async def test_missing_token_is_refused(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_untouched_token_is_accepted(
    client: AsyncClient, tokens: dict[str, Any], settings: Settings
) -> None:
    """The forging below changes one thing at a time from a token that works."""
    response = await client.get(
        "/api/v1/users/me", headers=forge(settings, claims_of(tokens, settings))
    )

    assert response.status_code == 200


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": NOW - timedelta(minutes=1)},
        {"iat": NOW + timedelta(days=1), "exp": NOW + timedelta(days=1, minutes=5)},
        {"iat": NOW, "exp": NOW + timedelta(days=30)},
        {"aud": "another-service"},
        {"iss": "https://someone-else.example.com"},
        {"type": "refresh"},
        {"sub": "not-a-uuid"},
        {"sub": str(uuid.uuid4())},
        {"sid": str(uuid.uuid4())},
        {"jti": None},
        {"aud": None},
        {"iss": None},
        {"sid": None},
    ],
    ids=[
        "expired",
        "issued-in-the-future",
        "lifetime-over-the-maximum",
        "wrong-audience",
        "wrong-issuer",
        "wrong-type",
        "bad-subject",
        "unknown-subject",
        "unknown-login",
        "no-jti",
        "no-audience",
        "no-issuer",
        "no-login",
    ],
)
async def test_a_token_that_is_not_exactly_right_is_refused(
    client: AsyncClient,
    tokens: dict[str, Any],
    settings: Settings,
    changes: dict[str, object],
) -> None:
    claims = claims_of(tokens, settings) | changes
    forged = {name: value for name, value in claims.items() if value is not None}

    response = await client.get("/api/v1/users/me", headers=forge(settings, forged))

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        ("another-key-that-is-long-enough-too", "HS256"),
        (None, "HS512"),
    ],
    ids=["another-key", "another-algorithm"],
)
async def test_a_token_signed_otherwise_is_refused(
    client: AsyncClient,
    tokens: dict[str, Any],
    settings: Settings,
    key: str | None,
    algorithm: str,
) -> None:
    headers = forge(settings, claims_of(tokens, settings), key=key, algorithm=algorithm)

    response = await client.get("/api/v1/users/me", headers=headers)

    assert response.status_code == 401


async def test_an_unsigned_token_is_refused(
    client: AsyncClient, tokens: dict[str, Any], settings: Settings
) -> None:
    unsigned = jwt.encode(claims_of(tokens, settings), "", algorithm="none")

    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {unsigned}"}
    )

    assert response.status_code == 401
