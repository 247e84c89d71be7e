"""What every resource shares: its columns, the owner check, reads and writes.

A resource (each one `make resource` writes{% if cookiecutter.example_resource %}, items among them{% endif %}) is a model that
mixes in Resource (shared by every caller) or OwnedResource (each row its
creator's), a read model that extends ResourceRead, and a Reads for its hot GET
routes. The owner check lives here once: a row another owner holds is reported
as missing, so ids leak nothing.
"""

import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Any, Generic, TypeVar

import asyncpg
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import ColumnElement, Select, bindparam, select, true, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from .auth.principal import OwnerId, owner_id_column
from .database import ReadQuery
from .exceptions import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    ProblemError,
    UnauthorizedError,
    UnprocessableError,
)
from .models import CreatedAt, UpdatedAt
from .pagination import Page, Paging, decode_cursor, encode_cursor
from .preconditions import etag


class Resource:
    """The columns every resource row has: id, version and timestamps.

    `version` is SQLAlchemy's version counter: every UPDATE checks and bumps
    it, so a concurrent change fails (412) instead of being lost; it is also
    the resource's ETag.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column()
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # eager_defaults: server-side timestamps come back through RETURNING,
        # not a second SELECT after each INSERT or UPDATE.
        return {"version_id_col": cls.__table__.c.version, "eager_defaults": True}  # type: ignore[attr-defined]


class OwnedResource(Resource):
    """A resource whose rows belong to the caller that created them."""

    owner_id: Mapped[OwnerId] = owner_id_column()


class ResourceRead(BaseModel):
    """The fields every resource shows; a read model adds its own."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


Row = TypeVar("Row", bound=Resource)
Read = TypeVar("Read", bound=ResourceRead)
PageOf = TypeVar("PageOf", bound=Page[Any])


def created(request: Request, resource: ResourceRead) -> JSONResponse:
    """201 Created with the new resource, its `ETag` and its `Location`."""
    return JSONResponse(
        resource.model_dump(mode="json"),
        status_code=HTTPStatus.CREATED,
        headers={
            "ETag": etag(resource.version),
            # Relative (RFC 9110 allows it): nothing taken from the Host header,
            # and no reverse route lookup (~10% of this request's CPU in a profile).
            "Location": f"{request.url.path}/{resource.id}",
        },
    )


def _mine(model: type[Resource]) -> ColumnElement[bool]:
    """The owner check: the caller's rows only, when rows have owners."""
    if issubclass(model, OwnedResource):
        return model.owner_id == bindparam("owner_id")
    return true()


def _scope(model: type[Resource], owner_id: OwnerId | None) -> dict[str, Any]:
    """The owner parameter: required for owned rows, refused for shared ones."""
    owned = issubclass(model, OwnedResource)
    if owned != (owner_id is not None):
        verb = "needs" if owned else "takes no"
        msg = f"{model.__name__} {verb} owner_id."
        raise TypeError(msg)
    return {"owner_id": owner_id} if owned else {}


def not_found(model: type[Resource], row_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"{model.__name__} {row_id} does not exist.")


class Reads(Generic[Read, PageOf]):
    """The hot read path of a resource: one row, and pages newest first.

    Statements are derived from the read model (each of its fields is a column
    of the table) and compiled once; they run on asyncpg (see ReadQuery). Pass
    the caller's id as owner_id for an OwnedResource, nothing for a shared one.
    """

    def __init__(
        self, model: type[Resource], read: type[Read], page: type[PageOf]
    ) -> None:
        self._model = model
        self._page = page
        table = model.__table__  # type: ignore[attr-defined]
        columns: Select[Any] = select(*(table.c[name] for name in read.model_fields))
        newest_first = (model.created_at.desc(), model.id.desc())
        self._one = ReadQuery(
            columns.where(model.id == bindparam("row_id"), _mine(model))
        )
        self._first_page = ReadQuery(
            columns.where(_mine(model))
            .order_by(*newest_first)
            .limit(bindparam("limit"))
        )
        self._next_page = ReadQuery(
            columns.where(
                _mine(model),
                tuple_(model.created_at, model.id)
                < tuple_(bindparam("after_created_at"), bindparam("after_id")),
            )
            .order_by(*newest_first)
            .limit(bindparam("limit"))
        )
        self._read = TypeAdapter(read)
        self._rows = TypeAdapter(list[read])  # type: ignore[valid-type]

    async def one(
        self,
        db: AsyncEngine | AsyncSession,
        *,
        row_id: uuid.UUID,
        owner_id: OwnerId | None = None,
    ) -> Read:
        """The row with this id (the owner's, for owned rows); else a 404."""
        scope = _scope(self._model, owner_id)
        row = await self._one.fetch_one(db, row_id=row_id, **scope)
        if row is None:
            raise not_found(self._model, row_id)
        return self._read.validate_python(row)

    async def page(
        self,
        db: AsyncEngine | AsyncSession,
        *,
        params: Paging,
        owner_id: OwnerId | None = None,
    ) -> PageOf:
        """One page of rows (the owner's, for owned rows), newest first."""
        scope = _scope(self._model, owner_id)
        # One extra row tells whether another page exists, without a count query.
        limit = params.limit + 1
        if params.cursor is None:
            rows = await self._first_page.fetch(db, limit=limit, **scope)
        else:
            after_created_at, after_id = decode_cursor(params.cursor)
            rows = await self._next_page.fetch(
                db,
                after_created_at=after_created_at,
                after_id=after_id,
                limit=limit,
                **scope,
            )
        # One validation call for the whole page is cheaper than one per row.
        items: list[Read] = self._rows.validate_python(rows)
        if len(items) <= params.limit:
            return self._page(items=items, next_cursor=None)
        last = items[params.limit - 1]
        return self._page(
            items=items[: params.limit],
            next_cursor=encode_cursor(last.created_at, last.id),
        )


async def get_for_update(
    session: AsyncSession,
    model: type[Row],
    *,
    row_id: uuid.UUID,
    owner_id: OwnerId | None = None,
) -> Row:
    """The row (the owner's, for owned rows), loaded into the session to change it."""
    scope = _scope(model, owner_id)
    row = await session.scalar(
        select(model).where(model.id == bindparam("row_id"), _mine(model)),
        {"row_id": row_id, **scope},
    )
    if row is None:
        raise not_found(model, row_id)
    return row


async def require(
    session: AsyncSession,
    model: type[Resource],
    *,
    row_id: uuid.UUID,
    owner_id: OwnerId | None = None,
    field: str,
) -> None:
    """A reference in a request must name a row the caller may use (else 422)."""
    scope = _scope(model, owner_id)
    found = await session.scalar(
        select(model.id).where(model.id == bindparam("row_id"), _mine(model)),
        {"row_id": row_id, **scope},
    )
    if found is None:
        msg = f"{field}: {model.__name__} {row_id} does not exist."
        raise UnprocessableError(msg)


async def add(session: AsyncSession, row: Resource) -> None:
    """Insert a new row; a broken constraint is the client's error, by name."""
    session.add(row)
    await _flush(session, row)


async def update(
    session: AsyncSession,
    row: Resource,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
) -> None:
    """Apply changes, refusing them if the row changed since `expected_version`."""
    _check_version(row, expected_version)
    for field, value in changes.items():
        setattr(row, field, value)
    await _flush(session, row)


async def delete(
    session: AsyncSession, row: Resource, *, expected_version: int | None
) -> None:
    """Delete a row, refusing if it changed since `expected_version`."""
    _check_version(row, expected_version)
    await session.delete(row)
    await _flush(session, row)


def _check_version(row: Resource, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        name = type(row).__name__
        msg = f"{name} {row.id} is at version {row.version}, not {expected}."
        raise PreconditionFailedError(msg)


async def _flush(session: AsyncSession, row: Resource) -> None:
    # Read now: after a failed flush, touching the row would query a dead transaction.
    model, row_id = type(row), row.id
    try:
        await session.flush()
    except StaleDataError as exc:
        msg = f"{model.__name__} {row_id} was changed or deleted meanwhile; fetch it again."
        raise PreconditionFailedError(msg) from exc
    except IntegrityError as exc:
        if problem := constraint_problem(model, row_id, exc):
            raise problem from exc
        raise


def constraint_problem(
    model: type[Resource], row_id: uuid.UUID, exc: IntegrityError
) -> ProblemError | None:
    """What a broken constraint means to the client, found by the constraint's name."""
    error = exc.orig.__cause__ if exc.orig is not None else None
    name = getattr(error, "constraint_name", None)
    tables = model.metadata.tables.values()  # type: ignore[attr-defined]
    found = [(t, c) for t in tables for c in t.constraints if c.name == name]
    if not found:
        return None
    table, constraint = found[0]
    columns = ", ".join(c.name for c in constraint.columns if c.name != "owner_id")
    if isinstance(error, asyncpg.UniqueViolationError):
        return ConflictError(f"Another {model.__name__} has this {columns}.")
    if isinstance(error, asyncpg.CheckViolationError):
        return UnprocessableError(f"The values break the rule {name}.")
    if not isinstance(error, asyncpg.ForeignKeyViolationError):
        return None
    if table is not model.__table__:  # type: ignore[attr-defined]
        msg = f"{model.__name__} {row_id} is still referenced by {table.name}."
        return ConflictError(msg)
    if not columns:
        # The owner was checked when the request began; the account went meanwhile.
        return UnauthorizedError("The account behind this token no longer exists.")
    return UnprocessableError(f"{columns} does not name an existing resource.")
