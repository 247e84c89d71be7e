"""The models' metadata (via env.py) and whether the migrations build it.

Drift needs a database: Alembic compares metadata with a reflected schema. The
honest offline answer is "not checked", said in a note. With
--scratch-database-url the migrations are applied to a throwaway database that
is dropped afterwards; with only --database-url the live database is compared,
and only when it is at the head revision (otherwise the difference would be
the pending migrations, not drift).
"""

import asyncio
import io
import uuid
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql.schema import MetaData

from . import live
from .catalog import finding
from .discovery import Request
from .engine import Result
from .model import Finding, ProjectError
from .project import load_project

OFFLINE_URL = "postgresql://offline-render/"


def load_target_metadata(request: Request) -> tuple[MetaData | None, str | None]:
    """env.py's target_metadata, by running env.py offline with nothing to do."""
    project = load_project(request)
    config = project.config
    if not config.get_main_option("sqlalchemy.url"):
        # env.py would otherwise ask the app's settings for DATABASE_URL.
        config.set_main_option("sqlalchemy.url", OFFLINE_URL)
    environment = EnvironmentContext(
        config,
        project.script_dir,
        fn=lambda _revision, _context: [],
        as_sql=True,
        output_buffer=io.StringIO(),
    )
    try:
        with environment:
            project.script_dir.run_env()
    except Exception as error:
        return None, f"env.py could not run offline ({type(error).__name__}: {error})"
    metadata = environment.context_opts.get("target_metadata")
    return (metadata if isinstance(metadata, MetaData) else None), None


def _asyncpg_url(url: str) -> Any:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def _describe_diff(diff: Any) -> str:
    """One autogenerate difference in words, from the models' side."""
    if isinstance(diff, list):
        return "; ".join(_describe_diff(item) for item in diff)
    kind = str(diff[0]) if isinstance(diff, tuple) and diff else str(diff)
    action, _, what = kind.partition("_")
    side = {
        "add": "in the models only",
        "remove": "in the database only",
        "modify": "differs",
    }.get(action, action)
    if what == "column":
        return f"column {diff[2]}.{diff[3].name} {side}"
    if action == "modify":
        return f"{what} of {diff[2]}.{diff[3]} {side}: database {diff[5]}, models {diff[6]}"
    target = diff[1] if len(diff) > 1 else None
    name = getattr(target, "name", None) or "(unnamed)"
    table = getattr(getattr(target, "table", None), "name", None)
    where = f" on {table}" if table and what != "table" else ""
    return f"{what} {name}{where} {side}"


def _drift(connection: Connection, metadata: MetaData) -> list[str]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [_describe_diff(diff) for diff in compare_metadata(context, metadata)]


async def _scratch_drift(
    server_url: str, config: Config, metadata: MetaData
) -> list[str]:
    server = _asyncpg_url(server_url)
    name = f"migration_safety_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_async_engine(server.set(database=name))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade, config)
                return await connection.run_sync(_drift, metadata)
        finally:
            await engine.dispose()
    finally:
        async with admin.connect() as connection:
            await connection.execute(
                text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        await admin.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    # env.py takes a connection from here ("Called from code that already holds one").
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def _live_drift(url: str, heads: set[str], metadata: MetaData) -> list[str] | str:
    engine = create_async_engine(_asyncpg_url(url))
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
            if current != heads:
                return (
                    f"drift not checked on --database-url: it is at "
                    f"{', '.join(sorted(current)) or 'no revision'}, the head is "
                    f"{', '.join(sorted(heads))}"
                )
            return await connection.run_sync(_drift, metadata)
    finally:
        await engine.dispose()


def database_checks(
    result: Result,
    request: Request,
    database_url: str | None,
    scratch_url: str | None,
) -> list[Finding]:
    findings: list[Finding] = []
    project = result.project
    metadata, note = load_target_metadata(request)
    heads = {rev.revision for rev in project.revisions} - {
        down for rev in project.revisions for down in rev.down_revisions
    }
    head = next((rev for rev in project.revisions if rev.revision in heads), None)
    if database_url:
        findings += live.check(result, database_url)
    if metadata is None:
        result.notes.append(
            f"model-drift not checked: {note or 'env.py has no target_metadata'}"
        )
        return findings
    differences: list[str] | str
    schema_source = "the schema the migrations build" if scratch_url else "the database"
    try:
        if scratch_url:
            config = load_project(request).config
            differences = asyncio.run(_scratch_drift(scratch_url, config, metadata))
        elif database_url:
            differences = asyncio.run(_live_drift(database_url, heads, metadata))
        else:
            return findings
    except (OSError, ProjectError) as error:
        raise ProjectError(f"cannot check model drift: {error}") from error
    if isinstance(differences, str):
        result.notes.append(differences)
    elif differences and head is not None:
        findings.append(
            finding(
                "model-drift",
                head.path,
                head.revision_line,
                revision=head.revision,
                diff="; ".join(differences),
                schema=schema_source,
            )
        )
    return findings
