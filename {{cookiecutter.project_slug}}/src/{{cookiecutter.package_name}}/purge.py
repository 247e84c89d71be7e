{%- set accounts = cookiecutter.auth == "jwt" -%}
"""`python -m {{ cookiecutter.package_name }} purge`: delete what has outlived its use.

Run it on a schedule (the Kubernetes base has a CronJob for it). It deletes
{%- if accounts %}
login sessions past their absolute lifetime and refresh tokens past their
expiry (a revoked one is kept until then: reuse detection needs it), and
idempotency records older than IDEMPOTENCY_RETENTION_HOURS (a retry after that
is a new request).
{%- else %}
idempotency records older than IDEMPOTENCY_RETENTION_HOURS (a retry after that
is a new request).
{%- endif %}
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession
{%- if accounts %}

from .auth.models import LoginSession, RefreshToken
from .config import Settings, explain, get_settings
{%- else %}

from .config import Settings, explain, get_settings
{%- endif %}
from .database import create_engine
from .idempotency import IdempotencyRecord


async def purge(
    *, session: AsyncSession, settings: Settings, now: datetime
) -> dict[str, int]:
    """Delete what is past its use at `now`; return how many rows, per table."""
    deleted: dict[str, int] = {}
{%- if accounts %}
    expired = delete(RefreshToken).where(RefreshToken.expires_at < now)
    deleted["refresh_tokens"] = _count(await session.execute(expired))
    # A login's refresh tokens never outlive it: none is left to cascade.
    ended = delete(LoginSession).where(LoginSession.expires_at < now)
    deleted["login_sessions"] = _count(await session.execute(ended))
{%- endif %}
    cutoff = now - timedelta(hours=settings.idempotency_retention_hours)
    stale = delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    deleted["idempotency_records"] = _count(await session.execute(stale))
    return deleted


def _count(result: object) -> int:
    # A DELETE's result is a CursorResult, which knows how many rows it removed.
    return cast(CursorResult[Any], result).rowcount


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }} purge", description=__doc__
    ).parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as error:
        sys.stderr.write(explain(error) + "\n")
        return 2
    deleted = asyncio.run(_run(settings))
    summary = ", ".join(f"{count} {table}" for table, count in deleted.items())
    sys.stdout.write(f"purged {summary}\n")
    return 0


async def _run(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        now = datetime.now(UTC)
        async with AsyncSession(engine) as session, session.begin():
            return await purge(session=session, settings=settings, now=now)
    finally:
        await engine.dispose()
