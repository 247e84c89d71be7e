"""`python -m {{ cookiecutter.package_name }}` is what the container runs: start it for real."""

import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy.engine import URL

from tests.server import STARTUP_TIMEOUT_SECONDS, running_server, server_env


def test_module_entry_point_serves_the_api(database_url: URL, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path) as server:
        ready = httpx.get(f"{server}/health/ready")
        schema = httpx.get(f"{server}/openapi.json")
        docs = httpx.get(f"{server}/docs")

    assert ready.status_code == 200
    assert schema.json()["paths"]
    assert docs.status_code == 404


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
{%- if cookiecutter.auth == "oidc" %}
    assert len(lines) == 4
    assert lines[0].startswith("DATABASE_URL is not set: ")
    assert lines[1].startswith("OIDC_ISSUER must be ")
    assert lines[2].startswith("OIDC_AUDIENCE is not set: ")
    assert lines[3].startswith("PORT: ")
{%- else %}
    assert len(lines) == 2
    assert lines[0].startswith("DATABASE_URL is not set: ")
    assert lines[1].startswith("PORT: ")
{%- endif %}
