"""The check every authenticated request makes: is this login still live?"""

import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..database import ReadQuery
from ..users.models import User
from .models import LoginSession

# One primary-key lookup per request is what makes logout, detected reuse, a
# password change and a disabled account take effect on the very next request,
# across every worker and pod, instead of when the access token expires.
_LIVE_SESSION = ReadQuery(
    select(LoginSession.id)
    .join(User, User.id == LoginSession.user_id)
    .where(
        LoginSession.id == bindparam("session_id"),
        LoginSession.user_id == bindparam("user_id"),
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > func.now(),
        User.is_active,
    )
)


async def is_live(
    *, db: AsyncEngine, user_id: uuid.UUID, session_id: uuid.UUID
) -> bool:
    """Whether this login is unrevoked, unexpired and its account active."""
    row = await _LIVE_SESSION.fetch_one(db, user_id=user_id, session_id=session_id)
    return row is not None
