"""Read side: Core queries compiled once, returning read models."""

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..database import ReadQuery
from .models import User
from .schemas import UserRead

_ACTIVE_USER = ReadQuery(
    select(User.id, User.email, User.is_active, User.created_at).where(
        User.id == bindparam("user_id"), User.is_active
    )
)


async def get_active(*, db: AsyncEngine, user_id: uuid.UUID) -> UserRead | None:
    """Return the user if it exists and is active."""
    row = await _ACTIVE_USER.fetch_one(db, user_id=user_id)
    return None if row is None else UserRead.model_validate(row)
