"""The migrations are the only way the schema is made: keep them sound."""

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.package_name }}.models_registry import Base

from tests.conftest import alembic_config, downgrade, upgrade
from tests.database import create_database, drop_database


@pytest.fixture
async def empty_database(server_url: URL) -> AsyncIterator[AsyncEngine]:
    url = await create_database(server_url, "test_migrations")
    engine = create_async_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(server_url, url)


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def test_history_has_a_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()

    assert len(heads) == 1, f"merge the heads: {heads}"


async def test_upgrade_downgrade_upgrade_round_trip(
    empty_database: AsyncEngine,
) -> None:
    async with empty_database.begin() as connection:
        await connection.run_sync(upgrade)
        assert await connection.run_sync(table_names) == set(Base.metadata.tables)

        await connection.run_sync(downgrade, "base")
        assert await connection.run_sync(table_names) == set()

        await connection.run_sync(upgrade)
        assert await connection.run_sync(table_names) == set(Base.metadata.tables)


async def test_every_revision_downgrades_cleanly(empty_database: AsyncEngine) -> None:
    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    async with empty_database.begin() as connection:
        for revision in reversed(revisions):
            await connection.run_sync(upgrade, revision.revision)
            await connection.run_sync(downgrade, "-1")
            await connection.run_sync(upgrade, revision.revision)


async def test_models_match_the_migrations(empty_database: AsyncEngine) -> None:
    async with empty_database.begin() as connection:
        await connection.run_sync(upgrade)
        differences = await connection.run_sync(drift)

    assert differences == [], "run `make migration` to capture the model changes"
