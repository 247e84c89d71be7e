"""Items: the rules of the domain. Writes run in the request's transaction."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from .. import resources
from ..auth.principal import OwnerId
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

# The hot read path (GET routes): derived from ItemRead, run on asyncpg.
reads = resources.Reads(Item, ItemRead, ItemPage)


async def create(*, session: AsyncSession, owner_id: OwnerId, data: ItemCreate) -> Item:
    item = Item(owner_id=owner_id, **data.model_dump())
    await resources.add(session, item)
    return item


async def update(
    *,
    session: AsyncSession,
    owner_id: OwnerId,
    item_id: uuid.UUID,
    data: ItemUpdate,
    expected_version: int | None,
) -> Item:
    item = await resources.get_for_update(
        session, Item, row_id=item_id, owner_id=owner_id
    )
    await resources.update(
        session,
        item,
        data.model_dump(exclude_unset=True),
        expected_version=expected_version,
    )
    return item


async def delete(
    *,
    session: AsyncSession,
    owner_id: OwnerId,
    item_id: uuid.UUID,
    expected_version: int | None,
) -> None:
    item = await resources.get_for_update(
        session, Item, row_id=item_id, owner_id=owner_id
    )
    await resources.delete(session, item, expected_version=expected_version)
