import uuid

from sqlalchemy import select
{%- if cookiecutter.auth == "jwt" %}
from sqlalchemy.exc import IntegrityError
{%- endif %}
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from ..auth.principal import OwnerId
{%- if cookiecutter.auth == "jwt" %}
from ..exceptions import PreconditionFailedError, UnauthorizedError
{%- else %}
from ..exceptions import PreconditionFailedError
{%- endif %}
from .models import Item
from .schemas import ItemCreate, ItemUpdate


async def get(
    *, session: AsyncSession, owner_id: OwnerId, item_id: uuid.UUID
) -> Item | None:
    """Return the item if it exists and belongs to this owner."""
    return await session.scalar(
        select(Item).where(Item.id == item_id, Item.owner_id == owner_id)
    )


async def create(*, session: AsyncSession, owner_id: OwnerId, data: ItemCreate) -> Item:
    """Create an item owned by this caller."""
    item = Item(owner_id=owner_id, **data.model_dump())
    session.add(item)
{%- if cookiecutter.auth == "jwt" %}
    try:
        await session.flush()
    except IntegrityError as exc:
        # Access tokens are checked without a lookup: one can outlive its account.
        msg = "The account behind this token no longer exists."
        raise UnauthorizedError(msg) from exc
{%- else %}
    await session.flush()
{%- endif %}
    return item


async def update(
    *, session: AsyncSession, item: Item, data: ItemUpdate, expected_version: int | None
) -> Item:
    """Apply a partial update, refusing it if the item changed since `expected_version`."""
    # Read now: after a failed flush, touching the item would query a dead transaction.
    item_id = item.id
    if expected_version is not None and expected_version != item.version:
        msg = f"Item {item_id} is at version {item.version}, not {expected_version}."
        raise PreconditionFailedError(msg)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    try:
        await session.flush()
    except StaleDataError as exc:
        msg = f"Item {item_id} was changed or deleted meanwhile; fetch it again."
        raise PreconditionFailedError(msg) from exc
    return item


async def delete(
    *, session: AsyncSession, item: Item, expected_version: int | None
) -> None:
    """Delete an item, refusing if it changed since `expected_version`."""
    if expected_version is not None and expected_version != item.version:
        msg = f"Item {item.id} is at version {item.version}, not {expected_version}."
        raise PreconditionFailedError(msg)
    await session.delete(item)
    await session.flush()
