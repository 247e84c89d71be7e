"""Database engine, per-request session, read queries and the declarative base."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
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


async def create_read_pool(settings: Settings) -> asyncpg.Pool:
    """asyncpg's own pool for ReadQuery; connections run in autocommit.

    DATABASE_URL is translated the way SQLAlchemy does it for the engine, so both
    pools connect alike (`?ssl=require`, several hosts...). Connections open on
    demand, like the engine's, so the service starts (and its readiness probe
    reports) while the database is down.
    """
    return await asyncpg.create_pool(
        min_size=0,
        max_size=settings.db_read_pool_size,
        **connect_options(settings.database_url),
    )


def connect_options(database_url: str) -> dict[str, Any]:
    """asyncpg.connect() arguments for DATABASE_URL, as SQLAlchemy reads the URL."""
    _, options = _ASYNCPG.create_connect_args(make_url(database_url))
    for name in _ADAPTER_OPTIONS:
        options.pop(name, None)
    return dict(options)


class ReadQuery:
    """A Core SELECT compiled once, then run by asyncpg itself, outside a transaction.

    Reads are the hot path. Run through SQLAlchemy's AsyncConnection, the item
    list's query cost about 130 µs more CPU per request than on asyncpg's pool
    (measured): connection checkout events, execution context, result processing
    and greenlet switches. So reads use SQLAlchemy to build the statement and
    asyncpg to run it. Parameters reach asyncpg as they are (uuid.UUID, datetime,
    int, str...), and values come back as asyncpg decodes them: json and jsonb
    arrive as str, so a read model declares such a field as `pydantic.Json[...]`.
    A column type that needs SQLAlchemy to convert its values belongs in a
    session query instead.
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

    async def fetch(self, pool: asyncpg.Pool, **params: Any) -> list[dict[str, Any]]:
        """All rows, as dicts (pydantic validates a dict fastest)."""
        records = await pool.fetch(self.sql, *self._arguments(params))
        return [dict(record) for record in records]

    async def fetch_one(
        self, pool: asyncpg.Pool, **params: Any
    ) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        record = await pool.fetchrow(self.sql, *self._arguments(params))
        return None if record is None else dict(record)

    def _arguments(self, params: dict[str, Any]) -> list[Any]:
        if params.keys() != self._names:
            msg = f"Expected parameters {sorted(self._names)}, got {sorted(params)}."
            raise TypeError(msg)
        if self._constants:
            params = self._constants | params
        return [params[name] for name in self._parameters]


async def get_read_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.read_pool
    return pool


# Writes go through the ORM unit of work, one transaction per request; it closes
# with scope="function": the commit happens (and the connection goes back)
# before the response is sent, so a client never sees success for a transaction
# that then fails. Reads run ReadQuery statements (each domain's queries.py) on
# the read pool, holding a connection only while the query runs.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadPoolDep = Annotated[asyncpg.Pool, Depends(get_read_pool)]
