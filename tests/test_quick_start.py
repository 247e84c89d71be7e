"""A new user follows the generated README literally, on a freshly baked service.

The commands come from the README's own code blocks and run in order in one
shell, with nothing prepared that the README does not ask for. Two deviations,
both forced by running beside other tests: the server listens on a free port
(PORT), and the database the README names gets a name of this test's own.
"""

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ANSWER_SETS, POSTGRES, free_port, run, subprocess_env

SERVING = re.compile(
    r"^Serving (?P<app>\S+) from (?P<url>\S+) \((?P<source>.+)\)\.", re.M
)
CREDENTIALS = {"email": "ops@example.com", "password": "long enough password"}


def readme_commands(project: Path, heading: str) -> list[str]:
    """The commands of the first console block under a README heading."""
    readme = (project / "README.md").read_text()
    section = readme[readme.index(f"\n{heading}\n") :]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None, f"no console block under {heading!r}"
    return [
        re.sub(r"\s+#\s.*$", "", line).strip()
        for line in block.group(1).splitlines()
        if line.strip()
    ]


@contextmanager
def typed_in_a_shell(
    project: Path, commands: list[str], log: Path, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the commands in one shell, in order; the last one keeps serving.

    On the way out the whole session gets SIGINT, as Ctrl-C at a terminal does.
    """
    with log.open("w") as output:
        shell = subprocess.Popen(
            ["bash", "-c", "set -e\n" + "\n".join(commands)],
            cwd=project,
            env=subprocess_env(**env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield shell
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGINT)
            try:
                shell.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(shell.pid, signal.SIGKILL)
                shell.wait()
                pytest.fail(f"Ctrl-C did not stop it:\n{log.read_text()[-3000:]}")


def wait_until_ready(
    base: str, shell: subprocess.Popen[bytes], log: Path, timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if shell.poll() is not None:
            pytest.fail(f"exited {shell.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base}/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{base} was not ready in {timeout}s:\n{log.read_text()[-4000:]}")


def login(api: httpx.Client) -> dict[str, Any]:
    response = api.post(
        "/auth/token",
        data={"username": CREDENTIALS["email"], "password": CREDENTIALS["password"]},
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def exercise_api_contract(base: str) -> None:
    with httpx.Client(base_url=f"{base}/api/v1") as api:
        assert api.post("/auth/register", json=CREDENTIALS).status_code == 202
        tokens = login(api)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}

        assert (
            api.get("/users/me", headers=headers).json()["email"]
            == CREDENTIALS["email"]
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


def serving_line(log: Path) -> re.Match[str]:
    match = SERVING.search(log.read_text())
    assert match is not None, log.read_text()[-3000:]
    return match


def postgres_is_running(data: Path) -> bool:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def fresh_project(cookies: Any) -> Iterator[Path]:
    """A bake of the defaults of this test's own (its files change as the user works)."""
    result = cookies.bake()
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    yield project
    # Never leave a server behind, even when the test failed half-way.
    if postgres_is_running(data := project / ".postgres"):
        os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGINT)


def test_two_commands_serve_on_a_project_local_postgres(
    fresh_project: Path, tmp_path: Path
) -> None:
    commands = readme_commands(fresh_project, "## Quick start")
    assert commands == ["make install", "make dev"]
    port = str(free_port())
    base = f"http://127.0.0.1:{port}"
    first, second = tmp_path / "first.log", tmp_path / "second.log"

    with typed_in_a_shell(fresh_project, commands, first, PORT=port) as shell:
        wait_until_ready(base, shell, first)
        exercise_api_contract(base)

    serving = serving_line(first)
    assert serving["app"] == base
    assert serving["source"] == "the project-local PostgreSQL in .postgres/"
    database_port = re.search(r"@127\.0\.0\.1:(\d+)/payments_service$", serving["url"])
    assert database_port is not None, serving["url"]
    assert database_port[1] != "5432"
    assert "Stopped the project-local PostgreSQL." in first.read_text()
    assert not postgres_is_running(fresh_project / ".postgres")
    assert "\n.postgres/\n" in (fresh_project / ".gitignore").read_text()

    # The next start reuses the data: the account registered above still logs in.
    with typed_in_a_shell(fresh_project, ["make dev"], second, PORT=port) as shell:
        wait_until_ready(base, shell, second)
        with httpx.Client(base_url=f"{base}/api/v1") as api:
            login(api)
    assert "Created database" not in second.read_text()
    assert not postgres_is_running(fresh_project / ".postgres")


@pytest.mark.parametrize(
    "answer_set",
    [
        pytest.param(name, marks=pytest.mark.xdist_group(name))
        for name in ANSWER_SETS
        if name != "defaults"  # followed step by step above, on fresh bakes
    ],
)
def test_every_answer_sets_quick_start_serves(
    installed: Callable[[str], Path], answer_set: str, tmp_path: Path
) -> None:
    """The README's two commands, on each installed answer set: it serves, Ctrl-C stops."""
    project = installed(answer_set)
    commands = readme_commands(project, "## Quick start")
    assert commands == ["make install", "make dev"]
    port = str(free_port())
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "dev.log"

    with typed_in_a_shell(project, commands, log, PORT=port) as shell:
        wait_until_ready(base, shell, log)
        schema = httpx.get(f"{base}/openapi.json")

    assert schema.status_code == 200
    assert not postgres_is_running(project / ".postgres")


@pytest.fixture
def missing_database() -> Iterator[str]:
    """The name of a database that does not exist yet; dropped afterwards."""
    name = f"quickstart_{uuid.uuid4().hex[:12]}"
    yield name
    run(
        [
            "psql",
            f"{POSTGRES}/postgres",
            "-qc",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        cwd=Path(),
    )


def test_readme_steps_work_on_a_server_without_the_database(
    fresh_project: Path, tmp_path: Path, missing_database: str
) -> None:
    commands = readme_commands(
        fresh_project, "### With a PostgreSQL server of your own"
    )
    assert [command.split("=")[0] for command in commands] == [
        "make install",
        "export DATABASE_URL",
        "make migrate",
        "make run",
    ]
    export = "export DATABASE_URL=postgresql://postgres@localhost:5432/payments_service"
    assert commands[1] == export
    commands[1] = export.replace("payments_service", missing_database)
    port = str(free_port())
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "own-server.log"

    with typed_in_a_shell(fresh_project, commands, log, PORT=port) as shell:
        wait_until_ready(base, shell, log)
        exercise_api_contract(base)

    assert f"Created database '{missing_database}'." in log.read_text()

    # `make dev` serves from that server too, and says so.
    dev_log = tmp_path / "dev.log"
    with typed_in_a_shell(
        fresh_project, [commands[1], "make dev"], dev_log, PORT=port
    ) as shell:
        wait_until_ready(base, shell, dev_log)
        with httpx.Client(base_url=f"{base}/api/v1") as api:
            login(api)
    serving = serving_line(dev_log)
    assert serving["url"] == f"postgresql://postgres@localhost:5432/{missing_database}"
    assert serving["source"] == "DATABASE_URL"
    assert not (fresh_project / ".postgres").exists()


@pytest.fixture
def role_without_createdb() -> Iterator[str]:
    name = f"quickstart_{uuid.uuid4().hex[:12]}"
    run(
        ["psql", f"{POSTGRES}/postgres", "-qc", f'CREATE ROLE "{name}" LOGIN'],
        cwd=Path(),
    )
    yield name
    run(["psql", f"{POSTGRES}/postgres", "-qc", f'DROP ROLE "{name}"'], cwd=Path())


SETUP_FAILURES = {
    "unreachable": (
        "postgresql://postgres@127.0.0.1:1/quickstart",
        "Cannot reach the PostgreSQL server of postgresql://postgres@127.0.0.1:1/quickstart",
    ),
    "login-refused": (
        "postgresql://nobody_here:secret@127.0.0.1:5432/quickstart",
        "PostgreSQL refused the login of postgresql://nobody_here:***@127.0.0.1:5432/quickstart",
    ),
    "wrong-scheme": (
        "mysql://root@127.0.0.1:3306/quickstart",
        "DATABASE_URL must be a postgresql:// URL",
    ),
    "no-database-name": (
        "postgresql://postgres@127.0.0.1:5432",
        "DATABASE_URL names no database",
    ),
}


@pytest.mark.xdist_group("defaults")
@pytest.mark.parametrize("failure", list(SETUP_FAILURES))
def test_setup_failure_is_one_sentence(installed: Any, failure: str) -> None:
    database_url, sentence = SETUP_FAILURES[failure]

    result = make_migrate_fails(installed("defaults"), database_url)

    assert sentence in result
    assert "DATABASE_URL" in result


@pytest.mark.xdist_group("defaults")
def test_a_database_the_user_may_not_create_is_one_sentence(
    installed: Any, role_without_createdb: str
) -> None:
    database_url = (
        f"postgresql://{role_without_createdb}@127.0.0.1:5432/quickstart_nope"
    )

    result = make_migrate_fails(installed("defaults"), database_url)

    assert (
        f"Database 'quickstart_nope' does not exist and user '{role_without_createdb}'"
        " may not create it" in result
    )


@pytest.mark.xdist_group("defaults")
def test_serving_without_a_database_url_is_one_sentence(installed: Any) -> None:
    result = subprocess.run(
        ["make", "run"],
        cwd=installed("defaults"),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "DATABASE_URL is not set: " in result.stderr


def make_migrate_fails(project: Path, database_url: str) -> str:
    """Run `make migrate`; return the one error line it must end with."""
    result = subprocess.run(
        ["make", "migrate"],
        cwd=project,
        env=subprocess_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]
