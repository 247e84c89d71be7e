import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    String,
    Table,
    Uuid,
    any_,
    bindparam,
    literal,
    make_url,
    select,
)

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.database import ReadQuery, create_read_pool

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

    rows = await query.fetch(app.state.read_pool, word="hello", flag=True)
    none = await query.fetch_one(app.state.read_pool, word="hello", flag=False)

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
        await query.fetch(app.state.read_pool, **params)


async def test_read_pool_reads_database_url_like_the_engine(settings: Settings) -> None:
    # `?ssl=` is SQLAlchemy's spelling: given to asyncpg as a DSN, it would reach
    # the server as a setting and fail.
    url = make_url(settings.database_url).update_query_dict({"ssl": "disable"})
    with_ssl = settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    pool = await create_read_pool(with_ssl)
    try:
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
