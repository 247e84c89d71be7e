"""Read side: Core queries returning read models, on an autocommit connection."""

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .models import User
from .schemas import UserRead

# Built once: a statement with bound parameters is reused from SQLAlchemy's cache.
_ACTIVE_USER = select(User.id, User.email, User.is_active, User.created_at).where(
    User.id == bindparam("user_id"), User.is_active
)


async def get_active(
    *, connection: AsyncConnection, user_id: uuid.UUID
) -> UserRead | None:
    """Return the user if it exists and is active."""
    row = (await connection.execute(_ACTIVE_USER, {"user_id": user_id})).first()
    return None if row is None else UserRead.model_validate(row._mapping)
