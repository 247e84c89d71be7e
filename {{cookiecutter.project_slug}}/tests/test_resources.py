"""The shared resource modules, through a resource of the tests' own.

This service has no example resource yet: the modules `make resource` builds on
are checked here with a small shared resource, `widgets`, whose table the tests
create and drop themselves.
"""

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from httpx import AsyncClient
from pydantic import AfterValidator, Field
from sqlalchemy import MetaData, Numeric, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from {{ cookiecutter.package_name }} import resources
from {{ cookiecutter.package_name }}.auth.principal import Principal
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.database import (
    NAMING_CONVENTION,
    ReadOnlyDep,
    SessionDep,
)
from {{ cookiecutter.package_name }}.idempotency import (
    Idempotency,
    IdempotencyKey,
)
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.pagination import Page, PageParams
from {{ cookiecutter.package_name }}.permissions import requires
from {{ cookiecutter.package_name }}.preconditions import (
    IfMatch,
    etag,
    expected_version,
)
from {{ cookiecutter.package_name }}.schemas import (
    Line,
    RequestModel,
    not_null,
    scaled,
)

from tests.conftest import serving


class WidgetBase(DeclarativeBase):
    """Apart from the service's models: the migrations know nothing of widgets."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Widget(resources.Resource, WidgetBase):
    __tablename__ = "widgets"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))


Price = Annotated[
    Decimal, Field(max_digits=10, decimal_places=2), AfterValidator(scaled(2))
]


class WidgetCreate(RequestModel):
    name: Line = Field(min_length=1, max_length=50)
    price: Price


class WidgetUpdate(RequestModel):
    name: Line | None = Field(default=None, min_length=1, max_length=50)
    price: Price | None = None

    _required = not_null("name", "price")


class WidgetRead(resources.ResourceRead):
    name: str
    price: Decimal


class WidgetPage(Page[WidgetRead]):
    pass


reads = resources.Reads(Widget, WidgetRead, WidgetPage)
router = APIRouter(prefix="/api/v1/widgets")
Reader = Annotated[Principal, Depends(requires("widgets:read"))]
Writer = Annotated[Principal, Depends(requires("widgets:write"))]


@router.get("")
async def list_widgets(_: Reader, db: ReadOnlyDep, paging: PageParams) -> WidgetPage:
    return await reads.page(db, params=paging)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WidgetRead)
async def create_widget(
    body: WidgetCreate,
    request: Request,
    caller: Writer,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    retry = Idempotency(session, owner_id=caller.id, key=idempotency_key, body=body)
    if replay := await retry.replay():
        return replay
    widget = Widget(**body.model_dump())
    await resources.add(session, widget)
    return await retry.remember(
        resources.created(request, WidgetRead.model_validate(widget))
    )


@router.get("/{widget_id}")
async def read_widget(
    widget_id: uuid.UUID, _: Reader, db: ReadOnlyDep, response: Response
) -> WidgetRead:
    widget = await reads.one(db, row_id=widget_id)
    response.headers["ETag"] = etag(widget.version)
    return widget


@router.patch("/{widget_id}", response_model=WidgetRead)
async def update_widget(
    widget_id: uuid.UUID,
    body: WidgetUpdate,
    _: Writer,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Widget:
    widget = await resources.get_for_update(session, Widget, row_id=widget_id)
    await resources.update(
        session,
        widget,
        body.model_dump(exclude_unset=True),
        expected_version=expected_version(if_match),
    )
    return widget


@router.delete("/{widget_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_widget(
    widget_id: uuid.UUID, _: Writer, session: SessionDep, if_match: IfMatch = None
) -> None:
    widget = await resources.get_for_update(session, Widget, row_id=widget_id)
    await resources.delete(session, widget, expected_version=expected_version(if_match))


WIDGETS = "/api/v1/widgets"


@pytest.fixture
async def widgets(settings: Settings) -> AsyncIterator[AsyncClient]:
    """A client of an app that also serves widgets, on a widgets table of its own."""
    app = create_app(settings)
    app.include_router(router)
    async with serving(app) as client:
        async with app.state.engine.begin() as connection:
            await connection.run_sync(WidgetBase.metadata.create_all)
        try:
            yield client
        finally:
            async with app.state.engine.begin() as connection:
                await connection.execute(text("DROP TABLE widgets"))


async def create_widget_via(
    client: AsyncClient, headers: dict[str, str], name: str = "bolt"
) -> dict[str, Any]:
    body = {"name": name, "price": "1.5"}
    response = await client.post(WIDGETS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    widget: dict[str, Any] = response.json()
    return widget


async def test_a_resource_is_created_read_changed_and_deleted(
    widgets: AsyncClient, auth_headers: dict[str, str]
) -> None:
    widget = await create_widget_via(widgets, auth_headers)
    url = f"{WIDGETS}/{widget['id']}"

    read = await widgets.get(url, headers=auth_headers)
    changed = await widgets.patch(
        url, json={"price": "2"}, headers=auth_headers | {"If-Match": '"1"'}
    )
    stale = await widgets.delete(url, headers=auth_headers | {"If-Match": '"1"'})
    deleted = await widgets.delete(url, headers=auth_headers | {"If-Match": '"2"'})
    gone = await widgets.get(url, headers=auth_headers)

    assert widget["price"] == "1.50"  # as the column keeps it
    assert read.json() == widget
    assert read.headers["etag"] == '"1"'
    assert changed.json()["price"] == "2.00"
    assert stale.status_code == 412
    assert deleted.status_code == 204
    assert gone.status_code == 404


async def test_pages_hold_every_row_once_newest_first(
    widgets: AsyncClient, auth_headers: dict[str, str]
) -> None:
    created = [
        await create_widget_via(widgets, auth_headers, f"w{n}") for n in range(3)
    ]

    first = WidgetPage.model_validate(
        (await widgets.get(WIDGETS, params={"limit": 2}, headers=auth_headers)).json()
    )
    rest = WidgetPage.model_validate(
        (
            await widgets.get(
                WIDGETS,
                params={"limit": 2, "cursor": first.next_cursor},
                headers=auth_headers,
            )
        ).json()
    )

    names = [row.name for row in first.items + rest.items]
    assert names == [row["name"] for row in reversed(created)]
    assert rest.next_cursor is None


async def test_a_forged_cursor_is_a_400(
    widgets: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await widgets.get(WIDGETS, params={"cursor": "!!"}, headers=auth_headers)

    assert response.status_code == 400


async def test_a_retry_with_the_same_key_replays_and_another_body_is_refused(
    widgets: AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers | {"Idempotency-Key": "order-1"}
    body = {"name": "bolt", "price": "1.50"}

    first = await widgets.post(WIDGETS, json=body, headers=headers)
    retry = await widgets.post(WIDGETS, json=body, headers=headers)
    other = await widgets.post(WIDGETS, json=body | {"name": "nut"}, headers=headers)

    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422


async def test_a_duplicate_is_a_409_and_a_null_required_field_a_422(
    widgets: AsyncClient, auth_headers: dict[str, str]
) -> None:
    widget = await create_widget_via(widgets, auth_headers)

    duplicate = await widgets.post(
        WIDGETS, json={"name": "bolt", "price": "1"}, headers=auth_headers
    )
    nulled = await widgets.patch(
        f"{WIDGETS}/{widget['id']}", json={"name": None}, headers=auth_headers
    )
    malformed = await widgets.patch(
        f"{WIDGETS}/{widget['id']}",
        json={"name": "nut"},
        headers=auth_headers | {"If-Match": "yesterday"},
    )

    assert duplicate.status_code == 409
    assert nulled.status_code == 422
    assert malformed.status_code == 400


async def test_owned_and_shared_rows_take_the_owner_as_they_must() -> None:
    with pytest.raises(TypeError, match="Widget takes no owner_id"):
        await reads.one(None, row_id=uuid.uuid4(), owner_id="someone")  # type: ignore[arg-type]
