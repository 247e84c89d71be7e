"""Read side: Core queries compiled once, returning read models."""

import uuid

import asyncpg
from pydantic import TypeAdapter
from sqlalchemy import bindparam, select, tuple_

from ..auth.principal import OwnerId
from ..database import ReadQuery
from ..pagination import decode_cursor, encode_cursor
from .models import Item
from .schemas import ItemPage, ItemRead

_COLUMNS = select(
    Item.id, Item.name, Item.description, Item.version, Item.created_at, Item.updated_at
)
_NEWEST_FIRST = (Item.created_at.desc(), Item.id.desc())
_ONE = ReadQuery(
    _COLUMNS.where(
        Item.id == bindparam("item_id"), Item.owner_id == bindparam("owner_id")
    )
)
_FIRST_PAGE = ReadQuery(
    _COLUMNS.where(Item.owner_id == bindparam("owner_id"))
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_NEXT_PAGE = ReadQuery(
    _COLUMNS.where(
        Item.owner_id == bindparam("owner_id"),
        tuple_(Item.created_at, Item.id)
        < tuple_(bindparam("after_created_at"), bindparam("after_id")),
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_ITEMS = TypeAdapter(list[ItemRead])


async def get(
    *, pool: asyncpg.Pool, owner_id: OwnerId, item_id: uuid.UUID
) -> ItemRead | None:
    """Return the item if it exists and belongs to this owner."""
    row = await _ONE.fetch_one(pool, item_id=item_id, owner_id=owner_id)
    return None if row is None else ItemRead.model_validate(row)


async def list_page(
    *, pool: asyncpg.Pool, owner_id: OwnerId, limit: int, cursor: str | None
) -> ItemPage:
    """Return one page of the owner's items, newest first, with the next cursor."""
    # One extra row tells whether another page exists, without a count query.
    if cursor is None:
        rows = await _FIRST_PAGE.fetch(pool, owner_id=owner_id, limit=limit + 1)
    else:
        after_created_at, after_id = decode_cursor(cursor)
        rows = await _NEXT_PAGE.fetch(
            pool,
            owner_id=owner_id,
            after_created_at=after_created_at,
            after_id=after_id,
            limit=limit + 1,
        )
    # One validation call for the whole page is cheaper than one per row.
    items = _ITEMS.validate_python(rows)
    if len(items) <= limit:
        return ItemPage(items=items, next_cursor=None)
    last = items[limit - 1]
    return ItemPage(
        items=items[:limit], next_cursor=encode_cursor(last.created_at, last.id)
    )
