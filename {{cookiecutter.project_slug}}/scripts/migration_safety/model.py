"""The records passed between the stages: revisions, actions, findings."""

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


class ProjectError(Exception):
    """The project cannot be analysed at all (exit code 2)."""


@dataclass
class Revision:
    """One revision file, parsed but not yet rendered."""

    revision: str
    down_revisions: tuple[str, ...]
    path: Path
    source: str
    tree: ast.Module
    # Lines of the module-level assignments, for findings about the graph.
    revision_line: int
    down_revision_line: int


@dataclass(frozen=True)
class Action:
    """One `op.*` call (rendered or read from source) with what rules need."""

    op: str
    line: int
    table: str | None
    in_transaction: bool
    # Statements between one BEGIN and its COMMIT share a block number.
    block: int
    details: dict[str, Any] = field(default_factory=dict)
    sql: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One rendered SQL statement and where it came from."""

    sql: str
    line: int
    sql_line: int
    sql_end_line: int


@dataclass
class Analysis:
    """Everything known about one revision's upgrade()."""

    revision: Revision
    actions: list[Action]
    statements: list[Statement]
    # Set when the revision could not be rendered; rules then read the source.
    render_error: str | None = None
    # The module could not be imported at all (an application package missing here).
    import_failed: bool = False
    squawk_checked: bool = False
    created_tables: set[str] = field(default_factory=set)

    @property
    def sql_text(self) -> str:
        return "".join(statement.sql + "\n\n" for statement in self.statements)


@dataclass(frozen=True)
class FixRequest:
    """What `--fix` needs to rewrite the `op.*` call behind a finding."""

    kind: Literal[
        "concurrent-index",
        "not-valid",
        "not-null",
        "timeouts",
        "split-foreign-key",
        "unique-using-index",
        "autocommit",
    ]
    table: str | None = None
    name: str | None = None
    column: str | None = None


@dataclass
class Finding:
    rule: str
    severity: Severity
    path: Path
    line: int
    message: str
    source: Literal["squawk", "migration-safety", "live"]
    revision: str | None = None
    impact: str = ""
    recipe: str = ""
    fix: FixRequest | None = None
    sql: str | None = None
    lock_risk: str | None = None
    table: str | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None
