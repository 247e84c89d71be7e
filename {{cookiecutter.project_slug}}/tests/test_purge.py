{%- set accounts = cookiecutter.auth == "jwt" -%}
"""`purge` deletes exactly what has outlived its use, and nothing else."""

import subprocess
import sys
{%- if accounts %}
import uuid
{%- endif %}
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
{%- if accounts %}
from sqlalchemy import func, select
{%- else %}
from sqlalchemy import select
{%- endif %}
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
{%- if accounts %}

from {{ cookiecutter.package_name }}.auth.models import LoginSession, RefreshToken
from {{ cookiecutter.package_name }}.config import Settings
{%- else %}

from {{ cookiecutter.package_name }}.config import Settings
{%- endif %}
from {{ cookiecutter.package_name }}.idempotency import IdempotencyRecord
from {{ cookiecutter.package_name }}.purge import purge
{%- if accounts %}
from {{ cookiecutter.package_name }}.users.models import User
{%- endif %}

{% if cookiecutter.use_redis -%}
from tests.server import redis_url, server_env
{%- else -%}
from tests.server import server_env
{%- endif %}


@pytest.mark.usefixtures("client")  # empties the tables afterwards
async def test_purge_deletes_only_what_has_expired(
    app: FastAPI, settings: Settings
) -> None:
    now = datetime.now(UTC)
    async with AsyncSession(app.state.engine) as session, session.begin():
{%- if accounts %}
        user = User(email="ada@example.com", password_hash="not-a-real-hash")
        session.add(user)
        await session.flush()
        owner = user.id
        ended, live = uuid.uuid4(), uuid.uuid4()
        session.add_all(
            [
                LoginSession(
                    id=ended, user_id=owner, expires_at=now - timedelta(seconds=1)
                ),
                LoginSession(
                    id=live, user_id=owner, expires_at=now + timedelta(days=1)
                ),
            ]
        )
        await session.flush()
        session.add_all(
            [
                RefreshToken(
                    session_id=live,
                    token_hash="a" * 64,
                    expires_at=now - timedelta(seconds=1),
                ),
                RefreshToken(
                    session_id=live,
                    token_hash="b" * 64,
                    expires_at=now + timedelta(hours=1),
                ),
            ]
        )
{%- else %}
        owner = "ada"
{%- endif %}
        retention = timedelta(hours=settings.idempotency_retention_hours)
        session.add_all(
            [
                IdempotencyRecord(
                    owner_id=owner,
                    key=key,
                    request_hash="0" * 64,
                    status_code=201,
                    response_body={},
                    created_at=created_at,
                )
                for key, created_at in (
                    ("stale", now - retention - timedelta(seconds=1)),
                    ("fresh", now - retention + timedelta(minutes=5)),
                )
            ]
        )

    async with AsyncSession(app.state.engine) as session, session.begin():
        deleted = await purge(session=session, settings=settings, now=now)

    async with AsyncSession(app.state.engine) as session:
{%- if accounts %}
        tokens = await session.scalar(select(func.count()).select_from(RefreshToken))
        logins = set(await session.scalars(select(LoginSession.id)))
{%- endif %}
        keys = await session.scalars(select(IdempotencyRecord.key))
        remaining = set(keys)
{%- if accounts %}
    assert deleted == {
        "refresh_tokens": 1,
        "login_sessions": 1,
        "idempotency_records": 1,
    }
{%- else %}
    assert deleted == {"idempotency_records": 1}
{%- endif %}
{%- if accounts %}
    assert tokens == 1
    assert logins == {live}
{%- endif %}
    assert remaining == {"fresh"}


def test_purge_runs_from_the_command_line(database_url: URL, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "purge"],
        env=server_env(
            APP_ENV="production",
            DATABASE_URL=database_url.render_as_string(hide_password=False),
{%- if cookiecutter.use_redis %}
            REDIS_URL=redis_url(),
{%- endif %}
{%- if accounts %}
            SECRET_KEY="test-purge-secret-of-enough-length",
{%- elif cookiecutter.auth == "oidc" %}
            OIDC_ISSUER="https://issuer.invalid",
            OIDC_AUDIENCE="{{ cookiecutter.project_slug }}",
{%- endif %}
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("purged ")
