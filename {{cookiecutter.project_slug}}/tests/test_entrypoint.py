"""`python -m {{ cookiecutter.package_name }}` is what the container runs: start it for real."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import URL

STARTUP_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(database_url: URL) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "APP_ENV": "production",
        "SECRET_KEY": "entrypoint-test-secret-of-enough-length",
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        env=env,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_module_entry_point_serves_the_api(server: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        try:
            response = httpx.get(f"{server}/health/ready")
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.2)

    assert response.status_code == 200
    assert httpx.get(f"{server}/openapi.json").json()["paths"]
    assert httpx.get(f"{server}/docs").status_code == 404
