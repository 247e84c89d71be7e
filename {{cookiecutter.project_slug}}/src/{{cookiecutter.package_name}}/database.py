"""Database engine, per-request session and the declarative base."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open one session per request: commit on success, roll back on any error."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session
        await session.commit()


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit for queries that only read.

    Reads skip the ORM and the transaction: Core statements built once, no
    BEGIN/COMMIT round trips. Measured on the item list, that is 2-3x less CPU
    per request than a session loading ORM objects.
    """
    engine: AsyncEngine = request.app.state.read_engine
    async with engine.connect() as connection:
        yield connection


# Writes go through the ORM unit of work, one transaction per request; reads
# through Core queries returning read models (each domain's queries.py). Both
# close with scope="function": the commit happens (and the connection goes back)
# before the response is sent, so a client never sees success for a transaction
# that then fails.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadConnectionDep = Annotated[
    AsyncConnection, Depends(get_read_connection, scope="function")
]
