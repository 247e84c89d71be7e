"""Actions read from the source, for revisions that cannot be rendered offline.

Reads literal arguments only: a table name computed at run time stays unknown
(and is treated as an existing table, the cautious reading).
"""

import ast
from collections.abc import Iterator
from typing import Any

from . import sqltext
from .model import Action

SA_TYPES = {
    "String": "VARCHAR",
    "Unicode": "VARCHAR",
    "VARCHAR": "VARCHAR",
    "Text": "TEXT",
    "UnicodeText": "TEXT",
    "TEXT": "TEXT",
    "Numeric": "NUMERIC",
    "NUMERIC": "NUMERIC",
    "DECIMAL": "NUMERIC",
    "Integer": "INTEGER",
    "INTEGER": "INTEGER",
    "BigInteger": "BIGINT",
    "BIGINT": "BIGINT",
    "SmallInteger": "SMALLINT",
    "Boolean": "BOOLEAN",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "Uuid": "UUID",
    "UUID": "UUID",
    "CHAR": "CHAR",
    "Date": "DATE",
    "Float": "FLOAT",
}


def _name(node: ast.expr | None) -> str | None:
    """A literal name: "users", op.f("ix_users_email"), sa.table("users", ...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if attr in {"f", "conv", "table", "text", "literal_column"}:
            return _name(node.args[0])
    return None


def call_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return ""


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def sa_type(node: ast.expr | None) -> str | None:
    """`sa.String(length=20)` -> "VARCHAR(20)", as PostgreSQL would print it."""
    if node is None:
        return None
    name = call_name(node)
    if name == "DateTime" or name == "TIMESTAMP":
        timezone = isinstance(node, ast.Call) and any(
            kw.arg == "timezone" and _true(kw.value) for kw in node.keywords
        )
        return "TIMESTAMP WITH TIME ZONE" if timezone else "TIMESTAMP WITHOUT TIME ZONE"
    base = SA_TYPES.get(name, name.upper() or None)
    if base is None:
        return None
    args: list[str] = []
    if isinstance(node, ast.Call):
        positional = [arg for arg in node.args if isinstance(arg, ast.Constant)]
        keyword = {
            kw.arg: kw.value
            for kw in node.keywords
            if kw.arg in {"length", "precision", "scale"}
            and isinstance(kw.value, ast.Constant)
        }
        values = [arg.value for arg in positional if isinstance(arg.value, int)]
        for key in ("length", "precision", "scale"):
            value = keyword.get(key)
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                values.append(value.value)
        args = [str(value) for value in values]
    return sqltext.normalize_type(f"{base}({', '.join(args)})" if args else base)


def _column(call: ast.expr) -> tuple[str | None, dict[str, Any]]:
    if not (isinstance(call, ast.Call) and call_name(call) == "Column" and call.args):
        return None, {}
    name = _name(call.args[0])
    type_node = call.args[1] if len(call.args) > 1 else None
    keywords = {kw.arg: kw.value for kw in call.keywords}
    default = keywords.get("server_default")
    nullable = keywords.get("nullable")
    primary = _true(keywords.get("primary_key"))
    references = [
        ref.split(".")[0]
        for arg in call.args[2:]
        if isinstance(arg, ast.Call) and call_name(arg) == "ForeignKey"
        for ref in [_name(arg.args[0]) if arg.args else None]
        if ref
    ]
    return name, {
        "type": sa_type(type_node),
        "nullable": not primary
        and not (isinstance(nullable, ast.Constant) and nullable.value is False),
        "default": ast.unparse(default) if default is not None else None,
        "references": references,
    }


def _describe(
    op: str, call: ast.Call, table_hint: str | None
) -> list[tuple[str, str | None, dict[str, Any]]]:
    keywords = {kw.arg: kw.value for kw in call.keywords}
    concurrently = _true(keywords.get("postgresql_concurrently"))
    not_valid = _true(keywords.get("postgresql_not_valid"))
    table_at = 0 if table_hint is None else -1

    def table(position: int, keyword: str) -> str | None:
        if table_hint is not None:
            return table_hint
        return _name(_argument(call, position, keyword))

    name = _name(call.args[0]) if call.args else None
    match op:
        case "create_index":
            return [
                (
                    "create_index",
                    table(1, "table_name"),
                    {
                        "name": name,
                        "concurrently": concurrently,
                        "unique": _true(keywords.get("unique")),
                    },
                )
            ]
        case "drop_index":
            return [
                (
                    "drop_index",
                    table(1, "table_name"),
                    {"name": name, "concurrently": concurrently},
                )
            ]
        case "create_foreign_key":
            referent = _name(_argument(call, 2 + table_at, "referent_table"))
            return [
                (
                    "add_constraint",
                    table(1, "source_table"),
                    {
                        "type": "foreignkey",
                        "name": name,
                        "not_valid": not_valid,
                        "references": [referent] if referent else [],
                    },
                )
            ]
        case (
            "create_check_constraint"
            | "create_unique_constraint"
            | "create_primary_key"
        ):
            kind = {
                "create_check_constraint": "check",
                "create_unique_constraint": "unique",
            }.get(op, "primary")
            return [
                (
                    "add_constraint",
                    table(1, "table_name"),
                    {
                        "type": kind,
                        "name": name,
                        "not_valid": not_valid,
                        "using_index": False,
                        "references": [],
                        "condition": _name(_argument(call, 2 + table_at, "condition"))
                        if kind == "check"
                        else None,
                    },
                )
            ]
        case "drop_constraint":
            return [("drop_constraint", table(1, "table_name"), {"name": name})]
        case "add_column":
            column_node = _argument(call, 1 + table_at, "column")
            column, info = _column(column_node) if column_node else (None, {})
            return [("add_column", table(0, "table_name"), {"column": column, **info})]
        case "drop_column":
            return [
                (
                    "drop_column",
                    table(0, "table_name"),
                    {"column": _name(_argument(call, 1 + table_at, "column_name"))},
                )
            ]
        case "alter_column":
            details: dict[str, Any] = {
                "column": _name(_argument(call, 1 + table_at, "column_name"))
            }
            if "nullable" in keywords and isinstance(
                keywords["nullable"], ast.Constant
            ):
                details["nullable"] = keywords["nullable"].value
            if "type_" in keywords:
                details["type_to"] = sa_type(keywords["type_"])
                details["type_from"] = sa_type(keywords.get("existing_type"))
            if "new_column_name" in keywords:
                details["new_name"] = _name(keywords["new_column_name"])
            return [("alter_column", table(0, "table_name"), details)]
        case "create_table":
            columns: dict[str, str | None] = {}
            references: list[str] = []
            for arg in call.args[1:]:
                column, info = _column(arg)
                if column:
                    columns[column] = info["type"]
                    references.extend(info["references"])
                elif (
                    isinstance(arg, ast.Call)
                    and call_name(arg) == "ForeignKeyConstraint"
                    and len(arg.args) > 1
                    and isinstance(arg.args[1], ast.List)
                ):
                    references.extend(
                        ref.split(".")[0] for ref in map(_name, arg.args[1].elts) if ref
                    )
            return [
                ("create_table", name, {"columns": columns, "references": references})
            ]
        case "drop_table":
            return [("drop_table", name, {})]
        case "rename_table":
            return [
                (
                    "rename_table",
                    name,
                    {"new_name": _name(_argument(call, 1, "new_table_name"))},
                )
            ]
        case "bulk_insert":
            return [("dml", name, {"verb": "INSERT"})]
        case "execute":
            sql = _name(call.args[0]) if call.args else None
            if sql is None:
                return [("other", None, {})]
            return [
                sqltext.classify(statement)
                for statement in sqltext.split_statements(sql)
            ]
    return []


def _op_calls(node: ast.AST) -> Iterator[tuple[ast.Call, str, str]]:
    """(call, op name, receiver name) for op.X(...) and batch_op.X(...), in order."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            receiver = child.func.value
            if isinstance(receiver, ast.Name):
                yield child, child.func.attr, receiver.id


def _is_autocommit(item: ast.withitem) -> bool:
    return call_name(item.context_expr) == "autocommit_block"


def _batch_table(item: ast.withitem) -> tuple[str, str] | None:
    expr = item.context_expr
    if (
        isinstance(expr, ast.Call)
        and call_name(expr) == "batch_alter_table"
        and isinstance(item.optional_vars, ast.Name)
    ):
        name = _name(expr.args[0]) if expr.args else None
        return item.optional_vars.id, name or ""
    return None


_DIALECT_NAMES = {"dialect", "dialect_name", "engine"}
POSTGRESQL = {"postgresql", "postgres"}


def _is_dialect_name(node: ast.expr) -> bool:
    """`bind.dialect.name`, `op.get_bind().engine.name`, `dialect_name`, ..."""
    if isinstance(node, ast.Attribute) and node.attr == "name":
        inner = node.value
        return (isinstance(inner, ast.Attribute) and inner.attr in _DIALECT_NAMES) or (
            isinstance(inner, ast.Name) and inner.id in _DIALECT_NAMES
        )
    return isinstance(node, ast.Name) and node.id in {"dialect_name", "db_dialect"}


def _strings(node: ast.expr) -> set[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        values = [_strings(item) for item in node.elts]
        if all(value is not None and len(value) == 1 for value in values):
            return {next(iter(value)) for value in values if value}
    return None


DIALECTS = ("postgres", "mysql", "mariadb", "sqlite", "mssql", "oracle")
# What a PostgreSQL URL (or dialect name) starts with.
PG_URL = "postgresql+driver://"


def _url_prefix(test: ast.expr) -> set[str] | None:
    """The prefixes of `url.startswith("mysql")` when they name database dialects."""
    if not (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and len(test.args) == 1
    ):
        return None
    prefixes = _strings(test.args[0])
    if prefixes and all(prefix.startswith(DIALECTS) for prefix in prefixes):
        return prefixes
    return None


def on_postgresql(test: ast.expr) -> bool | None:
    """Whether a dialect test holds on PostgreSQL; None when it is not one."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = on_postgresql(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [on_postgresql(value) for value in test.values]
        if any(value is None for value in values):
            return None
        combine = all if isinstance(test.op, ast.And) else any
        return combine(bool(value) for value in values)
    if startswith := _url_prefix(test):
        return any(PG_URL.startswith(prefix) for prefix in startswith)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    if isinstance(test.ops[0], ast.Is | ast.IsNot) and isinstance(
        test.comparators[0], ast.Constant
    ):
        # `url.startswith("sqlite") is False`
        inner = on_postgresql(test.left)
        expected = test.comparators[0].value
        if inner is None or not isinstance(expected, bool):
            return None
        same = inner is expected
        return same if isinstance(test.ops[0], ast.Is) else not same
    left, right = test.left, test.comparators[0]
    if _is_dialect_name(right) and not _is_dialect_name(left):
        left, right = right, left
    names = _strings(right)
    if not _is_dialect_name(left) or names is None:
        return None
    match test.ops[0]:
        case ast.Eq() | ast.In():
            return bool(names & POSTGRESQL)
        case ast.NotEq() | ast.NotIn():
            return not names & POSTGRESQL
    return None


def actions_from_source(function: ast.FunctionDef) -> list[Action]:
    """Walk upgrade() in order, tracking autocommit blocks like the renderer does."""
    actions: list[Action] = []
    state = {"block": 0}

    def visit(
        body: list[ast.stmt], in_transaction: bool, batches: dict[str, str]
    ) -> None:
        for statement in body:
            if isinstance(statement, ast.With):
                autocommit = any(_is_autocommit(item) for item in statement.items)
                inner = dict(batches)
                for item in statement.items:
                    if found := _batch_table(item):
                        inner[found[0]] = found[1]
                if autocommit:
                    state["block"] += 1
                visit(statement.body, in_transaction and not autocommit, inner)
                if autocommit:
                    state["block"] += 1
                continue
            if isinstance(statement, ast.If):
                branch = on_postgresql(statement.test)
                if branch is not None:
                    # Only what runs on PostgreSQL is judged (the MySQL branch is not).
                    chosen = statement.body if branch else statement.orelse
                    visit(chosen, in_transaction, batches)
                    continue
            nested = [
                getattr(statement, field)
                for field in ("body", "orelse", "finalbody")
                if isinstance(getattr(statement, field, None), list)
            ]
            if nested and not isinstance(statement, ast.FunctionDef):
                for block in nested:
                    visit(block, in_transaction, batches)
                continue
            for call, op, receiver in _op_calls(statement):
                if receiver != "op" and receiver not in batches:
                    continue
                hint = batches.get(receiver) if receiver != "op" else None
                for kind, table, details in _describe(op, call, hint):
                    actions.append(
                        Action(
                            op=kind,
                            line=statement.lineno,
                            table=table,
                            in_transaction=in_transaction,
                            block=state["block"],
                            details={
                                **details,
                                "alembic_op": op,
                                "via_sql": op == "execute",
                            },
                        )
                    )

    visit(function.body, True, {})
    return actions
