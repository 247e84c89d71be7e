import uuid

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from ..exceptions import PreconditionFailedError
from ..pagination import decode_cursor, encode_cursor
from .models import Item
from .schemas import ItemCreate, ItemUpdate


async def get(
    *, session: AsyncSession, owner_id: uuid.UUID, item_id: uuid.UUID
) -> Item | None:
    """Return the item if it exists and belongs to this owner."""
    return await session.scalar(
        select(Item).where(Item.id == item_id, Item.owner_id == owner_id)
    )


async def list_page(
    *, session: AsyncSession, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Item], str | None]:
    """Return one page of the owner's items, newest first, and the next cursor."""
    query = select(Item).where(Item.owner_id == owner_id)
    if cursor is not None:
        query = query.where(tuple_(Item.created_at, Item.id) < decode_cursor(cursor))
    # One extra row tells whether another page exists, without a count query.
    rows = list(
        await session.scalars(
            query.order_by(Item.created_at.desc(), Item.id.desc()).limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)


async def create(
    *, session: AsyncSession, owner_id: uuid.UUID, data: ItemCreate
) -> Item:
    """Create an item owned by this user."""
    item = Item(owner_id=owner_id, **data.model_dump())
    session.add(item)
    await session.flush()
    await session.refresh(item)
    return item


async def update(
    *, session: AsyncSession, item: Item, data: ItemUpdate, expected_version: int | None
) -> Item:
    """Apply a partial update, refusing it if the item changed since `expected_version`."""
    if expected_version is not None and expected_version != item.version:
        msg = f"Item {item.id} is at version {item.version}, not {expected_version}."
        raise PreconditionFailedError(msg)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    try:
        await session.flush()
    except StaleDataError as exc:
        msg = f"Item {item.id} was changed by another request; fetch it again."
        raise PreconditionFailedError(msg) from exc
    await session.refresh(item)
    return item


async def delete(*, session: AsyncSession, item: Item) -> None:
    """Delete an item."""
    await session.delete(item)
    await session.flush()
