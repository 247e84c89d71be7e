from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from .. import idempotency
from ..database import ReadPoolDep, SessionDep
from ..exceptions import BadRequestError
from ..pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from . import queries, service
from .dependencies import ItemDep, ItemForUpdateDep, Reader, Writer
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retries with the same key and body return the first response.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag of the item you last read."),
]


def etag(item: Item | ItemRead) -> str:
    return f'"{item.version}"'


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        msg = f"If-Match must be an ETag returned by this API, got {value!r}."
        raise BadRequestError(msg) from exc


@router.get("")
async def list_items(
    caller: Reader,
    pool: ReadPoolDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ItemPage:
    """List your items, newest first, one page at a time."""
    return await queries.list_page(
        pool=pool, owner_id=caller.id, limit=limit, cursor=cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead)
async def create_item(
    body: ItemCreate,
    request: Request,
    caller: Writer,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create an item; send an `Idempotency-Key` to make retries safe."""
    request_hash = idempotency.fingerprint(body.model_dump_json().encode())
    if idempotency_key is not None:
        replay = await idempotency.find_replay(
            session=session,
            owner_id=caller.id,
            key=idempotency_key,
            request_hash=request_hash,
        )
        if replay is not None:
            return JSONResponse(
                replay.response_body,
                status_code=replay.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
    item = await service.create(session=session, owner_id=caller.id, data=body)
    content = ItemRead.model_validate(item).model_dump(mode="json")
    if idempotency_key is not None:
        await idempotency.remember(
            session=session,
            owner_id=caller.id,
            key=idempotency_key,
            request_hash=request_hash,
            status_code=status.HTTP_201_CREATED,
            response_body=content,
        )
    return JSONResponse(
        content,
        status_code=status.HTTP_201_CREATED,
        headers={
            "ETag": etag(item),
            # Relative (RFC 9110 allows it): nothing taken from the Host header,
            # and no reverse route lookup (~10% of this request's CPU in a profile).
            "Location": f"{request.url.path}/{item.id}",
        },
    )


@router.get("/{item_id}")
async def read_item(item: ItemDep, response: Response) -> ItemRead:
    """Return one of your items with its `ETag`."""
    response.headers["ETag"] = etag(item)
    return item


@router.patch("/{item_id}", response_model=ItemRead)
async def update_item(
    item: ItemForUpdateDep,
    body: ItemUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Item:
    """Change some fields of an item; send `If-Match` to avoid lost updates."""
    updated = await service.update(
        session=session,
        item=item,
        data=body,
        expected_version=parse_if_match(if_match),
    )
    response.headers["ETag"] = etag(updated)
    return updated


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(
    item: ItemForUpdateDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete one of your items; send `If-Match` to delete only what you last read."""
    await service.delete(
        session=session, item=item, expected_version=parse_if_match(if_match)
    )
