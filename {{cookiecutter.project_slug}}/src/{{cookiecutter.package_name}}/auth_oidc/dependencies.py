"""The caller's identity: the one dependency every protected route takes."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from ..exceptions import ForbiddenError, UnauthorizedError
from .principal import Principal
from .provider import IdentityProvider


class AccessTokenBearer(HTTPBearer):
    """A bearer access token from the identity provider, resolved to its subject."""

    # The parent returns the raw credentials; this scheme returns whose they are.
    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            msg = "Missing bearer token."
            raise UnauthorizedError(msg)
        provider: IdentityProvider = request.app.state.identity_provider
        return await provider.verify(credentials.credentials)


get_principal = AccessTokenBearer(auto_error=False)

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def requires(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only callers with this permission through (else 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            msg = f"This request needs the {permission!r} permission."
            raise ForbiddenError(msg, subject=principal.id)
        return principal

    return check
