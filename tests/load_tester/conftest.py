"""A baked service, started for real, and a server that stalls, for the load tester."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES, free_port, run, subprocess_env

STALL_SERVER = Path(__file__).with_name("stall_server.py")


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer 200 within {timeout}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def project(installed: Callable[[str], Path]) -> Path:
    """The default bake, installed: its dev tools include the load tester's."""
    return installed("defaults")


@dataclass(frozen=True)
class LoadTester:
    project: Path

    def __call__(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """Run the tool as a user does, from the project, with its venv's python."""
        return subprocess.run(
            [".venv/bin/python", "scripts/api_load_tester.py", *map(str, args)],
            cwd=self.project,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="session")
def load_tester(project: Path) -> LoadTester:
    return LoadTester(project)


@pytest.fixture(scope="session")
def service(project: Path) -> Iterator[str]:
    """The generated service in production mode on a database of its own."""
    database = f"loadtest_{uuid.uuid4().hex[:12]}"
    psql = ["psql", f"{POSTGRES}/postgres", "-qc"]
    run([*psql, f'CREATE DATABASE "{database}"'], cwd=project)
    database_url = f"{POSTGRES}/{database}"
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Every virtual user registers and logs in from this one address, as in
        # the generated CI's load smoke test.
        "RATE_LIMIT_LOGIN": "1000/minute",
        "RATE_LIMIT_REGISTER": "1000/minute",
        # The tester's default: the schema from the service (off in production).
        "EXPOSE_OPENAPI": "true",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    package = next(p.name for p in (project / "src").iterdir() if p.is_dir())
    server = None
    try:
        run([".venv/bin/python", "-m", "alembic", "upgrade", "head"], project, env)
        server = subprocess.Popen(
            [".venv/bin/python", "-m", package],
            cwd=project,
            env=subprocess_env(**env),
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/health/ready")
        yield base
    finally:
        if server is not None:
            stop(server)
        run([*psql, f'DROP DATABASE "{database}" WITH (FORCE)'], cwd=project)


@pytest.fixture(scope="session")
def stall_server() -> Iterator[Callable[[int, float], str]]:
    """Start servers that freeze for ``stall_s`` on every ``stall_every``-th ping."""
    started: list[subprocess.Popen[bytes]] = []

    def start(stall_every: int, stall_s: float) -> str:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, STALL_SERVER, str(port), str(stall_every), str(stall_s)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        started.append(server)
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/openapi.json")
        return base

    yield start
    for server in started:
        stop(server)


def read_report(directory: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((directory / "report.json").read_text())
    return report
