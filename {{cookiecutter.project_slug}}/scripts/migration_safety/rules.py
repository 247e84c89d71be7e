"""Rules over a revision's actions: our own, and squawk's when squawk cannot run."""

import re
from dataclasses import dataclass, field
from typing import Any

from . import sqltext
from .catalog import finding
from .model import Action, Analysis, Finding, FixRequest

# Statements that lock an existing table in a way the running service notices.
LOCKING = frozenset(
    {
        "create_index",
        "drop_index",
        "add_constraint",
        "drop_constraint",
        "add_column",
        "drop_column",
        "alter_column",
        "drop_table",
        "rename_table",
        "alter_table",
    }
)
# Taken by these, an ACCESS EXCLUSIVE (or write-blocking) lock lasts until COMMIT.
STRONG_LOCK = LOCKING - {"create_index", "drop_index"}
STATEMENT_NAMES = {
    "create_index": "CREATE INDEX",
    "drop_index": "DROP INDEX",
    "create_table": "CREATE TABLE with a foreign key",
    "drop_table": "DROP TABLE",
}


@dataclass
class Schema:
    """Tables and column types as the revisions so far left them."""

    tables: dict[str, dict[str, str | None]] = field(default_factory=dict)
    indexes: dict[str, str | None] = field(default_factory=dict)

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            table, details = action.table, action.details
            columns = self.tables.setdefault(table, {}) if table else {}
            if action.op == "create_table" and table:
                self.tables[table] = dict(details.get("columns", {}))
            elif action.op == "drop_table" and table:
                self.tables.pop(table, None)
            elif action.op == "rename_table" and table and details.get("new_name"):
                self.tables[details["new_name"]] = self.tables.pop(table, {})
            elif action.op == "add_column" and details.get("column"):
                columns[details["column"]] = details.get("type")
            elif action.op == "drop_column":
                columns.pop(details.get("column") or "", None)
            elif action.op == "alter_column" and details.get("column"):
                column = details["column"]
                if details.get("type_to"):
                    columns[column] = details["type_to"]
                if details.get("new_name"):
                    columns[details["new_name"]] = columns.pop(column, None)
            elif action.op == "create_index" and details.get("name"):
                self.indexes[details["name"]] = table
            elif action.op == "drop_index" and details.get("name"):
                self.indexes.pop(details["name"], None)


def is_existing(action: Action, analysis: Analysis) -> bool:
    return action.table is None or action.table not in analysis.created_tables


def not_null_proven(analysis: Analysis, target: Action) -> bool:
    """SET NOT NULL after a CHECK (col IS NOT NULL) validated in an earlier transaction.

    PostgreSQL 12+ then skips the table scan: the lock is only momentary.
    """
    column = target.details.get("column")
    added: dict[str, int] = {}
    for action in analysis.actions:
        if action is target:
            return False
        details = action.details
        if (
            action.op == "add_constraint"
            and action.table == target.table
            and sqltext.not_null_condition(details.get("condition")) == column
            and details.get("name")
        ):
            added[details["name"]] = action.block
        if (
            action.op == "validate_constraint"
            and action.table == target.table
            and details.get("name") in added
            and added[details["name"]] != action.block
        ):
            return True
    return False


def fix_for(rule: str, action: Action, pg_version: int) -> FixRequest | None:
    """The mechanical rewrite for `rule` on this call, when there is one."""
    op = action.details.get("alembic_op")
    name = action.details.get("name") or default_name(action)
    if (
        rule
        in {
            "require-concurrent-index-creation",
            "ban-concurrent-index-creation-in-transaction",
            "index-after-alter-in-transaction",
        }
        and op == "create_index"
    ):
        return FixRequest("concurrent-index", action.table, name)
    if rule == "require-concurrent-index-deletion" and op == "drop_index":
        return FixRequest("concurrent-index", action.table, name)
    if (
        rule in {"adding-foreign-key-constraint", "constraint-missing-not-valid"}
        and op in {"create_foreign_key", "create_check_constraint"}
        and name
    ):
        return FixRequest("not-valid", action.table, name)
    if (
        rule == "adding-foreign-key-constraint"
        and op == "add_column"
        and action.details.get("type") == "foreignkey"
    ):
        # sa.Column(..., sa.ForeignKey(...)) in add_column: split it out.
        return FixRequest("split-foreign-key", action.table, name)
    if (
        rule == "disallowed-unique-constraint"
        and op == "create_unique_constraint"
        and name
    ):
        return FixRequest("unique-using-index", action.table, name)
    if rule == "enum-value-in-transaction" and op == "execute":
        return FixRequest("autocommit", action.table, action.details.get("type"))
    if (
        rule == "adding-not-nullable-field"
        and op == "alter_column"
        and pg_version >= 12
        and action.table
    ):
        return FixRequest("not-null", action.table, column=action.details.get("column"))
    return None


def default_name(action: Action) -> str | None:
    """The name PostgreSQL gives an unnamed key (`order_user_id_fkey`), when short
    enough that it needs no truncation (which PostgreSQL does its own way)."""
    suffix = {"foreignkey": "fkey", "unique": "key"}.get(action.details.get("type", ""))
    columns = action.details.get("columns") or []
    if action.op != "add_constraint" or not (suffix and columns and action.table):
        return None
    name = "_".join([action.table, *columns, suffix])
    return name if len(name.encode()) <= 63 else None


def _type_change_is_safe(before: str, after: str) -> bool:
    """The safe list: changes PostgreSQL makes without rewriting the table."""
    if before == after:
        return True
    old = re.fullmatch(r"(VARCHAR|NUMERIC)(?:\((\d+)(?:, (\d+))?\))?", before)
    if old is None:
        return False
    if old.group(1) == "VARCHAR":
        if after == "TEXT" or after == "VARCHAR":
            return True
        new = re.fullmatch(r"VARCHAR\((\d+)\)", after)
        return bool(new and old.group(2) and int(new.group(1)) >= int(old.group(2)))
    if after == "NUMERIC":
        return True
    new = re.fullmatch(r"NUMERIC\((\d+)(?:, (\d+))?\)", after)
    if not (new and old.group(2)):
        return False
    same_scale = (new.group(2) or "0") == (old.group(3) or "0")
    return same_scale and int(new.group(1)) >= int(old.group(2))


def _column_types(action: Action) -> list[tuple[str | None, str | None]]:
    details = action.details
    if action.op == "create_table":
        return list(details.get("columns", {}).items())
    if action.op == "add_column":
        return [(details.get("column"), details.get("type"))]
    if action.op == "alter_column" and details.get("type_to"):
        return [(details.get("column"), details.get("type_to"))]
    return []


def _at(rule: str, analysis: Analysis, action: Action, **values: Any) -> Finding:
    """A finding of `rule` at the line of `action`."""
    return finding(
        rule,
        analysis.revision.path,
        action.line,
        revision=analysis.revision.revision,
        sql=action.sql[0] if action.sql else None,
        **values,
    )


def own_findings(
    analysis: Analysis, schema: Schema, env_timeouts: set[str], pg_version: int
) -> list[Finding]:
    """What squawk does not check on Alembic's output, for one revision."""
    return [
        *_missing_timeout(analysis, env_timeouts),
        *_backfills(analysis),
        *_index_after_alter(analysis, pg_version),
        *_type_changes(analysis, schema),
        *_json_columns(analysis),
        *_enum_values(analysis, pg_version),
    ]


def _enum_values(analysis: Analysis, pg_version: int) -> list[Finding]:
    rule = "enum-value-in-transaction"
    return [
        _at(
            rule,
            analysis,
            action,
            # Before PostgreSQL 12 the statement fails inside a transaction block.
            severity="error" if pg_version < 12 else None,
            fix=fix_for(rule, action, pg_version),
            type=action.details.get("type"),
        )
        for action in analysis.actions
        if action.op == "add_enum_value" and action.in_transaction
    ]


def _missing_timeout(analysis: Analysis, env_timeouts: set[str]) -> list[Finding]:
    """The first lock on an existing table taken before any lock_timeout is set."""
    if "lock_timeout" in env_timeouts:
        return []
    for action in analysis.actions:
        details = action.details
        if action.op == "set" and details.get("setting") == "lock_timeout":
            return []
        references_existing = action.op == "create_table" and any(
            ref not in analysis.created_tables for ref in details.get("references", [])
        )
        locks_existing = (
            is_existing(action, analysis)
            and action.op in LOCKING
            and not details.get("concurrently")
        )
        if locks_existing or references_existing:
            # One finding per revision: the fix sets the timeouts for all of it.
            return [
                _at(
                    "missing-lock-timeout",
                    analysis,
                    action,
                    fix=FixRequest("timeouts"),
                    table=action.table or "the table",
                    statement=STATEMENT_NAMES.get(action.op, "ALTER TABLE"),
                )
            ]
    return []


def _backfills(analysis: Analysis) -> list[Finding]:
    ddl_blocks = {
        a.block
        for a in analysis.actions
        if a.op in sqltext.DDL_OPS and a.in_transaction
    }
    found = []
    for action in analysis.actions:
        if action.op != "dml" or not action.in_transaction:
            continue
        if not is_existing(action, analysis):
            continue
        verb = action.details.get("verb", "UPDATE")
        # Inserting a few rows beside no DDL is routine; rewriting rows never is.
        minor = verb == "INSERT" and action.block not in ddl_blocks
        found.append(
            _at(
                "backfill-in-ddl-transaction",
                analysis,
                action,
                severity="warning" if minor else None,
                verb=verb,
                table=action.table or "?",
            )
        )
    return found


def _index_after_alter(analysis: Analysis, pg_version: int) -> list[Finding]:
    locked: set[tuple[int, str]] = set()
    found = []
    for action in analysis.actions:
        if not (
            action.table and action.in_transaction and is_existing(action, analysis)
        ):
            continue
        key = (action.block, action.table)
        if action.op in STRONG_LOCK:
            locked.add(key)
        elif action.op == "create_index" and key in locked:
            rule = "index-after-alter-in-transaction"
            fix = fix_for(rule, action, pg_version)
            found.append(_at(rule, analysis, action, fix=fix, table=action.table))
    return found


def _type_changes(analysis: Analysis, schema: Schema) -> list[Finding]:
    found = []
    for action in analysis.actions:
        after = action.details.get("type_to")
        if (
            action.op != "alter_column"
            or not after
            or not is_existing(action, analysis)
        ):
            continue
        column = action.details.get("column") or ""
        known = schema.tables.get(action.table or "", {}).get(column)
        before = action.details.get("type_from") or known
        if before is None or not _type_change_is_safe(before, after):
            found.append(
                _at(
                    "unsafe-type-change",
                    analysis,
                    action,
                    table=action.table,
                    column=column,
                    type_from=before or "an unknown type (pass existing_type=)",
                    type_to=after,
                )
            )
    return found


def _json_columns(analysis: Analysis) -> list[Finding]:
    return [
        _at("prefer-jsonb", analysis, action, table=action.table, column=column)
        for action in analysis.actions
        for column, type_ in _column_types(action)
        if type_ == "JSON"
    ]


def core_findings(analysis: Analysis, pg_version: int) -> list[Finding]:
    """squawk's main rules, read from the actions, for when squawk cannot run."""
    found: list[Finding] = []
    created_indexes = {
        a.details.get("name") for a in analysis.actions if a.op == "create_index"
    }
    for action in analysis.actions:
        for rule in _core_rules(action, is_existing(action, analysis), created_indexes):
            if rule == "adding-not-nullable-field" and not_null_proven(
                analysis, action
            ):
                continue
            found.append(
                _at(
                    rule,
                    analysis,
                    action,
                    fix=fix_for(rule, action, pg_version),
                    table=action.table,
                    column=action.details.get("column"),
                    name=action.details.get("name"),
                )
            )
    return found


def _core_rules(
    action: Action, existing: bool, created_indexes: set[object]
) -> list[str]:
    op, details = action.op, action.details
    rules: list[str] = []
    if op == "create_index":
        if details.get("concurrently") and action.in_transaction:
            rules.append("ban-concurrent-index-creation-in-transaction")
        elif not details.get("concurrently") and existing:
            rules.append("require-concurrent-index-creation")
    elif op == "drop_index":
        if (
            not details.get("concurrently")
            and details.get("name") not in created_indexes
        ):
            rules.append("require-concurrent-index-deletion")
    elif op == "add_constraint" and existing and not details.get("using_index"):
        kind = details.get("type")
        if kind == "foreignkey" and not details.get("not_valid"):
            rules.append("adding-foreign-key-constraint")
        elif kind == "check" and not details.get("not_valid"):
            rules.append("constraint-missing-not-valid")
        elif kind == "unique":
            rules.append("disallowed-unique-constraint")
        elif kind == "primary":
            rules.append("adding-serial-primary-key-field")
    elif op == "add_column" and existing:
        default = details.get("default")
        if not details.get("nullable", True) and default is None:
            rules.append("adding-required-field")
        if default and sqltext.VOLATILE_DEFAULT.search(default):
            rules.append("adding-field-with-default")
    elif op == "alter_column" and existing:
        if details.get("nullable") is False:
            rules.append("adding-not-nullable-field")
        if details.get("new_name"):
            rules.append("renaming-column")
    elif op == "drop_column" and existing:
        rules.append("ban-drop-column")
    elif op == "drop_table":
        rules.append("ban-drop-table")
    elif op == "rename_table":
        rules.append("renaming-table")
    for _, type_ in _column_types(action):
        if type_ and type_.startswith("TIMESTAMP") and "WITHOUT" in type_:
            rules.append("prefer-timestamp-tz")
        if type_ and re.fullmatch(r"CHAR(\(\d+\))?", type_):
            rules.append("ban-char-field")
    return rules
