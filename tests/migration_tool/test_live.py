"""--database-url and --scratch-database-url against the real PostgreSQL server.

The server is shared: each test run works in a database of its own, with a
random name, dropped at the end.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.migration_tool.helpers import (
    CASE_FILE,
    SERVER,
    Case,
    build_project,
    psql,
    run_tool,
    scratch_database,
    upgrade,
)

pytestmark = pytest.mark.xdist_group("defaults")

# 200,000 items: enough that the table grades as large (>= 100,000 rows).
SCHEMA_PROBLEMS = """
INSERT INTO users (id, email, password_hash)
SELECT gen_random_uuid(), 'user' || g || '@example.com', 'hash'
FROM generate_series(1, 100) AS g;
INSERT INTO items (id, owner_id, name, version)
SELECT gen_random_uuid(), (SELECT id FROM users LIMIT 1), 'item ' || g, 1
FROM generate_series(1, 200000) AS g;
CREATE INDEX ix_items_name_copy_a ON items (name);
CREATE INDEX ix_items_name_copy_b ON items (name);
CREATE TABLE ledger_entries (id serial PRIMARY KEY, amount numeric NOT NULL);
SELECT setval('ledger_entries_id_seq', 2000000000);
CREATE TABLE audit_events (
    user_id uuid REFERENCES users (id),
    message text
);
ANALYZE;
"""


@pytest.fixture(scope="module")
def live_database(service: Path) -> Iterator[str]:
    """The service's schema at its head, a large items table and some known faults."""
    with scratch_database() as url:
        upgrade(service, service, url)
        psql(url.rsplit("/", 1)[1], SCHEMA_PROBLEMS)
        yield url


def test_live_look_grades_lock_risk_and_finds_schema_faults(
    service: Path, tmp_path: Path, live_database: str
) -> None:
    project = build_project(
        service, tmp_path / "project", Case("missing_lock_timeout"), "unsafe"
    )

    result = run_tool(
        service, project, "--format", "json", "--database-url", live_database
    )

    by_rule = {finding["rule"]: finding for finding in result.findings}
    timeout = by_rule["missing-lock-timeout"]
    assert timeout["file"] == f"migrations/versions/{CASE_FILE}"
    assert timeout["lock_risk"].startswith("large table (~")
    # A warning on a small table; on a large one the missing timeout is an outage.
    assert timeout["severity"] == "error"
    assert by_rule["fk-without-index"]["message"].startswith("foreign key audit_events")
    assert "ix_items_name_copy_b" in by_rule["duplicate-index"]["message"]
    overflow = by_rule["integer-key-overflow"]
    assert overflow["message"].startswith("ledger_entries.id (integer) has used 93.1%")
    assert overflow["severity"] == "error"
    assert "audit_events" in by_rule["table-without-primary-key"]["message"]
    # The items table was created by the service's initial revision: point there.
    assert (
        by_rule["duplicate-index"]["file"]
        == "migrations/versions/2026-11-26_initial.py"
    )
    # The database is not at this project's head, so drift is not judged on it.
    assert "drift not checked on --database-url" in result.stderr
    assert result.returncode == 1


def test_live_database_at_head_is_compared_with_the_models(
    service: Path, live_database: str
) -> None:
    result = run_tool(
        service, service, "--format", "json", "--database-url", live_database
    )

    [drift] = [f for f in result.findings if f["rule"] == "model-drift"]
    assert "table ledger_entries in the database only" in drift["message"]
    assert (
        "index ix_items_name_copy_a on items in the database only" in drift["message"]
    )


def test_scratch_database_shows_drift_between_models_and_migrations(
    service: Path, tmp_path: Path
) -> None:
    clean = run_tool(
        service,
        service,
        "--format",
        "json",
        "--scratch-database-url",
        f"{SERVER}/postgres",
    )
    project = build_project(
        service, tmp_path / "project", Case("add_required_column"), "safe"
    )
    drifted = run_tool(
        service,
        project,
        "--format",
        "json",
        "--scratch-database-url",
        f"{SERVER}/postgres",
    )

    assert clean.findings == [], clean.describe()
    assert clean.returncode == 0
    [drift] = drifted.findings
    assert drift["rule"] == "model-drift"
    assert drift["message"] == (
        "the models differ from the schema the migrations build: "
        "column items.priority in the database only"
    )
    assert (drift["file"], drift["line"]) == (f"migrations/versions/{CASE_FILE}", 8)
