"""The service started for real, as `python -m {{ cookiecutter.package_name }}`, on a free port."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.engine import URL
{%- endif %}

STARTUP_TIMEOUT_SECONDS = 30
SHUTDOWN_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(**settings: str) -> dict[str, str]:
    """Only these settings: nothing from the developer's shell (but coverage's own)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME") or key.startswith("COVERAGE_")
    }
    return inherited | settings
{%- if cookiecutter.use_redis %}


def redis_url() -> str:
    """The Redis tests count rate limits in: TEST_REDIS_URL, else this machine's."""
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
{%- endif %}


def wait_until_serving(base: str) -> httpx.Response:
    """The first answer of /health/ready once the server accepts connections."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        try:
            return httpx.get(f"{base}/health/ready")
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.2)


@contextmanager
{%- if cookiecutter.database == "postgresql" %}
def running_server(database_url: URL, workdir: Path, **settings: str) -> Iterator[str]:
{%- else %}
def running_server(workdir: Path, **settings: str) -> Iterator[str]:
{%- endif %}
    """Serve in production mode with these settings; yield the base URL once up.

    It starts in `workdir`, outside the project, so no `.env` is read.
    """
    port = free_port()
    defaults = {
        "APP_ENV": "production",
{%- if cookiecutter.use_redis %}
        "REDIS_URL": redis_url(),
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
        "SECRET_KEY": "test-server-secret-of-enough-length",
{%- elif cookiecutter.auth == "oidc" %}
        # Never contacted unless a test names its own issuer.
        "OIDC_ISSUER": "https://issuer.invalid",
        "OIDC_AUDIENCE": "{{ cookiecutter.project_slug }}",
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
{%- endif %}
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env = server_env(**(defaults | settings))
    process = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        env=env,
        cwd=workdir,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
