from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..exceptions import ConflictError
from .models import User


async def get_by_email(*, session: AsyncSession, email: str) -> User | None:
    """Return the user with this e-mail (case-insensitive), if any."""
    return await session.scalar(select(User).where(User.email == email.lower()))


async def create(*, session: AsyncSession, email: str, password_hash: str) -> User:
    """Create a user; the e-mail is stored lower-cased and must be unused."""
    user = User(email=email.lower(), password_hash=password_hash)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        msg = f"A user with e-mail {email!r} already exists."
        raise ConflictError(msg) from exc
    return user
