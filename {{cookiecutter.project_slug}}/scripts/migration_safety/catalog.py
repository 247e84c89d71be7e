"""Every rule: how bad it is, what happens in production, and the safe recipe."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Finding, FixRequest, Severity


@dataclass(frozen=True)
class Rule:
    severity: Severity
    message: str
    impact: str
    recipe: str


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return {"table": "the table", "column": "the column"}.get(key, f"<{key}>")


CONCURRENT_RECIPE = (
    "Run it CONCURRENTLY outside the transaction: `with "
    "op.get_context().autocommit_block(): op.{op}(..., postgresql_concurrently=True)`; "
    "if a concurrent build fails it leaves an INVALID index: drop it and rerun."
)
NOT_VALID_RECIPE = (
    "Add it with `postgresql_not_valid=True` (only new rows are checked, brief lock), "
    "then `ALTER TABLE ... VALIDATE CONSTRAINT` after a COMMIT (inside "
    "`op.get_context().autocommit_block()`): validation takes SHARE UPDATE "
    "EXCLUSIVE, which lets reads and writes go on."
)
EXPAND_CONTRACT = (
    "Expand and contract over two releases: ship code that no longer uses it, "
    "then remove it in a later migration (suppress this finding there with the reason)."
)

RULES: dict[str, Rule] = {
    # Our own rules: what squawk does not see in Alembic's output.
    "backfill-in-ddl-transaction": Rule(
        "error",
        "{verb} on existing table {table} runs inside the migration's transaction",
        "Every row it touches stays locked until COMMIT, together with the locks the "
        "revision's DDL holds (ACCESS EXCLUSIVE for ALTER TABLE): writers to {table} "
        "queue for the whole backfill, long transactions hold back vacuum, and hitting "
        "statement_timeout rolls the schema change back too.",
        "Ship the schema change first; backfill in batches that each commit (a loop "
        "inside `op.get_context().autocommit_block()` or a separate job), then add the "
        "constraints that need the data.",
    ),
    "unsafe-type-change": Rule(
        "error",
        "changing {table}.{column} from {type_from} to {type_to}",
        "ALTER COLUMN ... TYPE takes an ACCESS EXCLUSIVE lock and, for anything but a "
        "binary-compatible change, rewrites {table} and rebuilds its indexes while "
        "holding it: no reads or writes for minutes on a large table; the running "
        "code may also fail on the new type.",
        "Add a column with the new type, write both from the code, backfill in "
        "batches, switch reads, drop the old column in a later release. Safe in "
        "place: varchar(n) -> text, varchar(n) -> varchar(m >= n), numeric(p, s) -> "
        "numeric(q >= p, s).",
    ),
    "prefer-jsonb": Rule(
        "warning",
        "{table}.{column} is json, not jsonb",
        "json keeps the raw text: no equality operator (DISTINCT, GROUP BY, UNION and "
        "unique indexes fail on it), no GIN index, parsed on every access; moving to "
        "jsonb later is a table rewrite under ACCESS EXCLUSIVE.",
        "Use postgresql.JSONB (in the model too) for new columns.",
    ),
    "index-after-alter-in-transaction": Rule(
        "error",
        "index on {table} is built after an ALTER TABLE {table} in the same transaction",
        "The ALTER's ACCESS EXCLUSIVE lock is held until COMMIT, so {table} can be "
        "neither read nor written for the whole index build.",
        "Build the index CONCURRENTLY in an autocommit block (which commits the ALTER "
        "first) or in a revision of its own.",
    ),
    "missing-lock-timeout": Rule(
        "warning",
        "{statement} on existing table {table} without lock_timeout",
        "A DDL statement waiting for its lock behind one long query makes every later "
        "query on {table} queue behind it: the table is unavailable until that query "
        "ends. Without statement_timeout a slow statement keeps its lock indefinitely.",
        "Start upgrade() with `op.execute(\"SET lock_timeout = '5s'\")` and a "
        "statement_timeout (or set both once in migrations/env.py); when it times "
        "out, retry the deploy.",
    ),
    "missing-downgrade": Rule(
        "warning",
        "downgrade() is {state}",
        "A failed release cannot be rolled back with `alembic downgrade`; it has to be "
        "fixed forward under pressure.",
        "Write downgrade() to reverse upgrade(); if it truly cannot be reversed, raise "
        "NotImplementedError with the reason so that is a decision, not an omission.",
    ),
    "multiple-heads": Rule(
        "error",
        "the history has several heads: {heads}",
        "`alembic upgrade head` refuses to run, so the deploy's migration job fails.",
        "`alembic merge heads -m 'merge'`, or point the newer revision's "
        "down_revision at the other head.",
    ),
    "missing-down-revision": Rule(
        "error",
        "down_revision {missing} does not exist",
        "Alembic cannot build the revision graph: every alembic command, the deploy's "
        "migration job included, fails.",
        "Point down_revision at an existing revision (`alembic heads` shows the "
        "current head).",
    ),
    "unreadable-revision": Rule(
        "error",
        "Alembic cannot load this revision: {problem}",
        "Every alembic command reads every revision first: the deploy's migration job "
        "fails before it changes anything.",
        "Fix the file so Python can parse it and `revision`/`down_revision` are plain "
        "string literals.",
    ),
    "model-drift": Rule(
        "error",
        "the models differ from {schema}: {diff}",
        "The deployed code expects tables, columns or constraints the migrations do "
        "not create (or the reverse): queries fail at runtime after the deploy.",
        "`make migration m='...'` to autogenerate the missing revision, review it and "
        "commit it.",
    ),
    "suppression-without-reason": Rule(
        "error",
        "suppression of {rules} gives no reason",
        "A reviewer cannot tell a deliberate, safe exception from a silenced outage.",
        "Say why after the bracket: `# migration-safety: ignore[rule] column unused "
        "since release 42`.",
    ),
    "unused-suppression": Rule(
        "warning",
        "nothing here matches the suppression of {rules}",
        "A stale suppression would silently hide a future problem on this line.",
        "Remove the comment.",
    ),
    # squawk's rules, explained for this codebase.
    "syntax-error": Rule(
        "error",
        "squawk cannot parse this SQL ({detail})",
        "PostgreSQL will most likely reject it too: the deploy's migration fails.",
        "Fix the SQL in op.execute(); `--verbose` shows what was rendered.",
    ),
    "require-concurrent-index-creation": Rule(
        "error",
        "CREATE INDEX on existing table {table} without CONCURRENTLY",
        "The build takes a SHARE lock on {table}: every INSERT, UPDATE and DELETE waits "
        "until the index is built (minutes on a large table).",
        CONCURRENT_RECIPE.format(op="create_index"),
    ),
    "require-concurrent-index-deletion": Rule(
        "error",
        "DROP INDEX {name} without CONCURRENTLY",
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes "
        "queue behind it and behind any long query it waits for.",
        CONCURRENT_RECIPE.format(op="drop_index"),
    ),
    "ban-concurrent-index-creation-in-transaction": Rule(
        "error",
        "CREATE INDEX CONCURRENTLY inside a transaction",
        "PostgreSQL refuses it: the migration fails at deploy time.",
        "Put it inside `with op.get_context().autocommit_block():`.",
    ),
    "adding-foreign-key-constraint": Rule(
        "error",
        "foreign key on existing table {table} is validated while it is added",
        "Adding it takes SHARE ROW EXCLUSIVE locks on both tables and scans {table}: "
        "writes to both wait for the whole scan.",
        NOT_VALID_RECIPE,
    ),
    "constraint-missing-not-valid": Rule(
        "error",
        "constraint on existing table {table} is validated while it is added",
        "Every existing row is checked while the lock is held (ACCESS EXCLUSIVE for "
        "CHECK): reads and writes to {table} wait for the whole scan.",
        NOT_VALID_RECIPE,
    ),
    "adding-not-nullable-field": Rule(
        "error",
        "SET NOT NULL on existing table {table}",
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock: no reads or "
        "writes meanwhile.",
        "Add `CHECK ({column} IS NOT NULL) NOT VALID`, VALIDATE it after a COMMIT, then "
        "SET NOT NULL (PostgreSQL 12+ skips the scan given a valid check) and drop the "
        "check.",
    ),
    "adding-required-field": Rule(
        "error",
        "NOT NULL column without a default added to existing table {table}",
        "The ALTER fails on any non-empty table, and code still running the previous "
        "release cannot insert rows without the new column.",
        "Add it nullable (or with a constant server_default), backfill, then make it "
        "NOT NULL with the CHECK recipe.",
    ),
    "adding-field-with-default": Rule(
        "error",
        "column with a volatile default added to existing table {table}",
        "A volatile default (random(), gen_random_uuid(), clock_timestamp(), ...) is "
        "evaluated per row: the whole table is rewritten under ACCESS EXCLUSIVE.",
        "Add the column without a default, set the default in a second statement "
        "(applies to new rows only), backfill existing rows in batches.",
    ),
    "ban-drop-column": Rule(
        "warning",
        "dropping a column of {table}: a deploy-ordering hazard, not a lock hazard",
        "The lock is brief. The danger is the order of the deploy: pods still running "
        "the previous release select the column (SQLAlchemy names every mapped "
        "column), and their queries fail the moment it is gone.",
        EXPAND_CONTRACT,
    ),
    "ban-drop-table": Rule(
        "warning",
        "dropping table {table}: a deploy-ordering hazard, not a lock hazard",
        "The lock is brief. The danger is the order of the deploy: pods still running "
        "the previous release fail on every query of the table, and the data is gone "
        "for any rollback.",
        EXPAND_CONTRACT,
    ),
    "renaming-column": Rule(
        "error",
        "renaming a column of {table}",
        "The running release still uses the old name: its queries fail from the moment "
        "of the rename until every instance runs the new code.",
        "Add the new column, write both, backfill, switch reads, drop the old one in "
        "a later release (or a view/generated column in between).",
    ),
    "renaming-table": Rule(
        "error",
        "renaming table {table}",
        "The running release still uses the old name: its queries fail until every "
        "instance runs the new code.",
        "Create the new table (or a view with the new name), migrate the code, then "
        "drop the old name in a later release.",
    ),
    "disallowed-unique-constraint": Rule(
        "error",
        "UNIQUE constraint added to existing table {table}",
        "The unique index is built under an ACCESS EXCLUSIVE lock: no reads or writes "
        "for the whole build.",
        "CREATE UNIQUE INDEX CONCURRENTLY (autocommit block), then `ALTER TABLE ... ADD "
        "CONSTRAINT ... UNIQUE USING INDEX ...`.",
    ),
    "adding-serial-primary-key-field": Rule(
        "error",
        "primary key added to existing table {table}",
        "The index is built under an ACCESS EXCLUSIVE lock: no reads or writes for the "
        "whole build.",
        "CREATE UNIQUE INDEX CONCURRENTLY, then `ADD CONSTRAINT ... PRIMARY KEY USING "
        "INDEX ...`.",
    ),
    "enum-value-in-transaction": Rule(
        "warning",
        "ALTER TYPE {type} ADD VALUE inside the migration's transaction",
        "The new value cannot be used until the transaction commits: a later statement "
        "or revision of the same `alembic upgrade` that uses it fails, and before "
        "PostgreSQL 12 the statement itself fails inside a transaction block.",
        "Run it in `with op.get_context().autocommit_block():` (it commits at once; "
        "ADD VALUE cannot be rolled back anyway).",
    ),
    "prefer-timestamp-tz": Rule(
        "warning",
        "timestamp without time zone",
        "Values lose their UTC offset: mixing sources or a server TimeZone change "
        "shifts them silently.",
        "Use sa.DateTime(timezone=True).",
    ),
    "ban-char-field": Rule(
        "warning",
        "char(n) column",
        "char(n) pads with spaces; comparisons and lengths surprise the code.",
        "Use text or varchar.",
    ),
    # Live checks (--database-url).
    "fk-without-index": Rule(
        "warning",
        "foreign key {name} on {table} ({columns}) has no index starting with its columns",
        "Every DELETE or key UPDATE on {referenced} scans {table} for referencing rows "
        "(per row, with ON DELETE CASCADE too), and joins on the key are slow.",
        "Add the index in a new revision: `op.create_index(..., "
        "postgresql_concurrently=True)` inside an autocommit block.",
    ),
    "duplicate-index": Rule(
        "warning",
        "index {name} on {table} duplicates {other}",
        "Every write updates both, the disk and vacuum work double, reads gain nothing.",
        "Drop one (DROP INDEX CONCURRENTLY) in a new revision.",
    ),
    "unused-index": Rule(
        "info",
        "index {name} on {table} ({size}) has not been scanned since statistics were reset",
        "It costs every INSERT and UPDATE and vacuum, and serves no reads here.",
        "Check the replicas' statistics too, then drop it concurrently if unused there.",
    ),
    "integer-key-overflow": Rule(
        "error",
        "{table}.{column} ({type}) has used {percent}% of its range",
        "When it passes {maximum} every INSERT fails with 'integer out of range'; the "
        "fix then is a table rewrite under ACCESS EXCLUSIVE during the outage.",
        "Move the key to bigint now (new column, dual-write, backfill, swap), while "
        "there is time.",
    ),
    "table-without-primary-key": Rule(
        "warning",
        "table {table} has no primary key",
        "Logical replication cannot replicate its UPDATEs and DELETEs (they fail on the "
        "publisher), rows cannot be addressed reliably, pg_repack refuses it.",
        "Add a primary key (CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... "
        "PRIMARY KEY USING INDEX).",
    ),
}


def generic(rule: str) -> tuple[str, str] | None:
    """(impact, recipe) with no particular table: for rule listings (SARIF)."""
    known = RULES.get(rule)
    if known is None:
        return None
    return known.impact.format_map(_Defaults()), known.recipe.format_map(_Defaults())


def finding(
    rule: str,
    path: Path,
    line: int,
    *,
    revision: str | None = None,
    fix: FixRequest | None = None,
    sql: str | None = None,
    source: str = "migration-safety",
    message: str | None = None,
    recipe: str | None = None,
    severity: Severity | None = None,
    **values: Any,
) -> Finding:
    """A finding for `rule`, its texts filled in from `values`."""
    known = RULES.get(rule)
    fill = _Defaults(values)
    text = message or (known.message.format_map(fill) if known else rule)
    return Finding(
        rule=rule,
        severity=severity or (known.severity if known else "warning"),
        path=path,
        line=line,
        message=text,
        source="squawk"
        if source == "squawk"
        else "live"
        if source == "live"
        else "migration-safety",
        revision=revision,
        impact=known.impact.format_map(fill) if known else "",
        recipe=recipe or (known.recipe.format_map(fill) if known else ""),
        fix=fix,
        sql=sql,
        table=table if isinstance(table := values.get("table"), str) else None,
    )
