from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from ..database import SessionDep
from ..dependencies import SettingsDep
from ..exceptions import UnauthorizedError
from ..observability import security_event
from ..users.models import User
from ..users.schemas import UserRead
from . import service
from .dependencies import CurrentPrincipal
from .schemas import (
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserRead)
async def register(body: RegisterRequest, session: SessionDep) -> User:
    """Create an account."""
    return await service.register(
        session=session, email=body.email, password=body.password
    )


@router.post("/token")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Exchange an e-mail (sent as `username`) and a password for a token pair."""
    user = await service.authenticate(
        session=session, email=form.username, password=form.password
    )
    if user is None:
        msg = "Incorrect e-mail or password."
        raise UnauthorizedError(msg, subject=form.username)
    security_event("login.succeeded", outcome="success", subject=user.id)
    return await service.issue_tokens(
        session=session, user_id=user.id, settings=settings
    )


@router.post("/refresh")
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Spend a refresh token for a new token pair (rotation)."""
    try:
        return await service.rotate(
            session=session, refresh_token=body.refresh_token, settings=settings
        )
    except service.LoginRevokedError:
        # The family revocation must outlive this failed request.
        await session.commit()
        raise


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    body: RefreshRequest, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Revoke the login behind a refresh token."""
    await service.logout(
        session=session, user_id=principal.id, refresh_token=body.refresh_token
    )
