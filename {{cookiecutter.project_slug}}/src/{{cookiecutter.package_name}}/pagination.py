"""Opaque keyset cursors: stable under inserts, no OFFSET scans, no count query."""

import base64
import json
import uuid
from datetime import datetime

from .exceptions import BadRequestError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created_at), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        msg = f"Invalid cursor {cursor!r}: pass back a next_cursor value unchanged."
        raise BadRequestError(msg) from exc
