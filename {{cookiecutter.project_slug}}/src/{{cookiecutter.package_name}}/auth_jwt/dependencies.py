"""The caller's identity: the one dependency every protected route takes."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from ..database import ReadOnlyDep, get_engine
from ..dependencies import get_app_settings
from ..exceptions import UnauthorizedError
from ..users import queries as users_queries
from ..users.schemas import UserRead
from . import queries, security
from .principal import Principal


class AccessTokenBearer(OAuth2PasswordBearer):
    """The OAuth2 password flow's bearer scheme, resolved to the token's account.

    One dependency both documents the scheme in OpenAPI and checks the token:
    its signature, claims and times in memory, then one primary-key lookup that
    its login is still live (not logged out, not revoked for reuse or by a
    password change, within its absolute lifetime, the account active).
    """

    # The parent returns the raw token; this scheme returns whose token it is.
    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        token = await super().__call__(request)
        if token is None:
            msg = "Missing bearer token."
            raise UnauthorizedError(msg)
        settings = await get_app_settings(request)
        claims = security.decode_access_token(token, settings=settings)
        if claims is None:
            msg = "Invalid or expired access token."
            raise UnauthorizedError(msg)
        live = await queries.is_live(
            db=await get_engine(request),
            user_id=claims.user_id,
            session_id=claims.session_id,
        )
        if not live:
            msg = "This login has ended: log in again."
            raise UnauthorizedError(msg, subject=claims.user_id)
        return Principal(id=claims.user_id, session_id=claims.session_id)


get_principal = AccessTokenBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_current_user(principal: CurrentPrincipal, db: ReadOnlyDep) -> UserRead:
    user = await users_queries.get_active(db=db, user_id=principal.id)
    if user is None:
        msg = "The account behind this token does not exist or is disabled."
        raise UnauthorizedError(msg)
    return user


CurrentUser = Annotated[UserRead, Depends(get_current_user)]
