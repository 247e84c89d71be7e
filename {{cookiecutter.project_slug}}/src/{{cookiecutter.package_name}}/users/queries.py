"""Read side: Core queries compiled once, returning read models."""

import uuid

import asyncpg
from sqlalchemy import bindparam, select

from ..database import ReadQuery
from .models import User
from .schemas import UserRead

_ACTIVE_USER = ReadQuery(
    select(User.id, User.email, User.is_active, User.created_at).where(
        User.id == bindparam("user_id"), User.is_active
    )
)


async def get_active(*, pool: asyncpg.Pool, user_id: uuid.UUID) -> UserRead | None:
    """Return the user if it exists and is active."""
    row = await _ACTIVE_USER.fetch_one(pool, user_id=user_id)
    return None if row is None else UserRead.model_validate(row)
