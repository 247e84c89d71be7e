"""Golden corpus: each unsafe migration is flagged where it is, each safe one is not.

Every case in corpus/ is one revision on top of the service's initial revision
(so users, items and refresh_tokens are existing tables). `# flagged as RULE`
above a line says which findings the unsafe variant must produce there: no
more, no fewer. `fixed.py.txt`, where present, is what `--fix` must write.
"""

import shutil
from pathlib import Path

import pytest

from tests.conftest import run
from tests.migration_tool.helpers import (
    CASE_FILE,
    CORPUS,
    WITHOUT_ENV_TIMEOUT,
    Case,
    build_project,
    cases,
    expected_findings,
    run_tool,
    scratch_database,
    upgrade,
)

# The one case whose revision does not render offline: it reads op.get_bind().
SOURCE_RULES_ONLY = {"needs_live_connection"}
# Renames, drops, type changes, backfills, volatile defaults: a human decides.
NEEDS_A_HUMAN = {
    "rename_column",
    "drop_column",
    "widen_integer_key",
    "backfill_in_transaction",
    "volatile_default",
}


# Cases whose findings come from squawk: without it, the built-in rules must agree.
SQUAWK_CASES = {
    "create_index_existing_table",
    "drop_index_existing_table",
    "concurrent_index_in_transaction",
    "foreign_key_existing_table",
    "check_constraint_existing_table",
    "set_not_null",
    "add_required_column",
    "volatile_default",
    "drop_column",
    "drop_table",
    "rename_column",
    "rename_table",
    "unique_constraint",
    "timestamp_without_time_zone",
    "raw_sql_index",
    "index_after_alter",
}


def by_case(
    *, fixable: bool | None = None, names: set[str] | None = None
) -> list[object]:
    return [
        pytest.param(case, id=case.name, marks=pytest.mark.xdist_group("defaults"))
        for case in cases()
        if (fixable is None or case.fixable == fixable)
        and (names is None or case.name in names)
    ]


def rendered_offline(stderr: str) -> bool:
    return "not rendered offline" not in stderr


def test_corpus_has_twenty_cases_or_more() -> None:
    assert len(cases()) >= 20
    assert all(case.variant("unsafe").is_file() for case in cases())
    assert all(case.variant("safe").is_file() for case in cases())


@pytest.mark.parametrize("case", by_case())
def test_unsafe_migration_is_flagged_at_its_line(
    service: Path, tmp_path: Path, case: Case
) -> None:
    project = build_project(service, tmp_path / "project", case, "unsafe")

    result = run_tool(service, project, "--format", "json")

    assert result.returncode in (0, 1), result.describe()
    assert result.found() == expected_findings(project), result.describe()
    assert rendered_offline(result.stderr) == (case.name not in SOURCE_RULES_ONLY)
    assert "squawk not found" not in result.stderr


@pytest.mark.parametrize("case", by_case(names=SQUAWK_CASES))
def test_built_in_rules_agree_with_squawk_when_it_is_missing(
    service: Path, tmp_path: Path, case: Case
) -> None:
    project = build_project(service, tmp_path / "project", case, "unsafe")

    result = run_tool(service, project, "--format", "json", "--no-squawk")

    assert result.found() == expected_findings(project), result.describe()
    assert "squawk disabled" in result.stderr


@pytest.mark.parametrize("case", by_case())
def test_safe_counterpart_raises_nothing(
    service: Path, tmp_path: Path, case: Case
) -> None:
    project = build_project(service, tmp_path / "project", case, "safe")

    result = run_tool(service, project, "--format", "json")

    assert result.returncode == 0, result.describe()
    assert result.findings == [], result.describe()


@pytest.mark.parametrize("case", by_case(fixable=True))
def test_fix_rewrites_to_the_golden_file_and_is_idempotent(
    service: Path, tmp_path: Path, case: Case
) -> None:
    project = build_project(service, tmp_path / "project", case, "unsafe")
    revision = project / "migrations" / "versions" / CASE_FILE

    fixed = run_tool(service, project, "--format", "json", "--fix")

    assert fixed.returncode == 0, fixed.describe()
    assert fixed.findings == [], fixed.describe()
    assert rendered_offline(fixed.stderr), fixed.describe()
    assert revision.read_text() == case.variant("fixed").read_text()

    again = run_tool(service, project, "--format", "json", "--fix")

    assert again.findings == [], again.describe()
    assert "rewrote" not in again.stderr
    assert revision.read_text() == case.variant("fixed").read_text()


@pytest.mark.parametrize("case", by_case(fixable=True))
def test_what_fix_writes_runs_on_a_real_postgresql(
    service: Path, tmp_path: Path, case: Case
) -> None:
    """Quoting, names, autocommit blocks: PostgreSQL itself accepts every fix."""
    project = build_project(service, tmp_path / "project", case, "unsafe")
    fixed = run_tool(service, project, "--format", "json", "--fix")
    assert "rewrote 1 file(s)" in fixed.stderr, fixed.describe()

    with scratch_database() as url:
        upgrade(service, project, url)


@pytest.mark.parametrize("case", by_case(names=NEEDS_A_HUMAN))
def test_fix_leaves_what_needs_a_human(
    service: Path, tmp_path: Path, case: Case
) -> None:
    project = build_project(service, tmp_path / "project", case, "unsafe")
    revision = project / "migrations" / "versions" / CASE_FILE
    before = revision.read_text()

    result = run_tool(service, project, "--format", "json", "--fix")

    assert revision.read_text() == before
    assert result.findings, result.describe()
    assert all(finding["recipe"] for finding in result.findings)
    assert not any(finding["fixable"] for finding in result.findings)


@pytest.mark.xdist_group("defaults")
def test_corpus_files_are_ruff_clean(service: Path, tmp_path: Path) -> None:
    """The corpus (and what --fix writes) reads like the service's own code."""
    for source in CORPUS.glob("*/*.py.txt"):
        target = tmp_path / source.parent.name / source.name.removesuffix(".txt")
        target.parent.mkdir(exist_ok=True)
        shutil.copy(source, target)
    config = str(service / "pyproject.toml")
    ruff = str(service / ".venv" / "bin" / "ruff")

    run([ruff, "check", "--config", config, "."], cwd=tmp_path)
    run([ruff, "format", "--check", "--config", config, "."], cwd=tmp_path)


@pytest.mark.xdist_group("defaults")
def test_the_services_env_py_timeout_covers_every_revision(
    service: Path, tmp_path: Path
) -> None:
    project = build_project(
        service,
        tmp_path / "project",
        Case(WITHOUT_ENV_TIMEOUT),
        "unsafe",
        keep_env_timeout=True,
    )

    result = run_tool(service, project, "--format", "json")

    assert "missing-lock-timeout" not in {f["rule"] for f in result.findings}
