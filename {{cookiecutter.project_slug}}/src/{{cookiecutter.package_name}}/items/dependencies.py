import uuid
from typing import Annotated

from fastapi import Depends

from ..auth.dependencies import CurrentUser
from ..database import SessionDep
from ..exceptions import NotFoundError
from . import service
from .models import Item


async def get_owned_item(
    item_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Item:
    # Another owner's item is reported as missing, so ids leak nothing.
    item = await service.get(session=session, owner_id=user.id, item_id=item_id)
    if item is None:
        msg = f"Item {item_id} does not exist."
        raise NotFoundError(msg)
    return item


ItemDep = Annotated[Item, Depends(get_owned_item)]
