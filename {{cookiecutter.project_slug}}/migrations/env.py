"""Alembic environment: async engine, app settings, every model's metadata."""

import asyncio
from logging.config import fileConfig

from alembic import context
from pydantic import ValidationError
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.config import explain, get_settings
from {{ cookiecutter.package_name }}.models_registry import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    # Tests and tools may pass a URL; otherwise the app's own setting is used.
    if url := config.get_main_option("sqlalchemy.url"):
        return url
    try:
        return get_settings().database_url
    except ValidationError as error:
        raise SystemExit(explain(error)) from None


def run_migrations() -> None:
    with context.begin_transaction():
        # A migration waiting for a lock queues every query on that table behind
        # it: give up after a few seconds instead, and retry the deploy. A
        # revision that needs longer sets its own.
        context.execute("SET lock_timeout = '5s'")
        context.run_migrations()


def run_migrations_offline() -> None:
    """Render SQL without a database (`alembic upgrade --sql`)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, compare_type=True
    )
    run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    # Called from code that already holds a connection (tests, tools).
    do_run_migrations(connection)
else:
    asyncio.run(run_migrations_online())
