"""Run squawk once over every revision's SQL and map its findings back.

One process for the whole history (squawk takes many files) keeps a 200-revision
project fast; each revision still gets a file of its own, so an index on a table
created by an earlier revision is judged as what it is: an index on an existing
table.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .catalog import RULES, finding
from .model import Action, Analysis, Finding
from .rules import default_name, fix_for, is_existing, not_null_proven

# squawk's defaults, less what is noise on Alembic's output or done better here:
EXCLUDED_RULES = (
    # Alembic records what ran in alembic_version and wraps each revision in a
    # transaction; IF [NOT] EXISTS would only hide a schema that drifted.
    "prefer-robust-stmts",
    # The models use String(n) on purpose; a varchar length change is judged by
    # unsafe-type-change (widening is catalog-only).
    "prefer-text-field",
    # Flags every Integer (counters, versions); keys near overflow are found on
    # the live database (--database-url), where it matters.
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    # missing-lock-timeout checks this per revision and knows about env.py.
    "require-timeout-settings",
    "require-lock-timeout",
    "require-statement-timeout",
    # unsafe-type-change has a safe list (varchar -> text, widening) squawk lacks.
    "changing-column-type",
    # SQLAlchemy renders an Integer primary key as SERIAL; identity columns are a
    # style choice, not a migration hazard (and would flag every such table).
    "prefer-identity",
    # Appending a value is the usual intent; the order only shows in ORDER BY.
    # enum-value-in-transaction covers what breaks deploys.
    "require-enum-value-ordering",
)
# Lock rules mean nothing on a table the same revision created: it is empty and
# nobody else can see it until COMMIT.
LOCK_RULES = frozenset(
    {
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "adding-foreign-key-constraint",
        "constraint-missing-not-valid",
        "adding-not-nullable-field",
        "adding-required-field",
        "adding-field-with-default",
        "disallowed-unique-constraint",
        "adding-serial-primary-key-field",
        "ban-drop-column",
        "renaming-column",
        "adding-check-constraint",
    }
)
# Files per squawk process: stays far below any command-line length limit.
BATCH = 400


class SquawkError(Exception):
    pass


def find_squawk(explicit: str | None) -> Path | None:
    if explicit is not None:
        path = Path(explicit)
        return path if path.is_file() else None
    beside = Path(sys.executable).parent / (
        "squawk.exe" if sys.platform == "win32" else "squawk"
    )
    if beside.is_file():
        return beside
    found = shutil.which("squawk")
    return Path(found) if found else None


def run_squawk(
    binary: Path, analyses: list[Analysis], pg_version: int
) -> dict[int, list[dict[str, Any]]]:
    """squawk's raw findings, by position of the analysis in `analyses`."""
    results: dict[int, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="migration-safety-") as tmp:
        files: dict[str, int] = {}
        for position, analysis in enumerate(analyses):
            file = Path(tmp) / f"{position:05d}.sql"
            file.write_text(analysis.sql_text, encoding="utf-8")
            files[file.name] = position
        names = sorted(files)
        for start in range(0, len(names), BATCH):
            for raw in _invoke(binary, names[start : start + BATCH], tmp, pg_version):
                owner = files.get(Path(str(raw.get("file", ""))).name)
                if owner is not None:
                    results.setdefault(owner, []).append(raw)
    return results


def _invoke(
    binary: Path, names: list[str], cwd: str, pg_version: int
) -> list[dict[str, Any]]:
    command = [
        str(binary),
        "--reporter",
        "json",
        "--pg-version",
        f"{pg_version}.0",
        "--exclude",
        ",".join(EXCLUDED_RULES),
        *names,
    ]
    try:
        # The binary is the pinned squawk-cli wheel's (or the user's own, by path).
        completed = subprocess.run(  # noqa: S603
            command, cwd=cwd, capture_output=True, text=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SquawkError(f"squawk could not run: {error}") from error
    if completed.returncode not in (0, 1):
        message = (completed.stderr or completed.stdout).strip().splitlines()
        raise SquawkError(
            f"squawk exited {completed.returncode}: {' '.join(message[:2])}"
        )
    try:
        parsed = json.loads(completed.stdout or "[]")
    except json.JSONDecodeError as error:
        raise SquawkError(f"squawk printed no JSON: {error}") from error
    return [item for item in parsed if isinstance(item, dict)]


def _action_for(analysis: Analysis, sql_line: int) -> tuple[int, Action | None]:
    """The Python line and the action behind a (0-based) line of the SQL file."""
    for statement in analysis.statements:
        if statement.sql_line <= sql_line <= statement.sql_end_line:
            text = statement.sql.splitlines()[sql_line - statement.sql_line].strip()
            candidates = [
                action
                for action in analysis.actions
                if action.line == statement.line
                and action.sql
                and action.sql[0] in statement.sql
            ]
            for action in candidates:
                if text and text in action.sql[0]:
                    return statement.line, action
            return statement.line, candidates[0] if candidates else None
    return analysis.revision.revision_line, None


def _added_here(analysis: Analysis) -> set[str]:
    """Constraints this revision adds, unnamed ones under PostgreSQL's default name."""
    return {
        name
        for action in analysis.actions
        if action.op == "add_constraint"
        and (name := action.details.get("name") or default_name(action))
    }


def squawk_findings(
    analysis: Analysis, raw_findings: list[dict[str, Any]], pg_version: int
) -> list[Finding]:
    found = []
    parse_errors: set[int] = set()
    for raw in raw_findings:
        rule = str(raw.get("rule_name", "squawk"))
        line, action = _action_for(analysis, int(raw.get("line", 0)))
        if rule == "syntax-error":
            # squawk reports every token after the first error: one is enough.
            if line in parse_errors:
                continue
            parse_errors.add(line)
        if (
            action is not None
            and rule in LOCK_RULES
            and not is_existing(action, analysis)
        ):
            continue
        if (
            rule == "constraint-missing-not-valid"
            and action is not None
            and action.details.get("type") in {"unique", "primary", "foreignkey"}
        ):
            # One finding per hazard: a foreign key is adding-foreign-key-constraint;
            # UNIQUE and PRIMARY KEY cannot be NOT VALID (their own rule says why).
            continue
        if (
            rule == "ban-drop-constraint"
            and action is not None
            and action.details.get("name") in _added_here(analysis)
        ):
            # Dropped and added again in this revision (a key re-pointed, the
            # temporary CHECK of the NOT NULL recipe): no guarantee is lost.
            continue
        if (
            rule == "adding-not-nullable-field"
            and action is not None
            and not_null_proven(analysis, action)
        ):
            continue
        found.append(
            finding(
                rule,
                analysis.revision.path,
                line,
                revision=analysis.revision.revision,
                source="squawk",
                fix=fix_for(rule, action, pg_version) if action else None,
                sql=action.sql[0] if action and action.sql else None,
                recipe=None if rule in RULES else str(raw.get("help") or ""),
                message=None if rule in RULES else str(raw.get("message") or rule),
                table=action.table if action else None,
                column=action.details.get("column") if action else None,
                name=action.details.get("name") if action else None,
                detail=str(raw.get("message") or ""),
            )
        )
    return found
