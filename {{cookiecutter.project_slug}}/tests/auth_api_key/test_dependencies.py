from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from httpx import AsyncClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.api import AUTHENTICATED
from {{ cookiecutter.package_name }}.auth import service
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentPrincipal
from {{ cookiecutter.package_name }}.auth.models import ApiKey
from {{ cookiecutter.package_name }}.auth.principal import Principal
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.permissions import requires

from tests.conftest import serving


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The app plus a route that needs a key, and one that needs items:write."""
    app = create_app(settings)

    @app.get("/whoami", dependencies=AUTHENTICATED)
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"id": principal.id}

    @app.post("/writes", dependencies=AUTHENTICATED)
    async def write(
        writer: Annotated[Principal, Depends(requires("items:write"))],
    ) -> dict[str, str]:
        return {"id": writer.id}

    async with serving(app) as client:
        yield app, client


async def new_key(
    app: FastAPI, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    engine = app.state.engine
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        return await service.create(
            session=session,
            name="payments-batch",
            owner="payments-batch",
            scopes=scopes,
            expires_at=expires_at,
        )


async def test_a_valid_key_is_its_owner(
    guarded: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = guarded
    _, key = await new_key(app, ["items:read"])

    response = await client.get("/whoami", headers={"X-API-Key": key})

    assert response.status_code == 200
    assert response.json() == {"id": "payments-batch"}


async def test_a_missing_key_is_refused_with_a_challenge(
    guarded: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = guarded

    response = await client.get("/whoami")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "key", ["sk_not-a-key", "", "x" * 4000], ids=["unknown", "empty", "huge"]
)
async def test_an_unknown_key_is_refused(
    guarded: tuple[FastAPI, AsyncClient], key: str
) -> None:
    _, client = guarded

    response = await client.get("/whoami", headers={"X-API-Key": key})

    assert response.status_code == 401


async def test_a_revoked_key_is_refused(guarded: tuple[FastAPI, AsyncClient]) -> None:
    app, client = guarded
    api_key, key = await new_key(app, ["items:read"])
    async with AsyncSession(app.state.engine) as session, session.begin():
        await service.revoke(session=session, key_id=api_key.id)

    response = await client.get("/whoami", headers={"X-API-Key": key})

    assert response.status_code == 401


async def test_an_expired_key_is_refused(guarded: tuple[FastAPI, AsyncClient]) -> None:
    app, client = guarded
    _, key = await new_key(app, ["items:read"], datetime.now(UTC) - timedelta(1))

    response = await client.get("/whoami", headers={"X-API-Key": key})

    assert response.status_code == 401


async def test_a_key_without_the_permission_is_forbidden(
    guarded: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = guarded
    _, reader = await new_key(app, ["items:read"])
    _, writer = await new_key(app, ["items:read", "items:write"])

    refused = await client.post("/writes", headers={"X-API-Key": reader})
    allowed = await client.post("/writes", headers={"X-API-Key": writer})

    assert refused.status_code == 403
    assert "items:write" in refused.json()["detail"]
    assert allowed.status_code == 200


async def test_only_a_digest_is_stored_and_use_is_recorded(
    guarded: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = guarded
    api_key, key = await new_key(app, ["items:read"])

    for _ in range(3):
        await client.get("/whoami", headers={"X-API-Key": key})

    async with app.state.engine.connect() as connection:
        dump = (
            await connection.execute(text("SELECT api_keys::text FROM api_keys"))
        ).scalar_one()
    async with AsyncSession(app.state.engine) as session:
        stored = await session.scalar(select(ApiKey).where(ApiKey.id == api_key.id))
    assert key not in dump
    assert key[len(service.KEY_PREFIX) :] not in dump
    assert stored is not None
    assert stored.key_hash == service.digest(key)
    assert stored.last_used_at is not None


def test_scopes_must_be_resource_colon_action() -> None:
    with pytest.raises(ValueError, match="resource:action"):
        service.check_permissions(["items:read", "admin"])

    assert service.check_permissions(["items:write", "items:read", "items:read"]) == [
        "items:read",
        "items:write",
    ]


async def test_the_api_declares_the_key_scheme(
    guarded: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = guarded
    schema = (await client.get("/openapi.json")).json()

    assert schema["components"]["securitySchemes"] == {
        "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    }
