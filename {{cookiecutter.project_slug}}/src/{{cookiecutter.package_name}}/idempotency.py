"""`Idempotency-Key` support: a retried create returns the first response."""

import hashlib
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .auth.principal import OwnerId, owner_id_column
from .database import Base
from .exceptions import ConflictError, UnprocessableError
from .models import CreatedAt


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    # Keys are per caller: two callers may pick the same key.
    owner_id: Mapped[OwnerId] = owner_id_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[CreatedAt]


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def find_replay(
    *, session: AsyncSession, owner_id: OwnerId, key: str, request_hash: str
) -> IdempotencyRecord | None:
    """Return the stored response for this key, if the same request was seen."""
    record = await session.get(IdempotencyRecord, (owner_id, key))
    if record is not None and record.request_hash != request_hash:
        msg = f"Idempotency-Key {key!r} was already used with a different request body."
        raise UnprocessableError(msg)
    return record


async def remember(
    *,
    session: AsyncSession,
    owner_id: OwnerId,
    key: str,
    request_hash: str,
    status_code: int,
    response_body: dict[str, Any],
) -> None:
    """Store the response to replay; a concurrent twin request loses with 409."""
    session.add(
        IdempotencyRecord(
            owner_id=owner_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response_body=response_body,
        )
    )
    try:
        await session.flush()
    except IntegrityError as exc:
        msg = f"A request with Idempotency-Key {key!r} is already being processed."
        raise ConflictError(msg) from exc
