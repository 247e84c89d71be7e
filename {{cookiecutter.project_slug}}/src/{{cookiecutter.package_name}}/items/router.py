import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from ..auth.principal import Principal
from ..database import ReadOnlyDep, SessionDep
from ..idempotency import Idempotency, IdempotencyKey
from ..pagination import PageParams
from ..permissions import requires
from ..preconditions import IfMatch, etag, expected_version
from ..resources import created
from . import service
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])

# The caller, allowed to read or to change items (403 otherwise).
Reader = Annotated[Principal, Depends(requires("items:read"))]
Writer = Annotated[Principal, Depends(requires("items:write"))]


@router.get("")
async def list_items(caller: Reader, db: ReadOnlyDep, paging: PageParams) -> ItemPage:
    """List your items, newest first, one page at a time."""
    return await service.reads.page(db, params=paging, owner_id=caller.id)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead)
async def create_item(
    body: ItemCreate,
    request: Request,
    caller: Writer,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create an item; send an `Idempotency-Key` to make retries safe."""
    retry = Idempotency(session, owner_id=caller.id, key=idempotency_key, body=body)
    if replay := await retry.replay():
        return replay
    item = await service.create(session=session, owner_id=caller.id, data=body)
    return await retry.remember(created(request, ItemRead.model_validate(item)))


@router.get("/{item_id}")
async def read_item(
    item_id: uuid.UUID, caller: Reader, db: ReadOnlyDep, response: Response
) -> ItemRead:
    """Return one of your items with its `ETag`."""
    item = await service.reads.one(db, row_id=item_id, owner_id=caller.id)
    response.headers["ETag"] = etag(item.version)
    return item


@router.patch("/{item_id}", response_model=ItemRead)
async def update_item(
    item_id: uuid.UUID,
    body: ItemUpdate,
    caller: Writer,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Item:
    """Change some fields of an item; send `If-Match` to avoid lost updates."""
    item = await service.update(
        session=session,
        owner_id=caller.id,
        item_id=item_id,
        data=body,
        expected_version=expected_version(if_match),
    )
    response.headers["ETag"] = etag(item.version)
    return item


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(
    item_id: uuid.UUID, caller: Writer, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete one of your items; send `If-Match` to delete only what you last read."""
    await service.delete(
        session=session,
        owner_id=caller.id,
        item_id=item_id,
        expected_version=expected_version(if_match),
    )
