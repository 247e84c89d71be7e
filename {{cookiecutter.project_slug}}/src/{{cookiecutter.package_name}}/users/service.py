import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .models import User


async def get_by_email(*, session: AsyncSession, email: str) -> User | None:
    """Return the user with this e-mail (case-insensitive), if any."""
    return await session.scalar(select(User).where(User.email == email.lower()))


async def create_unless_taken(
    *, session: AsyncSession, email: str, password_hash: str
) -> uuid.UUID | None:
    """Create a user and return its id, or None if the e-mail is taken.

    The e-mail is stored lower-cased. A taken address is not an error here: the
    statement simply inserts nothing, so both outcomes cost one round trip.
    """
    created: uuid.UUID | None = await session.scalar(
        insert(User)
        .values(id=uuid.uuid4(), email=email.lower(), password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    )
    return created


async def set_password_hash(
    *, session: AsyncSession, user_id: uuid.UUID, password_hash: str
) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )
