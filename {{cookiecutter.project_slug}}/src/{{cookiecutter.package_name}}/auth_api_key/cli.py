"""`python -m {{ cookiecutter.package_name }} api-keys create|list|revoke`: manage API keys.

Runs against DATABASE_URL, like the service. `create` prints the new key alone
on stdout, once: it is never stored and cannot be shown again.
"""

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings, explain, get_settings
from ..database import create_engine
from ..observability import configure_logging, security_event
from . import service
from .models import ApiKey

PROG = "python -m {{ cookiecutter.package_name }} api-keys"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument(
        "--owner", required=True, help="who the key acts as; it owns what it creates"
    )
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        dest="scopes",
        metavar="PERMISSION",
        help="a permission such as items:read (repeat for more)",
    )
    create.add_argument(
        "--expires-in-days", type=int, metavar="DAYS", help="default: never"
    )
    commands.add_parser("list", help="every key, without the keys themselves")
    revoke = commands.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("key_id", type=uuid.UUID, help="the id `list` shows")
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as error:
        sys.stderr.write(explain(error) + "\n")
        return 2
    configure_logging(settings.log_level)
    try:
        return asyncio.run(run(args, settings))
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings)
    try:
        async with AsyncSession(engine) as session, session.begin():
            if args.command == "create":
                return await _create(session, args)
            if args.command == "list":
                for api_key in await service.list_keys(session=session):
                    sys.stdout.write(describe(api_key) + "\n")
                return 0
            revoked = await service.revoke(session=session, key_id=args.key_id)
            if revoked is None:
                sys.stderr.write(f"error: no API key {args.key_id}\n")
                return 1
            security_event(
                "api_key.revoked",
                outcome="success",
                subject=revoked.owner,
                key_id=revoked.id,
            )
            sys.stderr.write(f"revoked: {describe(revoked)}\n")
            return 0
    finally:
        await engine.dispose()


async def _create(session: AsyncSession, args: argparse.Namespace) -> int:
    if args.expires_in_days is not None and args.expires_in_days < 1:
        msg = "--expires-in-days must be 1 or more"
        raise ValueError(msg)
    expires_at = (
        None
        if args.expires_in_days is None
        else datetime.now(UTC) + timedelta(days=args.expires_in_days)
    )
    api_key, key = await service.create(
        session=session,
        name=args.name,
        owner=args.owner,
        scopes=args.scopes,
        expires_at=expires_at,
    )
    security_event(
        "api_key.created",
        outcome="success",
        subject=api_key.owner,
        key_id=api_key.id,
        scopes=api_key.scopes,
    )
    sys.stderr.write(f"created: {describe(api_key)}\nThe key, shown this once:\n")
    sys.stdout.write(key + "\n")
    return 0


def describe(api_key: ApiKey) -> str:
    state = "revoked" if api_key.revoked_at else "active"
    return "  ".join(
        (
            str(api_key.id),
            f"{api_key.prefix}…",
            state,
            f"name={api_key.name}",
            f"owner={api_key.owner}",
            f"scopes={','.join(api_key.scopes) or '-'}",
            f"expires={_day(api_key.expires_at)}",
            f"last_used={_day(api_key.last_used_at)}",
        )
    )


def _day(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
