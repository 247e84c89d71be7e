"""Create, list, revoke and check API keys."""

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..database import ReadQuery, driver_connection
from ..schemas import has_control_characters
from .models import ApiKey
from .principal import Principal

KEY_PREFIX = "sk_"
# 32 random bytes: a digest lookup is then as safe as a slow hash, and faster.
KEY_BYTES = 32
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
PERMISSION = re.compile(r"^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$")

_ACTIVE = ReadQuery(
    select(ApiKey.id, ApiKey.owner, ApiKey.scopes, ApiKey.last_used_at).where(
        ApiKey.key_hash == bindparam("key_hash"),
        ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > func.now()),
    )
)
# Conditional, so concurrent requests with one key write its row once a minute.
_TOUCH = (
    "UPDATE api_keys SET last_used_at = now() WHERE id = $1 "
    "AND (last_used_at IS NULL OR last_used_at < now() - $2::interval)"
)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_permissions(scopes: Iterable[str]) -> list[str]:
    """The scopes, sorted and once each; a malformed one is a ValueError."""
    checked = sorted(set(scopes))
    if bad := [scope for scope in checked if not PERMISSION.match(scope)]:
        msg = f"a scope is resource:action, such as items:read; got {bad[0]!r}"
        raise ValueError(msg)
    return checked


async def create(
    *,
    session: AsyncSession,
    name: str,
    owner: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key's digest; return the key itself, which is never stored."""
    for label, value, limit in (("name", name, 100), ("owner", owner, 512)):
        if not value.strip() or len(value) > limit or has_control_characters(value):
            msg = f"the {label} must be 1 to {limit} printable characters"
            raise ValueError(msg)
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    api_key = ApiKey(
        name=name,
        owner=owner,
        key_hash=digest(key),
        prefix=key[:SHOWN_PREFIX_LENGTH],
        scopes=check_permissions(scopes),
        expires_at=expires_at,
    )
    session.add(api_key)
    await session.flush()
    return api_key, key


async def list_keys(*, session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all()


async def revoke(*, session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    """Revoke the key from now on; None if there is no such key."""
    api_key = await session.get(ApiKey, key_id)
    if api_key is not None and api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        await session.flush()
    return api_key


async def authenticate(*, engine: AsyncEngine, key: str) -> Principal | None:
    """The principal of an active key (not revoked, not expired), else None."""
    # The digest, not the key, goes into the lookup: its timing reveals nothing
    # about the key's characters.
    row = await _ACTIVE.fetch_one(engine, key_hash=digest(key))
    if row is None:
        return None
    last_used = row["last_used_at"]
    if last_used is None or datetime.now(UTC) - last_used > LAST_USED_RESOLUTION:
        async with driver_connection(engine) as connection:
            await connection.execute(_TOUCH, row["id"], LAST_USED_RESOLUTION)
    return Principal(id=row["owner"], key_id=row["id"], scopes=frozenset(row["scopes"]))
