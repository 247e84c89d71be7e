"""`python -m {{ cookiecutter.package_name }} api-keys ...`, run as an operator runs it."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL

from {{ cookiecutter.package_name }}.auth import cli, service
from {{ cookiecutter.package_name }}.config import Settings

{% if cookiecutter.use_redis -%}
from tests.server import redis_url, server_env
{%- else -%}
from tests.server import server_env
{%- endif %}


def api_keys(
    database_url: URL, workdir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "api-keys", *args],
        env=server_env(
            APP_ENV="production",
            DATABASE_URL=database_url.render_as_string(hide_password=False),
{%- if cookiecutter.use_redis %}
            REDIS_URL=redis_url(),
{%- endif %}
        ),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_operator_creates_a_key_from_the_shell(
    database_url: URL, tmp_path: Path
) -> None:
    created = api_keys(
        database_url,
        tmp_path,
        "create",
        "--name=nightly reconciliation",
        "--owner=reconciler",
        "--scope=items:read",
    )

    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("sk_")
    assert created.stdout == key + "\n"  # the key alone: `KEY=$(... create ...)`
    assert key not in created.stderr


async def command(settings: Settings, *args: str) -> int:
    return await cli.run(cli.parser().parse_args(args), settings)


async def test_create_list_revoke(
    app: FastAPI, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await command(
        settings, "create", "--name=ledger", "--owner=reconciler", "--scope=items:read"
    )
    created = capsys.readouterr()
    key = created.out.strip()
    key_id = created.err.split()[1]
    principal = await service.authenticate(engine=app.state.engine, key=key)

    await command(settings, "list")
    listed = capsys.readouterr().out
    revoked = await command(settings, "revoke", key_id)
    unknown = await command(settings, "revoke", str(uuid.uuid4()))

    assert principal is not None
    assert principal.id == "reconciler"
    assert principal.scopes == {"items:read"}
    assert key_id in listed
    assert key not in listed
    assert "active" in listed
    assert revoked == 0
    assert unknown == 1
    assert await service.authenticate(engine=app.state.engine, key=key) is None
    await command(settings, "list")
    assert "revoked" in capsys.readouterr().out


def test_bad_input_is_one_line_and_nothing_is_created(
    database_url: URL, tmp_path: Path
) -> None:
    result = api_keys(
        database_url, tmp_path, "create", "--name=x", "--owner=y", "--scope=admin"
    )
    expiry = api_keys(
        database_url, tmp_path, "create", "--name=x", "--owner=y", "--expires-in-days=0"
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: a scope is resource:action, such as items:read; got 'admin'"
    ]
    assert expiry.returncode == 2
    assert expiry.stderr.strip() == "error: --expires-in-days must be 1 or more"
