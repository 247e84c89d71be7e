"""--database-url: what the live schema says about risk and health.

Read-only catalog queries through SQLAlchemy's asyncpg driver (both already
dependencies of the service):
table sizes grade each migration finding's lock risk; the rest are findings of
their own, placed at the revision line that created the table.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from .catalog import finding
from .engine import Result
from .model import Finding, ProjectError
from .squawk import LOCK_RULES

LARGE_ROWS, LARGE_BYTES = 100_000, 1 << 30
MEDIUM_ROWS, MEDIUM_BYTES = 10_000, 100 << 20
UNUSED_INDEX_MIN_BYTES = 1 << 20
OVERFLOW_WARNING, OVERFLOW_ERROR = 50, 80
INTEGER_MAX = {"smallint": 32_767, "integer": 2_147_483_647}
# A lock held while a big table is scanned or rewritten: the size decides the outage.
GRADED_RULES = LOCK_RULES | {
    "missing-lock-timeout",
    "backfill-in-ddl-transaction",
    "index-after-alter-in-transaction",
    "unsafe-type-change",
    "changing-column-type",
}

TABLES = """
SELECT c.relname AS name,
       greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint AS rows,
       c.reltuples < 0 AND coalesce(s.n_live_tup, 0) = 0 AS unknown,
       pg_total_relation_size(c.oid) AS bytes,
       EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p') AS has_pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
"""
FOREIGN_KEYS = """
SELECT c.conname AS name, t.relname AS table, r.relname AS referenced,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = c.conrelid
      AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)]
          @> c.conkey
      AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)]
          <@ c.conkey
  )
GROUP BY c.conname, t.relname, r.relname
"""
DUPLICATE_INDEXES = """
SELECT t.relname AS table, array_agg(ci.relname::text ORDER BY i.indisunique DESC, ci.relname) AS names
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
GROUP BY t.relname, i.indrelid, i.indkey::text, i.indclass::text,
         coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
         coalesce(pg_get_expr(i.indpred, i.indrelid), '')
HAVING count(*) > 1
"""
UNUSED_INDEXES = """
SELECT s.relname AS table, s.indexrelname AS name, pg_relation_size(s.indexrelid) AS bytes
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
  AND pg_relation_size(s.indexrelid) >= :minimum
"""
INTEGER_KEYS = """
SELECT n.nspname AS schema, t.relname AS table, a.attname AS column,
       format_type(a.atttypid, NULL) AS type,
       (SELECT s.last_value FROM pg_sequences s
        WHERE format('%I.%I', s.schemaname, s.sequencename)
              = pg_get_serial_sequence(format('%I.%I', n.nspname, t.relname), a.attname)
       ) AS last_value
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'p' AND cardinality(c.conkey) = 1
  AND a.atttypid IN ('int2'::regtype, 'int4'::regtype) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
"""


@dataclass(frozen=True)
class TableSize:
    rows: int
    bytes: int
    unknown: bool

    @property
    def grade(self) -> str:
        if self.rows >= LARGE_ROWS or self.bytes >= LARGE_BYTES:
            return "large"
        if self.rows >= MEDIUM_ROWS or self.bytes >= MEDIUM_BYTES:
            return "medium"
        return "small"

    def describe(self) -> str:
        rows = (
            "row count unknown (never analysed)"
            if self.unknown
            else f"~{self.rows:,} rows"
        )
        return f"{self.grade} table ({rows}, {_size(self.bytes)})"


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.0f} TB"


async def _fetch(
    connection: AsyncConnection, query: str, **params: Any
) -> list[dict[str, Any]]:
    result = await connection.execute(text(query), params)
    return [dict(row) for row in result.mappings()]


async def _query(url: str) -> dict[str, list[dict[str, Any]]]:
    try:
        engine = create_async_engine(
            make_url(url).set(drivername="postgresql+asyncpg"),
            connect_args={"timeout": 15},
        )
    except (ValueError, SQLAlchemyError) as error:
        raise ProjectError(
            f"--database-url is not a PostgreSQL URL: {error}"
        ) from error
    try:
        async with engine.connect() as connection:
            # Catalog reads only; never wait behind a migration's lock.
            await connection.execute(text("SET lock_timeout = '2s'"))
            await connection.execute(text("SET statement_timeout = '60s'"))
            results = {
                "tables": await _fetch(connection, TABLES),
                "foreign_keys": await _fetch(connection, FOREIGN_KEYS),
                "duplicates": await _fetch(connection, DUPLICATE_INDEXES),
                "unused": await _fetch(
                    connection, UNUSED_INDEXES, minimum=UNUSED_INDEX_MIN_BYTES
                ),
                "keys": [],
            }
            for row in await _fetch(connection, INTEGER_KEYS):
                results["keys"].append({**row, "used": await _highest(connection, row)})
            return results
    except (OSError, DBAPIError) as error:
        raise ProjectError(f"cannot query --database-url: {error}") from error
    finally:
        await engine.dispose()


async def _highest(connection: AsyncConnection, row: dict[str, Any]) -> int:
    """The largest key handed out: the sequence's position or the column's max."""
    preparer = connection.dialect.identifier_preparer
    table = f"{preparer.quote(row['schema'])}.{preparer.quote(row['table'])}"
    column = preparer.quote(row["column"])
    # Identifiers come from the catalog, quoted; the primary key index makes max() one probe.
    result = await connection.execute(text(f"SELECT max({column}) FROM {table}"))  # noqa: S608
    highest = result.scalar()
    return max(int(row["last_value"] or 0), int(highest or 0))


def check(result: Result, url: str) -> list[Finding]:
    """Live findings, and lock risk graded on `result.findings` in place."""
    data = asyncio.run(_query(url))
    sizes = {
        row["name"]: TableSize(
            int(row["rows"]), int(row["bytes"]), bool(row["unknown"])
        )
        for row in data["tables"]
    }
    _grade(result.findings, sizes)
    created = _created_at(result)
    fallback = (result.project.target.config_file or result.project.env_py, 1)
    found: list[Finding] = []

    def where(table: str) -> tuple[Path, int]:
        return created.get(table, fallback)

    for row in data["tables"]:
        if not row["has_pk"]:
            path, line = where(row["name"])
            found.append(
                finding(
                    "table-without-primary-key",
                    path,
                    line,
                    source="live",
                    table=row["name"],
                )
            )
    for row in data["foreign_keys"]:
        path, line = where(row["table"])
        found.append(
            finding(
                "fk-without-index",
                path,
                line,
                source="live",
                name=row["name"],
                table=row["table"],
                referenced=row["referenced"],
                columns=", ".join(row["columns"]),
            )
        )
    for row in data["duplicates"]:
        keep, *extra = row["names"]
        path, line = where(row["table"])
        found += [
            finding(
                "duplicate-index",
                path,
                line,
                source="live",
                name=name,
                table=row["table"],
                other=keep,
            )
            for name in extra
        ]
    for row in data["unused"]:
        path, line = where(row["table"])
        found.append(
            finding(
                "unused-index",
                path,
                line,
                source="live",
                name=row["name"],
                table=row["table"],
                size=_size(int(row["bytes"])),
            )
        )
    for row in data["keys"]:
        maximum = INTEGER_MAX.get(row["type"], INTEGER_MAX["integer"])
        percent = round(100 * int(row["used"]) / maximum, 1)
        if percent >= OVERFLOW_WARNING:
            path, line = where(row["table"])
            found.append(
                finding(
                    "integer-key-overflow",
                    path,
                    line,
                    source="live",
                    severity="error" if percent >= OVERFLOW_ERROR else "warning",
                    table=row["table"],
                    column=row["column"],
                    type=row["type"],
                    percent=percent,
                    maximum=f"{maximum:,}",
                )
            )
    return found


def _grade(findings: list[Finding], sizes: dict[str, TableSize]) -> None:
    for item in findings:
        size = sizes.get(item.table or "")
        if size is None or item.rule not in GRADED_RULES:
            continue
        item.lock_risk = size.describe()
        if size.grade == "large" and item.severity == "warning":
            # Never downgraded: an empty development database says nothing about production.
            item.severity = "error"


def _created_at(result: Result) -> dict[str, tuple[Path, int]]:
    created: dict[str, tuple[Path, int]] = {}
    for analysis in result.analyses:
        for action in analysis.actions:
            if (
                action.op == "create_table"
                and action.table
                and action.table not in created
            ):
                created[action.table] = (analysis.revision.path, action.line)
    return created
