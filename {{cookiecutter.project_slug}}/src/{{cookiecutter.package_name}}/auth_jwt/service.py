import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..exceptions import UnauthorizedError, UnprocessableError
from ..observability import security_event
from ..schemas import has_control_characters
from ..users import service as users_service
from ..users.models import User
from . import security
from .models import LoginSession, RefreshToken
from .schemas import TokenResponse, normalize_email


class LoginRevokedError(UnauthorizedError):
    """A refresh that revoked its whole login: commit before the error goes out."""


class RefreshTokenReusedError(LoginRevokedError):
    """A spent refresh token came back: its whole login has been revoked."""

    security_event = "refresh.reuse_detected"


class AccountDisabledError(LoginRevokedError):
    """The account behind a refresh token was disabled: its login is revoked."""

    security_event = "refresh.account_disabled"


class WeakPasswordError(UnprocessableError):
    """A new password that is common, a pattern, or made of the address."""


class WrongPasswordError(UnprocessableError):
    """A password change whose current password is wrong."""

    security_event = "password_change.refused"


async def register(*, session: AsyncSession, email: str, password: str) -> None:
    """Create an account unless the address already has one.

    The caller is told the same either way, after the same work (the password is
    hashed in both cases): registration must not reveal who has an account.
    """
    if weakness := await security.password_weakness(password, email=email):
        raise WeakPasswordError(weakness)
    password_hash = await security.hash_password(password)
    user_id = await users_service.create_unless_taken(
        session=session, email=email, password_hash=password_hash
    )
    if user_id is None:
        security_event("registration.email_taken", outcome="failure", subject=email)
    else:
        security_event("registration.succeeded", outcome="success", subject=user_id)


async def authenticate(
    *, session: AsyncSession, email: str, password: str
) -> User | None:
    """Return the active user these credentials belong to, else None.

    A password hash made with weaker parameters than today's is replaced.
    """
    # Registration stored the address normalised: look it up the same way. No
    # account has a non-ASCII one; the database would refuse a NUL outright.
    email = normalize_email(email)
    user = (
        None
        if has_control_characters(email) or not email.isascii()
        else await users_service.get_by_email(session=session, email=email)
    )
    # Give the connection back before the slow part: a burst of logins must not
    # hold the pool (and starve every other request) while passwords are hashed.
    await session.close()
    valid, new_hash = await security.verify_password(
        password, user.password_hash if user else None
    )
    if user is None or not valid or not user.is_active:
        return None
    if new_hash is not None:
        await users_service.set_password_hash(
            session=session, user_id=user.id, password_hash=new_hash
        )
    return user


async def start_login(
    *, session: AsyncSession, user_id: uuid.UUID, settings: Settings
) -> TokenResponse:
    """Open a login session and issue its first token pair."""
    login = LoginSession(
        id=uuid.uuid4(),
        user_id=user_id,
        expires_at=datetime.now(UTC)
        + timedelta(seconds=settings.session_lifetime_seconds),
    )
    session.add(login)
    return await _issue_tokens(session=session, login=login, settings=settings)


async def _issue_tokens(
    *, session: AsyncSession, login: LoginSession, settings: Settings
) -> TokenResponse:
    token, token_hash = security.new_refresh_token()
    idle_expiry = datetime.now(UTC) + timedelta(
        seconds=settings.refresh_token_ttl_seconds
    )
    session.add(
        RefreshToken(
            session_id=login.id,
            token_hash=token_hash,
            # Refreshing never outlives the login's absolute lifetime.
            expires_at=min(idle_expiry, login.expires_at),
        )
    )
    await session.flush()
    access_token = security.create_access_token(
        user_id=login.user_id, session_id=login.id, settings=settings
    )
    return TokenResponse(
        access_token=access_token,
        refresh_token=token,
        expires_in=settings.access_token_ttl_seconds,
    )


async def rotate(
    *, session: AsyncSession, refresh_token: str, settings: Settings
) -> TokenResponse:
    """Spend a refresh token for a new pair; a reused token revokes its login.

    Raises LoginRevokedError after revoking the login (reuse, or a disabled
    account): the caller must commit before letting the error through, or the
    revocation is lost.
    """
    found = (
        await session.execute(
            select(RefreshToken, LoginSession)
            .join(LoginSession, LoginSession.id == RefreshToken.session_id)
            .where(
                RefreshToken.token_hash == security.hash_refresh_token(refresh_token)
            )
            .with_for_update()
        )
    ).one_or_none()
    now = datetime.now(UTC)
    if found is None:
        msg = "Invalid or expired refresh token."
        raise UnauthorizedError(msg)
    stored, login = found
    if stored.revoked_at is not None:
        await revoke(session=session, login_id=login.id)
        msg = "Refresh token reuse detected; every session of this login is revoked."
        raise RefreshTokenReusedError(msg, subject=login.user_id)
    if stored.expires_at <= now or login.expires_at <= now or login.revoked_at:
        msg = "Invalid or expired refresh token."
        raise UnauthorizedError(msg, subject=login.user_id)
    owner = await session.get(User, login.user_id)
    if owner is None or not owner.is_active:
        await revoke(session=session, login_id=login.id)
        msg = "Invalid or expired refresh token."
        raise AccountDisabledError(msg, subject=login.user_id)
    stored.revoked_at = now
    return await _issue_tokens(session=session, login=login, settings=settings)


async def revoke(*, session: AsyncSession, login_id: uuid.UUID) -> None:
    """End one login: its access and refresh tokens stop working at once."""
    await session.execute(
        update(LoginSession)
        .where(LoginSession.id == login_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def revoke_all(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every login of an account ("log out everywhere")."""
    await session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def change_password(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
) -> None:
    """Replace the password after checking the current one; every login ends."""
    user = await session.get(User, user_id)
    await session.close()
    valid, _ = await security.verify_password(
        current_password, user.password_hash if user else None
    )
    if user is None or not valid:
        msg = "The current password is not correct."
        raise WrongPasswordError(msg, subject=user_id)
    if weakness := await security.password_weakness(new_password, email=user.email):
        raise WeakPasswordError(weakness)
    new_hash = await security.hash_password(new_password)
    await users_service.set_password_hash(
        session=session, user_id=user_id, password_hash=new_hash
    )
    await revoke_all(session=session, user_id=user_id)
