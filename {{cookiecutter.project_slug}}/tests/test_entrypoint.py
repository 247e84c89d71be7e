"""`python -m {{ cookiecutter.package_name }}` is what the container runs: start it for real."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

STARTUP_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(**settings: str) -> dict[str, str]:
    """Only these settings: nothing from the developer's shell."""
    inherited = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return inherited | settings


@pytest.fixture
def server(database_url: URL, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = server_env(
        APP_ENV="production",
        SECRET_KEY="entrypoint-test-secret-of-enough-length",
        DATABASE_URL=database_url.render_as_string(hide_password=False),
        HOST="127.0.0.1",
        PORT=str(port),
    )
    # Started outside the project, so no .env is read.
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        env=env,
        cwd=tmp_path,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_until_serving(base: str) -> httpx.Response:
    """The first answer of /health/ready once the server accepts connections."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        try:
            return httpx.get(f"{base}/health/ready")
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.2)


def test_module_entry_point_serves_the_api(server: str) -> None:
    response = wait_until_serving(server)

    assert response.status_code == 200
    assert httpx.get(f"{server}/openapi.json").json()["paths"]
    assert httpx.get(f"{server}/docs").status_code == 404


def test_module_entry_point_explains_a_missing_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        env=server_env(PORT="not-a-port"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("DATABASE_URL is not set: ")
    assert lines[1].startswith("PORT: ")
