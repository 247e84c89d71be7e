from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from ..database import SessionDep
from ..dependencies import SettingsDep
from ..exceptions import UnauthorizedError
from ..users import service as users_service
from ..users.models import User
from . import security

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if token is None:
        msg = "Missing bearer token."
        raise UnauthorizedError(msg)
    user_id = security.decode_access_token(token, settings=settings)
    if user_id is None:
        msg = "Invalid or expired access token."
        raise UnauthorizedError(msg)
    user = await users_service.get(session=session, user_id=user_id)
    if user is None or not user.is_active:
        msg = "The account behind this token does not exist or is disabled."
        raise UnauthorizedError(msg)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
