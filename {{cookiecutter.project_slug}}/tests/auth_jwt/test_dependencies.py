import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.config import Settings


def forge(
    settings: Settings,
    overrides: dict[str, object] | None = None,
    key: str | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "type": "access",
    }
    claims.update(overrides or {})
    return jwt.encode(claims, key or settings.secret_key.get_secret_value(), "HS256")


async def test_missing_token_is_refused(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": datetime.now(UTC) - timedelta(seconds=1)},
        {"type": "refresh"},
        {"sub": "not-a-uuid"},
    ],
    ids=["expired", "wrong-type", "bad-subject"],
)
async def test_invalid_token_is_refused(
    client: AsyncClient, settings: Settings, overrides: dict[str, object]
) -> None:
    token = forge(settings, overrides)

    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401


async def test_token_signed_with_another_key_is_refused(
    client: AsyncClient, settings: Settings
) -> None:
    token = forge(settings, key="another-key-that-is-long-enough-too")

    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401


async def test_token_of_a_deleted_user_is_refused(
    client: AsyncClient, settings: Settings
) -> None:
    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {forge(settings)}"}
    )

    assert response.status_code == 401
