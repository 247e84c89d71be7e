"""`Idempotency-Key` support: a retried create returns the first response."""

import hashlib
import json
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
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


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retries with the same key and body return the first response.",
    ),
]


class Idempotency:
    """A create request's `Idempotency-Key`: replay its retries, remember its response.

    Without a key both steps do nothing. The record is written in the request's
    transaction, so it exists exactly when what the request created does.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        owner_id: OwnerId,
        key: str | None,
        body: BaseModel,
    ) -> None:
        self._session = session
        self._owner_id = owner_id
        self._key = key
        # Only a request with a key is compared with its retries.
        self._request_hash = (
            "" if key is None else fingerprint(body.model_dump_json().encode())
        )

    async def replay(self) -> JSONResponse | None:
        """The first response to this key, if this request is a retry of it."""
        if self._key is None:
            return None
        record = await find_replay(
            session=self._session,
            owner_id=self._owner_id,
            key=self._key,
            request_hash=self._request_hash,
        )
        if record is None:
            return None
        return JSONResponse(
            record.response_body,
            status_code=record.status_code,
            headers={"Idempotent-Replayed": "true"},
        )

    async def remember(self, response: JSONResponse) -> JSONResponse:
        """Store the response for retries of this key; return it."""
        if self._key is not None:
            await remember(
                session=self._session,
                owner_id=self._owner_id,
                key=self._key,
                request_hash=self._request_hash,
                status_code=response.status_code,
                response_body=json.loads(bytes(response.body)),
            )
        return response


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
