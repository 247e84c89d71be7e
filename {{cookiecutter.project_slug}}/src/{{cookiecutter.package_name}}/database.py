"""The engine (one pool), per-request session, read queries and the declarative base."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, Select, make_url
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from .config import Settings

# Explicit constraint names keep Alembic autogenerate and downgrades deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # Errors and logs never carry the statement's values (e-mails, hashes).
        hide_parameters=True,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open one session per request: commit on success, roll back on any error."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
        await session.commit()


# SQLAlchemy's dialect classes are untyped; the Dialect interface they implement is.
_ASYNCPG: Dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]

# Options SQLAlchemy's asyncpg adapter reads from the URL for itself.
_ADAPTER_OPTIONS = (
    "async_creator_fn",
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
)


def connect_options(database_url: str) -> dict[str, Any]:
    """asyncpg.connect() arguments for DATABASE_URL, as SQLAlchemy reads the URL."""
    _, options = _ASYNCPG.create_connect_args(make_url(database_url))
    for name in _ADAPTER_OPTIONS:
        options.pop(name, None)
    return dict(options)


# What asyncpg raises when the connection itself, not the statement, failed.
_BROKEN_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """asyncpg's own connection, from the engine's pool, in autocommit.

    The hot path: no SQLAlchemy execution around the query. The connection goes
    back to the pool on exit; one that failed as a connection (closed by the
    server, or left mid-operation) is discarded, not reused.
    """
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = cast("asyncpg.Connection", raw.driver_connection)
        try:
            yield driver
        except BaseException as exc:
            if driver.is_closed() or isinstance(exc, _BROKEN_CONNECTION):
                await connection.invalidate()
            raise


class ReadQuery:
    """A Core SELECT compiled once from the read model, then run by asyncpg itself.

    Reads are the hot path. Run through SQLAlchemy's execution, the item list's
    query cost about 130 µs more CPU per request than on asyncpg directly
    (measured): execution context, result processing and greenlet switches. So
    SQLAlchemy builds the statement once and asyncpg runs it.

    Where it runs is the caller's choice, and the route checks make it safe:
    given the engine (ReadOnlyDep, GET routes only) it runs in autocommit on a
    pooled connection; given the request's session it runs inside that
    session's transaction, so a read that feeds a write sees what the write
    will change.

    Parameters reach asyncpg as they are (uuid.UUID, datetime, int, str...),
    and values come back as asyncpg decodes them: json and jsonb arrive as str,
    so a read model declares such a field as `pydantic.Json[...]`.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        compiled = statement.compile(dialect=_ASYNCPG)
        if compiled.post_compile_params:
            msg = (
                "ReadQuery cannot run a statement SQLAlchemy expands at execution "
                "time, such as `column.in_(...)`: write `column == any_(bindparam(...))`."
            )
            raise ValueError(msg)
        self.sql = str(compiled)
        # Bound parameter names in the order of $1, $2...
        self._parameters = tuple(compiled.positiontup or ())
        binds = {name: compiled.binds[name] for name in self._parameters}
        # ...those the caller passes, and the values the statement carries itself.
        self._names = frozenset(name for name, bind in binds.items() if bind.required)
        self._constants = {
            name: bind.effective_value
            for name, bind in binds.items()
            if not bind.required
        }

    async def fetch(
        self, db: AsyncEngine | AsyncSession, **params: Any
    ) -> list[dict[str, Any]]:
        """All rows, as dicts (pydantic validates a dict fastest)."""
        arguments = self._arguments(params)
        if isinstance(db, AsyncSession):
            connection = await db.connection()
            result = await connection.exec_driver_sql(self.sql, tuple(arguments))
            return [dict(row._mapping) for row in result]
        async with driver_connection(db) as driver:
            records = await driver.fetch(self.sql, *arguments)
        return [dict(record) for record in records]

    async def fetch_one(
        self, db: AsyncEngine | AsyncSession, **params: Any
    ) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        arguments = self._arguments(params)
        if isinstance(db, AsyncSession):
            connection = await db.connection()
            result = await connection.exec_driver_sql(self.sql, tuple(arguments))
            row = result.first()
            return None if row is None else dict(row._mapping)
        async with driver_connection(db) as driver:
            record = await driver.fetchrow(self.sql, *arguments)
        return None if record is None else dict(record)

    def _arguments(self, params: dict[str, Any]) -> list[Any]:
        if params.keys() != self._names:
            msg = f"Expected parameters {sorted(self._names)}, got {sorted(params)}."
            raise TypeError(msg)
        if self._constants:
            params = self._constants | params
        return [params[name] for name in self._parameters]


async def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


# One pool per process (the engine's), used two ways:
# - SessionDep: the request's unit of work, one transaction. Writes go through
#   it, and so does every read in a route that writes (POST, PUT, PATCH,
#   DELETE), so what it reads is what its write changes. It commits with
#   scope="function": before the response is sent, so a client never sees
#   success for a transaction that then fails.
# - ReadOnlyDep: for GET routes that only read, ReadQuery statements each in
#   autocommit, holding a connection only while the query runs.
# check_routes() refuses, at start-up, a route that would mix them up.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadOnlyDep = Annotated[AsyncEngine, Depends(get_engine)]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_routes(app: FastAPI) -> None:
    """Refuse routes whose reads could run outside their own transaction.

    A route that writes must read through its session (a balance checked on
    one connection and debited on another is a race), and no route holds both
    a session and a second connection of the same pool (under load, requests
    holding one connection while waiting for another exhaust the pool).
    """
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        calls = set(_dependency_calls(route.dependant))
        if get_engine not in calls:
            continue
        if unsafe := sorted((route.methods or set()) - SAFE_METHODS):
            msg = (
                f"{'/'.join(unsafe)} {route.path} takes ReadOnlyDep: a route that "
                "writes reads through its SessionDep, inside its transaction."
            )
            raise RuntimeError(msg)
        if get_session in calls:
            msg = (
                f"{route.path} takes both ReadOnlyDep and SessionDep: read through "
                "the session, so the request holds one connection."
            )
            raise RuntimeError(msg)


def _dependency_calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)
