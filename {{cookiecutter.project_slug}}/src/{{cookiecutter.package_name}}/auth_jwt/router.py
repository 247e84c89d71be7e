from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from ..database import SessionDep
from ..dependencies import SettingsDep
from ..exceptions import UnauthorizedError
from ..observability import security_event
from ..ratelimit import client_address, enforce
from . import service
from .dependencies import CurrentPrincipal
from .schemas import (
    ChangePasswordRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    normalize_email,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={202: {"description": "Registered, unless the address had an account"}},
)
async def register(
    body: RegisterRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Create an account; log in with it next.

    The answer is the same whether or not the address already had an account,
    so registration cannot be used to find out who has one.
    """
    await enforce(
        request,
        settings.rate_limit_register,
        scope="register.client",
        subject=client_address(request),
    )
    await service.register(session=session, email=body.email, password=body.password)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post("/token")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Exchange an e-mail (sent as `username`) and a password for a token pair."""
    # Guessing is slowed per address and per account: many addresses trying one
    # account, and one address trying many accounts, are both stopped.
    rate = settings.rate_limit_login
    address, account = client_address(request), normalize_email(form.username)
    await enforce(request, rate, scope="login.client", subject=address)
    await enforce(request, rate, scope="login.account", subject=account)
    user = await service.authenticate(
        session=session, email=form.username, password=form.password
    )
    if user is None:
        msg = "Incorrect e-mail or password."
        raise UnauthorizedError(msg, subject=form.username)
    security_event("login.succeeded", outcome="success", subject=user.id)
    return await service.start_login(
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
        # The revocation must outlive this failed request.
        await session.commit()
        raise


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End this login: its access and refresh tokens stop working at once."""
    await service.revoke(session=session, login_id=principal.session_id)
    security_event("logout", outcome="success", subject=principal.id)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_everywhere(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End every login of this account, on every device."""
    await service.revoke_all(session=session, user_id=principal.id)
    security_event("logout.everywhere", outcome="success", subject=principal.id)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: ChangePasswordRequest,
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    """Change the password; every login of the account ends (log in again)."""
    # A stolen access token must not become a way to guess the password.
    await enforce(
        request, settings.rate_limit_login, scope="password", subject=principal.id
    )
    await service.change_password(
        session=session,
        user_id=principal.id,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    security_event("password.changed", outcome="success", subject=principal.id)
