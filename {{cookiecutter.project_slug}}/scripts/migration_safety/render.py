"""Render one revision's upgrade() to SQL, offline, and trace each statement.

Each revision gets its own MigrationContext in "as_sql" mode: Alembic compiles
every operation and writes it to an output buffer instead of a database. The
buffer below records each statement together with the revision-file line of
the `op.*` call that is running (found by walking the Python stack), so a
finding on the SQL can point at the Python that produced it.
"""

import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from alembic.operations import Operations
from alembic.operations.ops import AlterColumnOp, MigrateOperation
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.schema import MetaData
from sqlalchemy.types import TypeEngine

from . import sqltext
from .model import Action, Analysis, Revision, Statement


class RevisionImportError(Exception):
    """The revision's module cannot be imported in this interpreter."""


@contextmanager
def importable(sys_path: list[Path]) -> Iterator[None]:
    """The project's folders on sys.path while its revisions load and render
    (a revision may import its application inside upgrade())."""
    added = [str(path) for path in sys_path if str(path) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            sys.path.remove(entry)


def import_revision(revision: Revision) -> ModuleType:
    """Import the revision as Alembic does (inside `importable()`)."""
    name = f"_migration_safety_{revision.revision}"
    spec = importlib.util.spec_from_file_location(name, revision.path)
    if spec is None or spec.loader is None:
        raise RevisionImportError(f"{revision.path}: cannot import the revision")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        line = _line_in(error, revision.path)
        where = f"line {line}: " if line else ""
        raise RevisionImportError(
            f"cannot be imported here: {where}{type(error).__name__}: {error}"
        ) from error
    sys.modules[name] = module
    return module


def _line_in(error: BaseException, path: Path) -> int | None:
    traceback = error.__traceback__
    line = None
    while traceback is not None:
        if Path(traceback.tb_frame.f_code.co_filename) == path:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _caller_line(path: str, fallback: int) -> int:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == path:
            return frame.f_lineno or fallback
        frame = frame.f_back
    return fallback


class _Recorder:
    """The output buffer: one `write` per statement (Alembic adds the blank lines)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.reset("", 1)

    def reset(self, path: str, fallback_line: int) -> None:
        self.path = path
        self.fallback_line = fallback_line
        self.statements: list[Statement] = []
        self.actions: list[Action] = []
        self.in_transaction = False
        self.block = 0
        self.sql_line = 0
        self.current: list[tuple[MigrateOperation, int]] = []

    def write(self, text: str) -> None:
        sql = text.strip()
        if not sql:
            return
        op = self.current[0] if self.current else None
        line = op[1] if op else _caller_line(self.path, self.fallback_line)
        lines = sql.count("\n")
        self.statements.append(
            Statement(sql, line, self.sql_line, self.sql_line + lines)
        )
        self.sql_line += lines + 2
        for part in sqltext.split_statements(sql):
            self._record(part, op[0] if op else None, line)

    def flush(self) -> None:
        pass

    def _record(self, sql: str, operation: MigrateOperation | None, line: int) -> None:
        kind, table, details = sqltext.classify(sql)
        if kind == "transaction":
            begin = sql.upper().startswith(("BEGIN", "START"))
            self.in_transaction = begin
            self.block += 1
            return
        if table is None:
            # DROP INDEX names no table; op.drop_index(table_name=...) usually does.
            table = getattr(operation, "table_name", None)
        alembic_op = _op_name(operation)
        details = {
            **details,
            "alembic_op": alembic_op,
            "via_sql": alembic_op in {"execute", None},
        }
        if isinstance(operation, AlterColumnOp) and "type_to" in details:
            details["type_from"] = self._type(operation.existing_type)
        self.actions.append(
            Action(kind, line, table, self.in_transaction, self.block, details, (sql,))
        )

    def _type(self, type_: Any) -> str | None:
        if type_ is None:
            return None
        if isinstance(type_, type):
            type_ = type_()
        if not isinstance(type_, TypeEngine):
            return None
        return sqltext.normalize_type(type_.compile(dialect=self.dialect))


def _op_name(operation: MigrateOperation | None) -> str | None:
    if operation is None:
        return None
    name = type(operation).__name__.removesuffix("Op")
    if name == "ExecuteSQL":
        return "execute"
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Renderer:
    """One SQL-writing MigrationContext, reused for every revision (it is costly)."""

    def __init__(self, dialect: Dialect, target_metadata: MetaData | None) -> None:
        self.recorder = _Recorder(dialect)
        opts: dict[str, Any] = {
            "as_sql": True,
            "output_buffer": self.recorder,
            "transactional_ddl": True,
            "literal_binds": True,
        }
        if target_metadata is not None:
            # Constraint names follow the models' naming convention, as online.
            opts["target_metadata"] = target_metadata
        self.context = MigrationContext.configure(dialect=dialect, opts=opts)
        self.operations = Operations(self.context)
        invoke = self.operations.invoke
        recorder = self.recorder

        def traced(operation: MigrateOperation) -> Any:
            line = _caller_line(recorder.path, recorder.fallback_line)
            recorder.current.append((operation, line))
            try:
                return invoke(operation)
            finally:
                recorder.current.pop()

        # Every op.* call reaches invoke() on this instance; shadowing it there
        # traces them all (a subclass would not get the `op` proxy installed).
        object.__setattr__(self.operations, "invoke", traced)

    def __enter__(self) -> "Renderer":
        self.operations._install_proxy()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.operations._remove_proxy()

    def render(self, revision: Revision, module: ModuleType) -> Analysis:
        """Run upgrade() against the SQL-writing context; never touches a database."""
        upgrade = getattr(module, "upgrade", None)
        analysis = Analysis(revision=revision, actions=[], statements=[])
        if not callable(upgrade):
            analysis.render_error = "the revision has no upgrade()"
            return analysis
        code = getattr(upgrade, "__code__", None)
        self.recorder.reset(str(revision.path), code.co_firstlineno if code else 1)
        try:
            with self.context.begin_transaction():
                upgrade()
        except Exception as error:
            # Whatever upgrade() needs that offline mode lacks, the source rules
            # take over.
            analysis.render_error = f"{type(error).__name__}: {error}"
        analysis.statements = self.recorder.statements
        analysis.actions = self.recorder.actions
        return analysis
