import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..exceptions import UnauthorizedError
from ..schemas import has_control_characters
from ..users import service as users_service
from ..users.models import User
from . import security
from .models import RefreshToken
from .schemas import TokenResponse, normalize_email


class LoginRevokedError(UnauthorizedError):
    """A refresh that revoked its whole login: commit before the error goes out."""


class RefreshTokenReusedError(LoginRevokedError):
    """A spent refresh token came back: its whole family has been revoked."""

    security_event = "refresh.reuse_detected"


class AccountDisabledError(LoginRevokedError):
    """The account behind a refresh token was disabled: its login is revoked."""

    security_event = "refresh.account_disabled"


async def register(*, session: AsyncSession, email: str, password: str) -> User:
    """Create an account with an Argon2id password hash."""
    password_hash = await security.hash_password(password)
    return await users_service.create(
        session=session, email=email, password_hash=password_hash
    )


async def authenticate(
    *, session: AsyncSession, email: str, password: str
) -> User | None:
    """Return the active user these credentials belong to, else None."""
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
    valid = await security.verify_password(
        password, user.password_hash if user else None
    )
    if user is None or not valid or not user.is_active:
        return None
    return user


async def issue_tokens(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    settings: Settings,
    family_id: uuid.UUID | None = None,
) -> TokenResponse:
    """Issue an access token and a refresh token (a new family unless given one)."""
    token, token_hash = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash,
            expires_at=datetime.now(UTC)
            + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    return TokenResponse(
        access_token=security.create_access_token(user_id=user_id, settings=settings),
        refresh_token=token,
        expires_in=settings.access_token_ttl_seconds,
    )


async def rotate(
    *, session: AsyncSession, refresh_token: str, settings: Settings
) -> TokenResponse:
    """Spend a refresh token for a new pair; a reused token revokes its family.

    Raises LoginRevokedError after revoking the family (reuse, or a disabled
    account): the caller must commit before letting the error through, or the
    revocation is lost.
    """
    stored = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == security.hash_refresh_token(refresh_token))
        .with_for_update()
    )
    now = datetime.now(UTC)
    if stored is None or stored.expires_at <= now:
        msg = "Invalid or expired refresh token."
        raise UnauthorizedError(msg)
    if stored.revoked_at is not None:
        await revoke_family(session=session, family_id=stored.family_id)
        msg = "Refresh token reuse detected; every session of this login is revoked."
        raise RefreshTokenReusedError(msg, subject=stored.user_id)
    owner = await session.get(User, stored.user_id)
    if owner is None or not owner.is_active:
        await revoke_family(session=session, family_id=stored.family_id)
        msg = "Invalid or expired refresh token."
        raise AccountDisabledError(msg, subject=stored.user_id)
    stored.revoked_at = now
    return await issue_tokens(
        session=session,
        user_id=stored.user_id,
        settings=settings,
        family_id=stored.family_id,
    )


async def revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    """Revoke every live token of one login."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def logout(
    *, session: AsyncSession, user_id: uuid.UUID, refresh_token: str
) -> None:
    """Revoke the login a refresh token belongs to, if it is this user's."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == security.hash_refresh_token(refresh_token),
            RefreshToken.user_id == user_id,
        )
    )
    if family_id is not None:
        await revoke_family(session=session, family_id=family_id)
