"""The caller's identity: the one dependency every protected route takes."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from ..exceptions import UnauthorizedError
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
