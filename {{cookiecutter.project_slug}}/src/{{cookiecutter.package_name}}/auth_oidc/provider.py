"""The identity provider: discovery, signing keys (cached) and token verification.

Discovery (`<issuer>/.well-known/openid-configuration`) and the JWKS are fetched
over HTTP on first use, not at startup, so the service starts while the
provider is down. Keys are refetched when the cache is older than
OIDC_JWKS_CACHE_SECONDS, and when a token names an unknown key id (the provider
rotated its keys) at most once per OIDC_JWKS_MIN_REFRESH_SECONDS: a flood of
tokens with made-up key ids costs the provider one request a minute.
"""

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

from ..config import Settings
from ..exceptions import ServiceUnavailableError, UnauthorizedError
from .principal import Principal

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"


class IdentityProvider:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client
        self._jwks_uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        # Monotonic times of the last successful fetch and of the last attempt.
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Principal:
        """The principal of a valid access token; UnauthorizedError otherwise."""
        settings = self._settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            msg = "Malformed bearer token."
            raise UnauthorizedError(msg) from exc
        # The allow-list comes from settings, never from the token.
        if header.get("alg") not in settings.oidc_algorithms:
            msg = "Bearer token signed with an algorithm this service does not accept."
            raise UnauthorizedError(msg)
        key = await self._signing_key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=settings.oidc_algorithms,
                audience=settings.oidc_audience,
                issuer=settings.oidc_issuer,
                leeway=settings.oidc_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            msg = "Invalid or expired access token."
            raise UnauthorizedError(msg) from exc
        return Principal(
            id=f"{claims['iss']}|{claims['sub']}",
            subject=str(claims["sub"]),
            permissions=permissions(claims),
        )

    async def _signing_key(self, kid: object) -> jwt.PyJWK:
        if not isinstance(kid, str):
            msg = "Bearer token without a key id (kid)."
            raise UnauthorizedError(msg)
        if self._stale() or kid not in self._keys:
            await self._refresh()
        if not self._keys:
            msg = "The identity provider cannot be reached to check the token."
            raise ServiceUnavailableError(msg)
        if kid not in self._keys:
            msg = "Bearer token signed with a key the provider does not publish."
            raise UnauthorizedError(msg)
        return self._keys[kid]

    def _stale(self) -> bool:
        return (
            self._fetched_at is None
            or time.monotonic() - self._fetched_at
            > self._settings.oidc_jwks_cache_seconds
        )

    async def _refresh(self) -> None:
        """Fetch the keys, unless that was tried less than the minimum interval ago."""
        async with self._lock:
            now = time.monotonic()
            if (
                self._attempted_at is not None
                and now - self._attempted_at
                < self._settings.oidc_jwks_min_refresh_seconds
            ):
                return
            self._attempted_at = now
            try:
                keys = await self._fetch_keys()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                # Keep the keys we have: the provider is down, not the tokens.
                logger.warning("Fetching the identity provider's keys failed: %s", exc)
                return
            self._keys = keys
            self._fetched_at = now

    async def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        if self._jwks_uri is None:
            self._jwks_uri = await self._discover()
        response = await self._client.get(self._jwks_uri)
        response.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
        return {key.key_id: key for key in keys if key.key_id is not None}

    async def _discover(self) -> str:
        issuer = self._settings.oidc_issuer
        response = await self._client.get(issuer.rstrip("/") + DISCOVERY_PATH)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer") != issuer:
            msg = f"discovery names issuer {document.get('issuer')!r}, not {issuer!r}"
            raise ValueError(msg)
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            msg = "discovery document without a jwks_uri"
            raise ValueError(msg)
        return jwks_uri


def permissions(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes (`scope`, space-separated; `scp`, Entra ID) and roles (`roles`)."""
    granted: set[str] = set()
    for claim in ("scope", "scp", "roles"):
        value = claims.get(claim)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(item for item in value if isinstance(item, str))
    return frozenset(granted)
