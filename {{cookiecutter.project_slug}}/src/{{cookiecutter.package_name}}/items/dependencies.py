import uuid
from typing import Annotated

from fastapi import Depends

from ..auth.principal import Principal
from ..database import ReadPoolDep, SessionDep
from ..exceptions import NotFoundError
from ..permissions import requires
from . import queries, service
from .models import Item
from .schemas import ItemRead

# The caller, allowed to read or to change items (403 otherwise).
Reader = Annotated[Principal, Depends(requires("items:read"))]
Writer = Annotated[Principal, Depends(requires("items:write"))]


async def get_owned_item_for_update(
    item_id: uuid.UUID, caller: Writer, session: SessionDep
) -> Item:
    item = await service.get(session=session, owner_id=caller.id, item_id=item_id)
    if item is None:
        raise _not_found(item_id)
    return item


async def get_owned_item(
    item_id: uuid.UUID, caller: Reader, pool: ReadPoolDep
) -> ItemRead:
    item = await queries.get(pool=pool, owner_id=caller.id, item_id=item_id)
    if item is None:
        raise _not_found(item_id)
    return item


def _not_found(item_id: uuid.UUID) -> NotFoundError:
    # Another owner's item is reported as missing, so ids leak nothing.
    return NotFoundError(f"Item {item_id} does not exist.")


# An item to change, loaded into the session; and one to show, read with ReadQuery.
ItemForUpdateDep = Annotated[Item, Depends(get_owned_item_for_update)]
ItemDep = Annotated[ItemRead, Depends(get_owned_item)]
