"""The caller's identity: the one dependency every protected route takes."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from ..database import get_engine
from ..exceptions import UnauthorizedError
from . import service
from .principal import Principal

HEADER = "X-API-Key"
# RFC 9110 asks a 401 to name the scheme; API keys have no registered one.
CHALLENGE = f'ApiKey header="{HEADER}"'


class ApiKeyHeader(APIKeyHeader):
    """The API key scheme, resolved to the key's principal (one indexed lookup)."""

    # The parent returns the raw key; this scheme returns whose key it is.
    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        key = await super().__call__(request)
        if key is None:
            msg = f"Missing API key: send it in the {HEADER} header."
            raise UnauthorizedError(msg, challenge=CHALLENGE)
        engine = await get_engine(request)
        principal = await service.authenticate(engine=engine, key=key)
        if principal is None:
            msg = "Unknown, expired or revoked API key."
            raise UnauthorizedError(msg, challenge=CHALLENGE)
        return principal


get_principal = ApiKeyHeader(name=HEADER, auto_error=False)

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
