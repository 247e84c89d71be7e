"""Bearer tokens from a real local issuer: discovery, JWKS over HTTP, rotation."""

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.api import AUTHENTICATED
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentPrincipal
from {{ cookiecutter.package_name }}.auth.principal import Principal
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.permissions import requires

from tests.auth.issuer import Issuer
from tests.conftest import serving


async def guarded_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    """A fresh app (its own key cache) with a route per kind of check."""
    app = create_app(settings)

    @app.get("/whoami", dependencies=AUTHENTICATED)
    async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"id": principal.id, "permissions": sorted(principal.permissions)}

    @app.post("/writes", dependencies=AUTHENTICATED)
    async def write(
        writer: Annotated[Principal, Depends(requires("items:write"))],
    ) -> dict[str, str]:
        return {"id": writer.id}

    async with serving(app) as client:
        yield client


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[AsyncClient]:
    async for client in guarded_client(settings):
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_is_its_subject(
    guarded: AsyncClient, issuer: Issuer
) -> None:
    token = issuer.token("svc-reconciler", scope="items:read items:write")

    response = await guarded.get("/whoami", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "id": f"{issuer.url}|svc-reconciler",
        "permissions": ["items:read", "items:write"],
    }


async def test_entra_scp_and_roles_are_permissions_too(
    guarded: AsyncClient, issuer: Issuer
) -> None:
    token = issuer.token("app", scp="items:read", roles=["items:write"])

    response = await guarded.post("/writes", headers=bearer(token))

    assert response.status_code == 200


async def test_a_missing_token_is_refused_with_a_challenge(
    guarded: AsyncClient,
) -> None:
    response = await guarded.get("/whoami")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def forged_with_the_public_key_as_secret(issuer: Issuer) -> str:
    """The classic algorithm confusion: HS256 keyed with the published RSA key."""
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": "x", "sub": "eve", "iat": now, "exp": now + 60}
    public = str(issuer.jwks()["keys"][0]["n"])
    return jwt.encode(claims, public, "HS256", headers={"kid": issuer.kid})


@pytest.mark.parametrize(
    "make_token",
    [
        lambda i: i.token("eve", lifetime=-120),
        lambda i: i.token("eve", aud="another-api"),
        lambda i: i.token("eve", iss="https://evil.example"),
        lambda i: i.token(
            "eve", key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        lambda i: jwt.encode({"sub": "eve"}, "", "none"),
        forged_with_the_public_key_as_secret,
        lambda i: "not.a.token",
    ],
    ids=[
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "wrong-key",
        "alg-none",
        "hs256-confusion",
        "garbage",
    ],
)
async def test_an_invalid_token_is_refused(
    guarded: AsyncClient, issuer: Issuer, make_token: Any
) -> None:
    response = await guarded.get("/whoami", headers=bearer(make_token(issuer)))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_token_without_the_permission_is_forbidden(
    guarded: AsyncClient, issuer: Issuer
) -> None:
    token = issuer.token("reader", scope="items:read")

    response = await guarded.post("/writes", headers=bearer(token))

    assert response.status_code == 403
    assert "items:write" in response.json()["detail"]


async def test_keys_are_fetched_once_and_cached(
    settings: Settings, issuer: Issuer
) -> None:
    before = issuer.jwks_requests
    async for client in guarded_client(settings):
        for _ in range(5):
            response = await client.get("/whoami", headers=bearer(issuer.token("a")))
            assert response.status_code == 200

    assert issuer.jwks_requests - before == 1


async def test_unknown_key_ids_refresh_at_most_once_per_interval(
    settings: Settings, issuer: Issuer
) -> None:
    """A flood of made-up key ids cannot make the service hammer the provider."""
    async for client in guarded_client(settings):
        await client.get("/whoami", headers=bearer(issuer.token("a")))
        before = issuer.jwks_requests
        for n in range(20):
            token = issuer.token("eve", kid=f"made-up-{n}")
            response = await client.get("/whoami", headers=bearer(token))
            assert response.status_code == 401

    assert issuer.jwks_requests == before


async def test_a_rotated_key_is_fetched_when_first_seen(
    settings: Settings, issuer: Issuer
) -> None:
    eager = settings.model_copy(update={"oidc_jwks_min_refresh_seconds": 0})
    async for client in guarded_client(eager):
        first = await client.get("/whoami", headers=bearer(issuer.token("a")))
        issuer.rotate()
        rotated = await client.get("/whoami", headers=bearer(issuer.token("a")))

    assert first.status_code == 200
    assert rotated.status_code == 200


async def test_an_unreachable_provider_is_a_503_not_a_401(
    settings: Settings, issuer: Issuer
) -> None:
    issuer.available = False
    try:
        async for client in guarded_client(settings):
            response = await client.get("/whoami", headers=bearer(issuer.token("a")))
    finally:
        issuer.available = True

    assert response.status_code == 503


async def test_the_api_declares_the_bearer_scheme(guarded: AsyncClient) -> None:
    schema = (await guarded.get("/openapi.json")).json()

    assert schema["components"]["securitySchemes"] == {
        "AccessTokenBearer": {"type": "http", "scheme": "bearer"}
    }
