"""`python -m {{ cookiecutter.package_name }}` is what the container runs: start it for real."""

import json
import subprocess
import sys
from pathlib import Path

import httpx
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.engine import URL
{%- endif %}

from tests.server import STARTUP_TIMEOUT_SECONDS, running_server, server_env
{%- if cookiecutter.database == "postgresql" %}


def test_module_entry_point_serves_the_api(database_url: URL, tmp_path: Path) -> None:
    with running_server(database_url, tmp_path) as server:
{%- else %}


def test_module_entry_point_serves_the_api(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
{%- endif %}
        ready = httpx.get(f"{server}/health/ready")
        schema = httpx.get(f"{server}/openapi.json")
        docs = httpx.get(f"{server}/docs")

    assert ready.status_code == 200
    # Production does not describe itself (EXPOSE_OPENAPI)...
    assert schema.status_code == 404
    assert docs.status_code == 404
{%- if cookiecutter.database == "postgresql" %}


def test_the_schema_is_written_from_the_code(database_url: URL, tmp_path: Path) -> None:
{%- else %}


def test_the_schema_is_written_from_the_code(tmp_path: Path) -> None:
{%- endif %}
    """...so the load tester and client generators take it from here."""
    output = tmp_path / "openapi.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}",
            "openapi",
            "--output",
            str(output),
        ],
        env=server_env(
            APP_ENV="test",
{%- if cookiecutter.database == "postgresql" %}
            DATABASE_URL=database_url.render_as_string(hide_password=False),
{%- endif %}
{%- if cookiecutter.use_redis %}
            REDIS_URL="redis://127.0.0.1:6379/0",
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}
            OIDC_ISSUER="https://issuer.invalid",
            OIDC_AUDIENCE="{{ cookiecutter.project_slug }}",
{%- endif %}
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(output.read_text())["paths"]["/health/live"]


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
    assert [line.split(" ")[0] for line in lines] == [
{%- if cookiecutter.database == "postgresql" %}
        "DATABASE_URL",
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}
        "OIDC_ISSUER",
        "OIDC_AUDIENCE",
{%- endif %}
{%- if cookiecutter.use_redis %}
        "REDIS_URL",
{%- endif %}
        "PORT:",
    ]
{%- if cookiecutter.database == "postgresql" %}
    assert lines[0].startswith("DATABASE_URL is not set: ")
{%- endif %}
