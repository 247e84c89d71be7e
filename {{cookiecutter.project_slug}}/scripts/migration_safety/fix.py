"""`--fix`: rewrite what is mechanical, in place, as precise text edits.

Each edit replaces the source span of one statement (found by ast position)
and lays the new code out the way ruff format would for these simple calls,
so the rest of the file is left byte for byte. What needs a human (renames,
drops, type changes, backfills) is never rewritten.
"""

import ast
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import sqltext
from .astops import call_name
from .model import Finding, FixRequest
from .project import display
from .source import SourceIndex

LINE_LENGTH = 88
LOCK_TIMEOUT = "5s"
# Long enough for a concurrent build on a big table; raise it in the revision if not.
STATEMENT_TIMEOUT = "15min"
AUTOCOMMIT = "with op.get_context().autocommit_block():"


@dataclass(frozen=True)
class OpCall:
    """An `op.*(...)` call that is a statement of its own: what --fix can rewrite."""

    statement: ast.Expr
    call: ast.Call


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def _py_string(value: str) -> str:
    if '"' in value and "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_call(
    indent: str, func: str, args: list[str], magic_comma: bool = False
) -> str:
    """A call statement as ruff format lays it out (for one-line arguments)."""
    flat = f"{indent}{func}({', '.join(args)})"
    multiline = any("\n" in arg for arg in args)
    if len(flat) <= LINE_LENGTH and not magic_comma and not multiline:
        return flat
    inner = indent + "    "
    body = inner + ", ".join(args)
    if (
        not magic_comma
        and not multiline
        and (len(body) <= LINE_LENGTH or len(args) == 1)
    ):
        return f"{indent}{func}(\n{body}\n{indent})"
    lines = "".join(f"{inner}{arg},\n" for arg in args)
    return f"{indent}{func}(\n{lines}{indent})"


class _File:
    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.source = index.revision.source
        self.offsets = [0]
        for line in self.source.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self.parents = {
            child: parent
            for parent in ast.walk(index.revision.tree)
            for child in ast.iter_child_nodes(parent)
        }

    def offset(self, line: int, column: int) -> int:
        # ast columns count UTF-8 bytes.
        text = self.source[self.offsets[line - 1] : self.offsets[line]]
        return self.offsets[line - 1] + len(
            text.encode()[:column].decode(errors="ignore")
        )

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def op_call(self, line: int) -> OpCall | None:
        node = self.index.statement_at(line)
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "op"
            and not self._has_comment(node)
        ):
            return OpCall(node, node.value)
        return None

    def _has_comment(self, node: ast.stmt) -> bool:
        text = self.source[
            self.offset(node.lineno, node.col_offset) : self.offset(
                node.end_lineno or node.lineno, node.end_col_offset or 0
            )
        ]
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        try:
            return any(token.type == tokenize.COMMENT for token in tokens)
        except tokenize.TokenError:
            return True

    def in_autocommit(self, node: ast.AST) -> bool:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call)
                and isinstance(item.context_expr.func, ast.Attribute)
                and item.context_expr.func.attr == "autocommit_block"
                for item in node.items
            ):
                return True
        return False

    def call_text(
        self, statement: ast.stmt, call: ast.Call, indent: str, extra: dict[str, str]
    ) -> str:
        # An argument spanning lines moves right with the call (into a with block).
        shift = " " * max(len(indent) - statement.col_offset, 0)

        def text(node: ast.expr) -> str:
            return self.segment(node).replace("\n", "\n" + shift)

        args = [text(arg) for arg in call.args]
        present = {kw.arg for kw in call.keywords}
        args += [
            f"{kw.arg}={text(kw.value)}" if kw.arg else f"**{text(kw.value)}"
            for kw in call.keywords
        ]
        args += [f"{key}={value}" for key, value in extra.items() if key not in present]
        closing = self.source[
            : self.offset(call.end_lineno or 0, call.end_col_offset or 0) - 1
        ].rstrip()
        return format_call(indent, self.segment(call.func), args, closing.endswith(","))

    def span(self, statement: ast.stmt) -> tuple[int, int]:
        return self.offsets[statement.lineno - 1], self.offset(
            statement.end_lineno or statement.lineno, statement.end_col_offset or 0
        )


def _indent(statement: ast.stmt) -> str:
    return " " * statement.col_offset


def _has_kwarg(call: ast.Call, name: str) -> bool:
    return any(
        kw.arg == name and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _autocommit(file: _File, calls: list[OpCall], extra: dict[str, str]) -> list[Edit]:
    """Calls moved out of the transaction (with `extra` keywords), one autocommit
    block per run of neighbouring statements."""
    edits = []
    wrap: list[OpCall] = []
    for op in calls:
        if not file.in_autocommit(op.statement):
            wrap.append(op)
        elif any(not _has_kwarg(op.call, name) for name in extra):
            start, end = file.span(op.statement)
            text = file.call_text(op.statement, op.call, _indent(op.statement), extra)
            edits.append(Edit(start, end, text))
    for group in _consecutive(file, wrap):
        start, _ = file.span(group[0].statement)
        _, end = file.span(group[-1].statement)
        indent = _indent(group[0].statement)
        parts = [f"{indent}{AUTOCOMMIT}\n"]
        for position, op in enumerate(group):
            if position:
                previous_end = file.span(group[position - 1].statement)[1]
                between = file.source[previous_end : file.span(op.statement)[0]]
                parts.append(_reindent(between))
            parts.append(file.call_text(op.statement, op.call, indent + "    ", extra))
        edits.append(Edit(start, end, "".join(parts)))
    return edits


def _reindent(text: str) -> str:
    return "".join(
        ("    " + line if line.strip() else line)
        for line in text.splitlines(keepends=True)
    )


def _consecutive(file: _File, calls: list[OpCall]) -> list[list[OpCall]]:
    """Runs of sibling statements, so neighbours share one autocommit block."""
    groups: list[list[OpCall]] = []
    for op in sorted(calls, key=lambda op: op.statement.lineno):
        if groups:
            last = groups[-1][-1].statement
            parent = file.parents.get(op.statement)
            body: list[ast.stmt] = getattr(parent, "body", [])
            if (
                file.parents.get(last) is parent
                and op.statement in body
                and body.index(op.statement) == body.index(last) + 1
            ):
                groups[-1].append(op)
                continue
        groups.append([op])
    return groups


def _validate_block(indent: str, table: str, name: str, schema: str | None) -> str:
    target = _qualified(table, schema)
    sql = f"ALTER TABLE {target} VALIDATE CONSTRAINT {sqltext.quote(name)}"
    return f"{indent}{AUTOCOMMIT}\n" + format_call(
        indent + "    ", "op.execute", [_py_string(sql)]
    )


def _literal_keyword(call: ast.Call, name: str) -> str | None:
    for kw in call.keywords:
        if (
            kw.arg == name
            and isinstance(kw.value, ast.Constant)
            and isinstance(kw.value.value, str)
        ):
            return kw.value.value
    return None


def _not_valid(file: _File, op: OpCall, request: FixRequest) -> list[Edit]:
    statement, call = op.statement, op.call
    usable, schema = _schema_keyword(call)
    if not (usable and request.table and request.name) or _has_kwarg(
        call, "postgresql_not_valid"
    ):
        return []
    indent = _indent(statement)
    start, end = file.span(statement)
    text = file.call_text(statement, call, indent, {"postgresql_not_valid": "True"})
    validate = _validate_block(indent, request.table, request.name, schema)
    return [Edit(start, end, f"{text}\n{validate}")]


def _is_final_name(call: ast.Call) -> bool:
    """op.f("name"): the name is used as written, whatever the convention."""
    first = call.args[0] if call.args else None
    return (
        isinstance(first, ast.Call)
        and isinstance(first.func, ast.Attribute)
        and first.func.attr == "f"
    )


def _not_null(file: _File, op: OpCall, request: FixRequest) -> list[Edit]:
    statement, call = op.statement, op.call
    allowed = {"nullable", "schema"} | {
        kw.arg for kw in call.keywords if kw.arg and kw.arg.startswith("existing_")
    }
    if not (request.table and request.column) or len(call.args) < 2:
        return []
    if any(kw.arg not in allowed for kw in call.keywords):
        return []
    usable, schema = _schema_keyword(call)
    if not usable:
        return []
    indent = _indent(statement)
    name = f"ck_{request.table}_{request.column}_not_null"[:63]
    table_arg = file.segment(call.args[0])
    schema_args = [f"schema={_py_string(schema)}"] if schema else []
    check = format_call(
        indent,
        "op.create_check_constraint",
        [
            f"op.f({_py_string(name)})",
            table_arg,
            _py_string(f"{sqltext.quote(request.column)} IS NOT NULL"),
            *schema_args,
            "postgresql_not_valid=True",
        ],
    )
    validate = _validate_block(indent, request.table, name, schema)
    start, end = file.span(statement)
    original = file.source[start:end]
    drop = format_call(
        indent,
        "op.drop_constraint",
        [f"op.f({_py_string(name)})", table_arg, *schema_args, 'type_="check"'],
    )
    return [Edit(start, end, f"{check}\n{validate}\n{original}\n{drop}")]


def _qualified(table: str, schema: str | None) -> str:
    quoted = sqltext.quote(table)
    return f"{sqltext.quote(schema)}.{quoted}" if schema else quoted


def _schema_keyword(call: ast.Call) -> tuple[bool, str | None]:
    """(usable, schema): a schema= that is not a literal cannot be rewritten."""
    schema = _literal_keyword(call, "schema")
    present = any(kw.arg == "schema" for kw in call.keywords)
    return (not present or schema is not None), schema


FOREIGN_KEY_OPTIONS = {"ondelete", "onupdate", "deferrable", "initially", "name"}


def _split_foreign_key(
    file: _File, op: OpCall, request: FixRequest
) -> list[Edit] | str:
    """add_column(sa.Column(..., sa.ForeignKey(...))) -> the column, then the key
    NOT VALID, then VALIDATE after a COMMIT."""
    statement, call = op.statement, op.call
    usable, schema = _schema_keyword(call)
    column_node = call.args[1] if len(call.args) > 1 else None
    if (
        not usable
        or not request.table
        or len(call.args) != 2
        or any(kw.arg != "schema" for kw in call.keywords)
        or not isinstance(column_node, ast.Call)
        or not column_node.args
        or not isinstance(column_node.args[0], ast.Constant)
        or not isinstance(column_node.args[0].value, str)
    ):
        return "not a plain add_column(table, sa.Column(name, ...))"
    column = column_node.args[0].value
    keys = [
        arg
        for arg in column_node.args
        if isinstance(arg, ast.Call) and call_name(arg) == "ForeignKey"
    ]
    if len(keys) != 1:
        return "more than one foreign key in the column"
    [key] = keys
    target = key.args[0] if key.args else None
    if (
        not isinstance(target, ast.Constant)
        or not isinstance(target.value, str)
        or target.value.count(".") not in (1, 2)
        or any(kw.arg not in FOREIGN_KEY_OPTIONS for kw in key.keywords)
    ):
        return "the foreign key's target is not a literal 'table.column'"
    *referent_schema, referent, remote = target.value.split(".")
    explicit = _literal_keyword(key, "name")
    name = request.name or explicit or f"{request.table}_{column}_fkey"[:63]
    indent = _indent(statement)
    column_text = format_call(
        "",
        file.segment(column_node.func),
        [file.segment(arg) for arg in column_node.args if arg is not key]
        + [
            f"{kw.arg}={file.segment(kw.value)}"
            if kw.arg
            else f"**{file.segment(kw.value)}"
            for kw in column_node.keywords
        ],
    )
    add = format_call(
        indent,
        file.segment(call.func),
        [file.segment(call.args[0]), column_text]
        + ([f"schema={_py_string(schema)}"] if schema else []),
    )
    options = [
        f"{kw.arg}={file.segment(kw.value)}"
        for kw in key.keywords
        if kw.arg and kw.arg != "name"
    ]
    schemas = [f"source_schema={_py_string(schema)}"] if schema else []
    if referent_schema:
        schemas.append(f"referent_schema={_py_string(referent_schema[0])}")
    create = format_call(
        indent,
        "op.create_foreign_key",
        [
            f"op.f({_py_string(name)})",
            file.segment(call.args[0]),
            _py_string(referent),
            f"[{_py_string(column)}]",
            f"[{_py_string(remote)}]",
            *schemas,
            *options,
            "postgresql_not_valid=True",
        ],
    )
    validate = _validate_block(indent, request.table, name, schema)
    start, end = file.span(statement)
    return [Edit(start, end, f"{add}\n{create}\n{validate}")]


def _unique_using_index(
    file: _File, op: OpCall, request: FixRequest, naming_known: bool
) -> list[Edit] | str:
    """A UNIQUE constraint -> its index built concurrently, then ADD CONSTRAINT
    ... UNIQUE USING INDEX (a brief lock, no scan)."""
    statement, call = op.statement, op.call
    usable, schema = _schema_keyword(call)
    if (
        not usable
        or not request.table
        or not request.name
        or len(call.args) != 3
        or any(kw.arg != "schema" for kw in call.keywords)
    ):
        return "not a plain create_unique_constraint(name, table, columns)"
    if not (naming_known or _is_final_name(call)):
        return (
            "env.py's naming convention is unknown, so is the constraint's name "
            "(wrap the name in op.f())"
        )
    indent = _indent(statement)
    inner = indent + "    "
    name = request.name
    schema_args = [f"schema={_py_string(schema)}"] if schema else []
    index = format_call(
        inner,
        "op.create_index",
        [
            f"op.f({_py_string(name)})",
            file.segment(call.args[1]),
            file.segment(call.args[2]),
            "unique=True",
            *schema_args,
            "postgresql_concurrently=True",
        ],
    )
    quoted = sqltext.quote(name)
    sql = (
        f"ALTER TABLE {_qualified(request.table, schema)} "
        f"ADD CONSTRAINT {quoted} UNIQUE USING INDEX {quoted}"
    )
    attach = format_call(indent, "op.execute", [_py_string(sql)])
    start, end = file.span(statement)
    return [Edit(start, end, f"{indent}{AUTOCOMMIT}\n{index}\n{attach}")]


def _timeouts(file: _File, missing: Iterable[str]) -> list[Edit]:
    upgrade = file.index.function("upgrade")
    if upgrade is None or not missing:
        return []
    body = upgrade.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        first = body[1]
    line = first.lineno
    while line > upgrade.lineno + 1 and file.index.lines[line - 2].strip().startswith(
        "#"
    ):
        line -= 1
    indent = _indent(first)
    values = {"lock_timeout": LOCK_TIMEOUT, "statement_timeout": STATEMENT_TIMEOUT}
    text = "".join(
        format_call(
            indent, "op.execute", [_py_string(f"SET {name} = '{values[name]}'")]
        )
        + "\n"
        for name in ("lock_timeout", "statement_timeout")
        if name in missing
    )
    offset = file.offsets[line - 1]
    return [Edit(offset, offset, text)]


def plan(
    findings: list[Finding],
    indexes: dict[Path, SourceIndex],
    set_timeouts: dict[Path, set[str]],
    *,
    naming_known: bool,
) -> tuple[dict[Path, str], list[str]]:
    """New file contents for every file with a mechanical fix, and what was skipped."""
    by_file: dict[Path, list[tuple[Finding, FixRequest]]] = {}
    for item in findings:
        if item.fix is not None:
            by_file.setdefault(item.path, []).append((item, item.fix))
    rewritten: dict[Path, str] = {}
    skipped: list[str] = []
    for path, requests in by_file.items():
        file = _File(indexes[path])
        timeouts_set = set_timeouts.get(path, set())
        edits = _plan_file(file, requests, timeouts_set, skipped, naming_known)
        new = _apply(file.source, edits)
        try:
            ast.parse(new)
        except SyntaxError as error:
            skipped.append(f"{display(path)}: the fix would not parse ({error.msg})")
            continue
        if new != file.source:
            rewritten[path] = new
    return rewritten, skipped


def _plan_file(
    file: _File,
    requests: list[tuple[Finding, FixRequest]],
    timeouts_set: set[str],
    skipped: list[str],
    naming_known: bool,
) -> list[Edit]:
    edits: list[Edit] = []
    seen: set[tuple[int, str]] = set()
    concurrent: list[OpCall] = []
    autocommit: list[OpCall] = []
    for item, request in requests:
        if request.kind == "timeouts":
            if (0, "timeouts") not in seen:
                seen.add((0, "timeouts"))
                missing = {"lock_timeout", "statement_timeout"} - timeouts_set
                edits += _timeouts(file, sorted(missing))
            continue
        located = file.op_call(item.line)
        if located is None:
            skipped.append(
                f"{display(item.path)}:{item.line}: [{item.rule}] is not a plain "
                "op.* statement (or has comments inside): fix it by hand"
            )
            continue
        key = (located.statement.lineno, request.kind)
        if key in seen:
            continue
        seen.add(key)
        if request.kind == "concurrent-index":
            concurrent.append(located)
        elif request.kind == "not-valid":
            if naming_known or _is_final_name(located.call):
                edits += _not_valid(file, located, request)
            else:
                # The VALIDATE must name the constraint as the convention will.
                skipped.append(
                    f"{display(item.path)}:{item.line}: [{item.rule}] left as is: "
                    "env.py's naming convention is unknown, so is the name to "
                    "VALIDATE (wrap the name in op.f())"
                )
        elif request.kind == "not-null":
            edits += _not_null(file, located, request)
        elif request.kind == "autocommit":
            autocommit.append(located)
        elif request.kind in {"split-foreign-key", "unique-using-index"}:
            # The split key's name is pinned with op.f(): no convention applies.
            found = (
                _split_foreign_key(file, located, request)
                if request.kind == "split-foreign-key"
                else _unique_using_index(file, located, request, naming_known)
            )
            if isinstance(found, str):
                skipped.append(
                    f"{display(item.path)}:{item.line}: [{item.rule}] left as is: "
                    f"{found}"
                )
            else:
                edits += found
    concurrently = {"postgresql_concurrently": "True"}
    return (
        edits
        + _autocommit(file, concurrent, concurrently)
        + _autocommit(file, autocommit, {})
    )


def _apply(source: str, edits: list[Edit]) -> str:
    # From the end, so earlier offsets stay valid; a replacement before an insertion at the same place.
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        source = source[: edit.start] + edit.text + source[edit.end :]
    return source
