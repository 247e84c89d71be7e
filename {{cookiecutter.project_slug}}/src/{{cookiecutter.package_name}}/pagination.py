"""Opaque keyset cursors: stable under inserts, no OFFSET scans, no count query."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from .exceptions import BadRequestError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Entry = TypeVar("Entry")


class Page(BaseModel, Generic[Entry]):
    """One page of a list.

    Each resource names its own, `class AccountPage(Page[AccountRead])`, so the
    OpenAPI document calls it AccountPage.
    """

    items: list[Entry]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True, slots=True)
class Paging:
    """Which page a list request asks for."""

    limit: int
    cursor: str | None


async def get_paging(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Paging:
    return Paging(limit=limit, cursor=cursor)


PageParams = Annotated[Paging, Depends(get_paging)]


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor names; anything but a cursor we issued is a 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(created_at, str) or not isinstance(row_id, str):
            raise TypeError(cursor)
        position = datetime.fromisoformat(created_at)
        if position.tzinfo is None:
            raise ValueError(created_at)
        # Within what PostgreSQL stores, once in UTC (year 1 to 9999 here).
        return position.astimezone(UTC), uuid.UUID(row_id)
    except (ValueError, TypeError, OverflowError) as exc:
        msg = "Invalid cursor: pass back a next_cursor value unchanged."
        raise BadRequestError(msg) from exc
