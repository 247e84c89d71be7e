"""Read side: Core queries returning read models, on an autocommit connection."""

import uuid

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from ..pagination import decode_cursor, encode_cursor
from .models import Item
from .schemas import ItemPage, ItemRead

# Built once: statements with bound parameters are reused from SQLAlchemy's cache.
_COLUMNS = select(
    Item.id, Item.name, Item.description, Item.version, Item.created_at, Item.updated_at
)
_ONE = _COLUMNS.where(
    Item.id == bindparam("item_id"), Item.owner_id == bindparam("owner_id")
)
_NEWEST_FIRST = (Item.created_at.desc(), Item.id.desc())
_FIRST_PAGE = (
    _COLUMNS.where(Item.owner_id == bindparam("owner_id"))
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_NEXT_PAGE = (
    _COLUMNS.where(
        Item.owner_id == bindparam("owner_id"),
        tuple_(Item.created_at, Item.id)
        < tuple_(bindparam("after_created_at"), bindparam("after_id")),
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)


async def get(
    *, connection: AsyncConnection, owner_id: uuid.UUID, item_id: uuid.UUID
) -> ItemRead | None:
    """Return the item if it exists and belongs to this owner."""
    row = (
        await connection.execute(_ONE, {"item_id": item_id, "owner_id": owner_id})
    ).first()
    return None if row is None else ItemRead.model_validate(row._mapping)


async def list_page(
    *, connection: AsyncConnection, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> ItemPage:
    """Return one page of the owner's items, newest first, with the next cursor."""
    # One extra row tells whether another page exists, without a count query.
    params: dict[str, object] = {"owner_id": owner_id, "limit": limit + 1}
    if cursor is None:
        result = await connection.execute(_FIRST_PAGE, params)
    else:
        params["after_created_at"], params["after_id"] = decode_cursor(cursor)
        result = await connection.execute(_NEXT_PAGE, params)
    items = [ItemRead.model_validate(row._mapping) for row in result]
    if len(items) <= limit:
        return ItemPage(items=items, next_cursor=None)
    last = items[limit - 1]
    return ItemPage(
        items=items[:limit], next_cursor=encode_cursor(last.created_at, last.id)
    )
