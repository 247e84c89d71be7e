"""Just enough PostgreSQL to tell what a migration statement does.

The statements come from Alembic's compiler (a narrow, regular dialect) or from
`op.execute()` strings; a full parser would be exact, but the one that parses
PostgreSQL 18 (pglast) is GPL, and this only has to name the statement, its
table and the few options the rules look at.
"""

import re
from typing import Any

from sqlalchemy.dialects import postgresql

_PREPARER = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_TYPE_STOP = re.compile(
    r"\s+(?:NOT\s+NULL|NULL|DEFAULT|PRIMARY|REFERENCES|CONSTRAINT|UNIQUE|CHECK"
    r"|GENERATED|COLLATE|USING)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_TYPE_ALIASES = {
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "INT2": "SMALLINT",
    "BOOL": "BOOLEAN",
    "DECIMAL": "NUMERIC",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP": "TIMESTAMP WITHOUT TIME ZONE",
    "TIMETZ": "TIME WITH TIME ZONE",
    "CHARACTER VARYING": "VARCHAR",
    "CHARACTER": "CHAR",
    "FLOAT8": "DOUBLE PRECISION",
}
# Defaults evaluated per row: adding a column with one rewrites the table.
VOLATILE_DEFAULT = re.compile(
    r"\b(?:gen_random_uuid|uuid_generate_v[14]\w*|random|clock_timestamp|timeofday"
    r"|nextval|txid_current|statement_timestamp)\s*\(",
    re.IGNORECASE,
)
DDL_OPS = frozenset(
    {
        "create_table",
        "drop_table",
        "rename_table",
        "add_column",
        "drop_column",
        "alter_column",
        "add_constraint",
        "drop_constraint",
        "validate_constraint",
        "create_index",
        "drop_index",
        "alter_table",
        "ddl",
    }
)


def unquote(identifier: str) -> str:
    """The name PostgreSQL stores: quoted names verbatim, others lowercased."""
    name = identifier.strip().split(".")[-1].strip()
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def quote(identifier: str) -> str:
    """`identifier` as PostgreSQL must read it: reserved words (user, order,
    case) and names with capitals or odd characters in double quotes."""
    return _PREPARER.quote(identifier)


def normalize_type(text: str) -> str:
    """`character varying(20)` and `VARCHAR(20)` compare equal, and so on."""
    compact = re.sub(r"\s+", " ", text.strip().upper())
    compact = re.sub(r"\s*([(),])\s*", r"\1", compact).replace(",", ", ")
    match = re.fullmatch(r"([A-Z ]+?)\s*(\(.*\))?((?: [A-Z ]+)?)", compact)
    if not match:
        return compact
    name, args, suffix = match.group(1), match.group(2) or "", match.group(3)
    if name == "TIMESTAMP" and suffix.strip() == "WITH TIME ZONE":
        return f"TIMESTAMP{args} WITH TIME ZONE"
    if name == "TIMESTAMP" and suffix.strip() == "WITHOUT TIME ZONE":
        return f"TIMESTAMP{args} WITHOUT TIME ZONE"
    name = _TYPE_ALIASES.get(name, name)
    if name.startswith("TIMESTAMP ") and args:
        return name.replace("TIMESTAMP", f"TIMESTAMP{args}", 1) + suffix
    return f"{name}{args}{suffix}"


def split_statements(sql: str) -> list[str]:
    """Split on semicolons outside quotes, dollar quotes and comments."""
    body = sql.strip().rstrip(";")
    if ";" not in body:
        # What Alembic compiles is one statement; only op.execute() strings are more.
        return [body.strip()] if body.strip() else []
    parts: list[str] = []
    current: list[str] = []
    i, quote_char, dollar = 0, "", ""
    while i < len(sql):
        char = sql[i]
        if dollar:
            if sql.startswith(dollar, i):
                current.append(dollar)
                i += len(dollar)
                dollar = ""
                continue
        elif quote_char:
            if char == quote_char:
                quote_char = ""
        elif char in "'\"":
            quote_char = char
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end == -1 else end
            continue
        elif match := re.match(r"\$[A-Za-z_]*\$", sql[i:]):
            dollar = match.group(0)
            current.append(dollar)
            i += len(dollar)
            continue
        elif char == ";":
            parts.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _split_top_level(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:index].strip())
            start = index + 1
    parts.append(body[start:].strip())
    return [part for part in parts if part]


def _column_type(definition: str) -> str:
    return normalize_type(_TYPE_STOP.sub("", definition))


def _create_table(table: str, body: str) -> dict[str, Any]:
    columns: dict[str, str] = {}
    references: list[str] = []
    for part in _split_top_level(body):
        if found := re.search(rf"\bREFERENCES\s+({_QUALIFIED})", part, re.I):
            references.append(unquote(found.group(1)))
        if re.match(r"(CONSTRAINT|PRIMARY|FOREIGN|UNIQUE|CHECK|EXCLUDE)\b", part, re.I):
            continue
        if found := re.match(rf"({_IDENT})\s+(.+)$", part, re.DOTALL):
            columns[unquote(found.group(1))] = _column_type(found.group(2))
    return {"columns": columns, "references": references}


def _check_condition(tail: str) -> str:
    text = re.sub(r"\s+NOT\s+VALID\s*$", "", tail.strip(), flags=re.IGNORECASE)
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def not_null_condition(condition: str | None) -> str | None:
    """The column a `CHECK (col IS NOT NULL)` proves non-null, if that is all it does."""
    if condition is None:
        return None
    found = re.fullmatch(rf"\(?\s*({_IDENT})\s+IS\s+NOT\s+NULL\s*\)?", condition, re.I)
    return unquote(found.group(1)) if found else None


def _alter_table(rest: str) -> tuple[str, dict[str, Any]]:
    flags = re.IGNORECASE | re.DOTALL
    if found := re.match(rf"RENAME\s+TO\s+({_IDENT})", rest, flags):
        return "rename_table", {"new_name": unquote(found.group(1))}
    if found := re.match(
        rf"RENAME\s+(?:COLUMN\s+)?({_IDENT})\s+TO\s+({_IDENT})", rest, flags
    ):
        column, new_name = unquote(found.group(1)), unquote(found.group(2))
        return "alter_column", {"column": column, "new_name": new_name}
    constraint = re.match(
        rf"ADD\s+(?:CONSTRAINT\s+({_IDENT})\s+)?(FOREIGN\s+KEY|CHECK|UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b(.*)$",
        rest,
        flags,
    )
    if constraint:
        kind = constraint.group(2).split()[0].lower()
        tail = constraint.group(3)
        columns = re.match(r"\s*\(([^)]*)\)", tail)
        return "add_constraint", {
            "type": {"foreign": "foreignkey", "primary": "primary"}.get(kind, kind),
            "columns": [unquote(c) for c in columns.group(1).split(",")]
            if columns and kind in {"foreign", "unique"}
            else [],
            "name": unquote(constraint.group(1)) if constraint.group(1) else None,
            "not_valid": bool(re.search(r"\bNOT\s+VALID\s*$", tail, flags)),
            "condition": _check_condition(tail) if kind == "check" else None,
            "using_index": bool(re.match(r"\s*USING\s+INDEX\b", tail, flags)),
            "references": [
                unquote(ref)
                for ref in re.findall(rf"\bREFERENCES\s+({_QUALIFIED})", tail, flags)
            ],
        }
    if found := re.match(
        rf"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?({_IDENT})\s+(.+)$", rest, flags
    ):
        definition = found.group(2)
        default = re.search(
            r"\bDEFAULT\s+(.+?)(?:\s+(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES)\b|$)",
            definition,
            flags,
        )
        return "add_column", {
            "column": unquote(found.group(1)),
            "type": _column_type(definition),
            "nullable": not re.search(
                r"\bNOT\s+NULL\b|\bPRIMARY\s+KEY\b", definition, flags
            ),
            "default": default.group(1).strip() if default else None,
        }
    if found := re.match(
        rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?({_IDENT})", rest, flags
    ):
        return "drop_constraint", {"name": unquote(found.group(1))}
    if found := re.match(
        rf"DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?({_IDENT})", rest, flags
    ):
        return "drop_column", {"column": unquote(found.group(1))}
    if found := re.match(rf"VALIDATE\s+CONSTRAINT\s+({_IDENT})", rest, flags):
        return "validate_constraint", {"name": unquote(found.group(1))}
    if found := re.match(rf"ALTER\s+(?:COLUMN\s+)?({_IDENT})\s+(.+)$", rest, flags):
        column, change = unquote(found.group(1)), found.group(2)
        if re.match(r"SET\s+NOT\s+NULL\b", change, flags):
            return "alter_column", {"column": column, "nullable": False}
        if re.match(r"DROP\s+NOT\s+NULL\b", change, flags):
            return "alter_column", {"column": column, "nullable": True}
        if typed := re.match(r"(?:SET\s+DATA\s+)?TYPE\s+(.+)$", change, flags):
            return "alter_column", {
                "column": column,
                "type_to": _column_type(typed.group(1)),
            }
        return "alter_column", {"column": column}
    return "alter_table", {}


def classify(sql: str) -> tuple[str, str | None, dict[str, Any]]:
    """Name what one statement does: (op, table, details)."""
    text = re.sub(r"--[^\n]*", " ", sql).strip().rstrip(";").strip()
    flags = re.IGNORECASE | re.DOTALL
    if found := re.match(r"SET\s+(?:SESSION\s+|LOCAL\s+)?(\w+)", text, flags):
        return "set", None, {"setting": found.group(1).lower()}
    if re.match(r"(BEGIN|COMMIT|START\s+TRANSACTION|ROLLBACK)\b", text, flags):
        return "transaction", None, {}
    dml = re.match(
        rf"(?:WITH\b.*?\)\s*)?(UPDATE\s+(?:ONLY\s+)?|INSERT\s+INTO\s+|DELETE\s+FROM\s+(?:ONLY\s+)?"
        rf"|MERGE\s+INTO\s+)({_QUALIFIED})",
        text,
        flags,
    )
    if dml:
        verb = dml.group(1).split()[0].upper()
        return "dml", unquote(dml.group(2)), {"verb": verb}
    if found := re.match(
        rf"CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
        rf"({_IDENT})?\s*ON\s+(?:ONLY\s+)?({_QUALIFIED})",
        text,
        flags,
    ):
        return (
            "create_index",
            unquote(found.group(4)),
            {
                "name": unquote(found.group(3)) if found.group(3) else None,
                "unique": bool(found.group(1)),
                "concurrently": bool(found.group(2)),
            },
        )
    if found := re.match(
        rf"DROP\s+INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?({_QUALIFIED})",
        text,
        flags,
    ):
        details = {
            "name": unquote(found.group(2)),
            "concurrently": bool(found.group(1)),
        }
        return "drop_index", None, details
    if found := re.match(
        rf"CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({_QUALIFIED})\s*\((.*)\)",
        text,
        flags,
    ):
        table = unquote(found.group(1))
        return "create_table", table, _create_table(table, found.group(2))
    if found := re.match(
        rf"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?({_QUALIFIED})", text, flags
    ):
        return "drop_table", unquote(found.group(1)), {}
    if found := re.match(
        rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_QUALIFIED})\s+(.*)$",
        text,
        flags,
    ):
        op, details = _alter_table(found.group(2))
        return op, unquote(found.group(1)), details
    if found := re.match(
        rf"ALTER\s+TYPE\s+({_QUALIFIED})\s+ADD\s+VALUE\b", text, flags
    ):
        return "add_enum_value", None, {"type": unquote(found.group(1))}
    if re.match(
        r"(CREATE|ALTER|DROP|TRUNCATE|COMMENT|GRANT|REVOKE|REINDEX|CLUSTER|VACUUM)\b",
        text,
        flags,
    ):
        return "ddl", None, {"verb": text.split()[0].upper()}
    return "other", None, {}
