"""The command line as a user meets it: clean runs, errors, formats, suppressions."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ANSWER_SETS
from tests.matrix import answer
from tests.migration_tool.helpers import (
    CASE_FILE,
    Case,
    build_project,
    run_tool,
)

pytestmark = pytest.mark.xdist_group("defaults")

INDEX_CASE = Case("create_index_existing_table")
INDEX_LINE = 17  # `op.create_index(...)` in that case's unsafe revision


def revision_of(project: Path) -> Path:
    return project / "migrations" / "versions" / CASE_FILE


@pytest.mark.parametrize(
    "answer_set",
    [
        name
        for name, answers in ANSWER_SETS.items()
        if answer(answers, "database") != "none"
    ],
)
def test_every_answer_sets_migrations_pass_cleanly(
    service: Path, bake: Callable[[str], Path], answer_set: str
) -> None:
    """Whatever the options leave in the initial revision, even nothing at all."""
    result = run_tool(service, bake(answer_set), "--format", "json")

    assert result.returncode == 0, result.describe()
    assert result.findings == []
    assert "not rendered offline" not in result.stderr


def test_text_report_explains_each_finding_and_shows_sql(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")

    result = run_tool(service, project, "--verbose")

    assert result.returncode == 1
    location = f"migrations/versions/{CASE_FILE}:{INDEX_LINE}: error"
    assert f"{location} [require-concurrent-index-creation]" in result.stdout
    assert "in production: The build takes a SHARE lock on items" in result.stdout
    assert "safe recipe: Run it CONCURRENTLY" in result.stdout
    assert "[fixable: --fix]" in result.stdout
    # --verbose: the revision's own SQL, each statement under its Python line.
    assert f"-- line {INDEX_LINE}\nCREATE INDEX ix_items_name ON items (name);" in (
        result.stdout
    )
    assert "1 error" in result.stdout.splitlines()[-1]


def test_autocommit_block_renders_as_commit_then_begin(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "safe")

    result = run_tool(service, project, "--verbose")

    statements = [
        line
        for line in result.stdout.splitlines()
        if line.endswith(";") and not line.startswith("--")
    ]
    case_statements = statements[statements.index("COMMIT;") + 1 :]
    assert [s.split(" (")[0] for s in case_statements] == [
        "BEGIN;",
        "SET lock_timeout = '5s';",
        "SET statement_timeout = '15min';",
        "COMMIT;",
        "CREATE INDEX CONCURRENTLY ix_items_name ON items",
        "BEGIN;",
        "COMMIT;",
    ]


def test_no_alembic_project_is_a_usage_error(service: Path, tmp_path: Path) -> None:
    result = run_tool(service, tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no Alembic project under {tmp_path}: no alembic.ini, [tool.alembic] "
        "in pyproject.toml or folder with env.py and versions/ (searched 5 levels); "
        "pass --script-location FOLDER or --config FILE"
    ]
    assert result.stdout == ""


def test_revision_python_cannot_parse_is_reported_and_the_run_goes_on(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")
    revision = revision_of(project)
    revision.write_text(revision.read_text().replace("def upgrade()", "def upgrade("))

    result = run_tool(service, project, "--format", "json")

    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.stderr
    [finding] = result.findings
    assert finding["rule"] == "unreadable-revision"
    assert finding["file"] == f"migrations/versions/{CASE_FILE}"
    assert "cannot parse the revision" in finding["message"]
    # The rest of the history is still checked: the base revision is there.
    assert "migrations in migrations (alembic.ini [alembic] script_location)" in (
        result.stderr
    )


def test_bad_argument_is_a_usage_error(service: Path, tmp_path: Path) -> None:
    result = run_tool(service, tmp_path, "--format", "xml")

    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr


def test_missing_squawk_falls_back_to_source_rules(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")

    result = run_tool(
        service, project, "--format", "json", "--squawk", "/nowhere/squawk"
    )

    assert "note: squawk not found (/nowhere/squawk)" in result.stderr
    assert "falling back to built-in rules" in result.stderr
    assert result.found() == {
        (
            f"migrations/versions/{CASE_FILE}",
            INDEX_LINE,
            "require-concurrent-index-creation",
        )
    }
    assert result.findings[0]["source"] == "migration-safety"


def test_suppression_needs_a_reason(service: Path, tmp_path: Path) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")
    revision = revision_of(project)
    suppressed = "    # migration-safety: ignore[require-concurrent-index-creation]\n"
    lines = revision.read_text().splitlines(keepends=True)
    lines.insert(INDEX_LINE - 1, suppressed)
    revision.write_text("".join(lines))

    result = run_tool(service, project, "--format", "json")

    assert {(f["line"], f["rule"]) for f in result.findings} == {
        (INDEX_LINE, "suppression-without-reason"),
        (INDEX_LINE + 1, "require-concurrent-index-creation"),
    }


def test_suppression_with_reason_silences_and_stale_one_is_reported(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")
    revision = revision_of(project)
    text = revision.read_text().replace(
        'op.create_index("ix_items_name", "items", ["name"], unique=False)',
        'op.create_index("ix_items_name", "items", ["name"], unique=False)'
        "  # migration-safety: ignore[require-concurrent-index-creation] items is tiny\n"
        "    # migration-safety: ignore[ban-drop-table] nothing is dropped here\n"
        '    op.execute("SELECT 1")',
    )
    revision.write_text(text)

    result = run_tool(service, project, "--format", "json")

    assert {(f["line"], f["rule"]) for f in result.findings} == {
        (INDEX_LINE + 1, "unused-suppression")
    }
    assert result.returncode == 0


def test_fail_on_chooses_the_severity_that_fails(service: Path, tmp_path: Path) -> None:
    project = build_project(
        service, tmp_path / "project", Case("json_column"), "unsafe"
    )

    default = run_tool(service, project, "--format", "json")
    strict = run_tool(service, project, "--format", "json", "--fail-on", "warning")

    assert [f["severity"] for f in default.findings] == ["warning"]
    assert default.returncode == 0
    assert strict.returncode == 1


def test_env_py_timeouts_cover_every_revision(service: Path, tmp_path: Path) -> None:
    project = build_project(
        service, tmp_path / "project", Case("missing_lock_timeout"), "unsafe"
    )
    env_py = project / "migrations" / "env.py"
    env_py.write_text(
        env_py.read_text().replace(
            "        context.run_migrations()",
            "        context.execute(\"SET lock_timeout = '5s'\")\n"
            "        context.run_migrations()",
        )
    )

    result = run_tool(service, project, "--format", "json")

    assert result.findings == [], result.describe()


def test_sarif_report_annotates_the_migration_line(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(service, tmp_path / "project", INDEX_CASE, "unsafe")
    report = tmp_path / "report.sarif"

    result = run_tool(service, project, "--format", "sarif", "--output", str(report))

    assert result.returncode == 1
    sarif = json.loads(report.read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "migration-safety"
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["id"] == "require-concurrent-index-creation"
    assert "{" not in rule["fullDescription"]["text"]
    [finding] = run["results"]
    assert finding["ruleId"] == rule["id"]
    assert finding["level"] == "error"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == f"migrations/versions/{CASE_FILE}"
    assert location["region"]["startLine"] == INDEX_LINE


def test_gitlab_report_is_code_quality_json(service: Path, tmp_path: Path) -> None:
    project = build_project(
        service, tmp_path / "project", Case("foreign_key_existing_table"), "unsafe"
    )

    result = run_tool(service, project, "--format", "gitlab")

    issues = json.loads(result.stdout)
    # One finding per hazard: the key is not also "constraint-missing-not-valid".
    assert [issue["check_name"] for issue in issues] == [
        "adding-foreign-key-constraint"
    ]
    assert all(issue["severity"] == "critical" for issue in issues)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert {issue["location"]["path"] for issue in issues} == {
        f"migrations/versions/{CASE_FILE}"
    }
