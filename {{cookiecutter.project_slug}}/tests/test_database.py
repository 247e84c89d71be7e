import asyncio
import uuid
from typing import Annotated

import asyncpg
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    String,
    Table,
    Uuid,
    any_,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.database import (
    ReadOnlyDep,
    ReadQuery,
    SessionDep,
    check_routes,
    connect_options,
    create_engine,
)

# Statements are compiled, and checked, without the table existing.
accounts = Table(
    "accounts",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("email", String(320)),
)


def test_read_query_compiles_to_asyncpg_placeholders() -> None:
    query = ReadQuery(
        select(accounts.c.id).where(
            (accounts.c.id == bindparam("user_id"))
            | (accounts.c.email == bindparam("email")),
            accounts.c.id != bindparam("user_id"),
        )
    )

    assert "$1" in query.sql
    assert "$2" in query.sql
    assert "$3" not in query.sql  # a name used twice is one parameter


def test_read_query_refuses_what_asyncpg_cannot_prepare() -> None:
    with pytest.raises(ValueError, match="any_"):
        ReadQuery(select(accounts.c.id).where(accounts.c.id.in_([uuid.uuid4()])))

    query = ReadQuery(
        select(accounts.c.id).where(accounts.c.id == any_(bindparam("ids")))
    )
    assert "ANY ($1" in query.sql


async def test_read_query_returns_rows_as_dicts(app: FastAPI) -> None:
    query = ReadQuery(
        select(
            literal(1).label("number"), bindparam("word", type_=String).label("word")
        ).where(bindparam("flag", type_=Boolean))
    )

    rows = await query.fetch(app.state.engine, word="hello", flag=True)
    none = await query.fetch_one(app.state.engine, word="hello", flag=False)

    assert rows == [{"number": 1, "word": "hello"}]
    assert none is None


@pytest.mark.parametrize(
    "params",
    [{}, {"user_id": uuid.uuid4(), "extra": 1}, {"wrong": uuid.uuid4()}],
    ids=["missing", "extra", "misspelt"],
)
async def test_read_query_refuses_wrong_parameter_names(
    app: FastAPI, params: dict[str, object]
) -> None:
    query = ReadQuery(
        select(accounts.c.id).where(accounts.c.id == bindparam("user_id"))
    )

    with pytest.raises(TypeError, match=r"Expected parameters \['user_id'\]"):
        await query.fetch(app.state.engine, **params)


TRANSACTION = ReadQuery(select(func.txid_current().label("id")))


async def test_a_read_through_the_session_runs_in_its_transaction(app: FastAPI) -> None:
    """Read first, write after (a balance, then a debit): one transaction."""
    async with app.state.sessionmaker() as session:
        read = await TRANSACTION.fetch_one(session)
        written = await session.scalar(select(func.txid_current()))
        outside = await TRANSACTION.fetch_one(app.state.engine)

    assert read == {"id": written}
    assert outside is not None
    assert outside["id"] != written


# However the client learns that the server closed the connection.
BROKEN = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


async def gone(admin: asyncpg.Connection, pid: int) -> None:
    """Wait until the server process behind a connection has exited."""
    for _ in range(100):
        if not await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return
        await asyncio.sleep(0.05)
    msg = f"backend {pid} still runs"
    raise AssertionError(msg)


async def test_a_connection_the_server_closed_is_not_reused(settings: Settings) -> None:
    backend = ReadQuery(select(func.pg_backend_pid().label("pid")))
    engine = create_engine(settings.model_copy(update={"db_pool_size": 1}))
    admin = await asyncpg.connect(**connect_options(settings.database_url))
    try:
        first = await backend.fetch_one(engine)
        assert first is not None
        await admin.execute("SELECT pg_terminate_backend($1)", first["pid"])
        await gone(admin, first["pid"])

        with pytest.raises(BROKEN):
            await backend.fetch_one(engine)
        after = await backend.fetch_one(engine)
    finally:
        await admin.close()
        await engine.dispose()

    assert after is not None
    assert after["pid"] != first["pid"]


async def read_only_helper(db: ReadOnlyDep) -> AsyncEngine:
    return db


def test_a_route_that_writes_cannot_read_outside_its_transaction() -> None:
    app = FastAPI()

    @app.post("/debit")
    async def debit(
        db: Annotated[AsyncEngine, Depends(read_only_helper)],
    ) -> None: ...

    with pytest.raises(RuntimeError, match="POST /debit takes ReadOnlyDep"):
        check_routes(app)


def test_a_route_cannot_hold_a_session_and_a_second_connection() -> None:
    app = FastAPI()

    @app.get("/balance")
    async def balance(session: SessionDep, db: ReadOnlyDep) -> None: ...

    with pytest.raises(RuntimeError, match="/balance takes both"):
        check_routes(app)


def test_routes_that_keep_to_one_connection_pass() -> None:
    app = FastAPI()

    @app.get("/balance")
    async def balance(db: ReadOnlyDep) -> None: ...

    @app.post("/debit")
    async def debit(session: SessionDep) -> None: ...

    check_routes(app)
