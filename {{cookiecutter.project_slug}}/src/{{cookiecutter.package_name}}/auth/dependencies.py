import uuid
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from ..database import ReadConnectionDep
from ..dependencies import SettingsDep
from ..exceptions import UnauthorizedError
from ..users import queries as users_queries
from ..users.schemas import UserRead
from . import security

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_current_user_id(
    settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> uuid.UUID:
    """The user id a valid access token was issued to; no database round trip.

    Access tokens are short-lived: a disabled account keeps access to the routes
    that only need its id until its token expires. Routes that need the account
    itself use CurrentUser, which checks it on every request.
    """
    if token is None:
        msg = "Missing bearer token."
        raise UnauthorizedError(msg)
    user_id = security.decode_access_token(token, settings=settings)
    if user_id is None:
        msg = "Invalid or expired access token."
        raise UnauthorizedError(msg)
    return user_id


CurrentUserId = Annotated[uuid.UUID, Depends(get_current_user_id)]


async def get_current_user(
    user_id: CurrentUserId, connection: ReadConnectionDep
) -> UserRead:
    user = await users_queries.get_active(connection=connection, user_id=user_id)
    if user is None:
        msg = "The account behind this token does not exist or is disabled."
        raise UnauthorizedError(msg)
    return user


CurrentUser = Annotated[UserRead, Depends(get_current_user)]
