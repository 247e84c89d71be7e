"""Opaque keyset cursors: stable under inserts, no OFFSET scans, no count query."""

import base64
import json
import uuid
from datetime import UTC, datetime

from .exceptions import BadRequestError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


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
