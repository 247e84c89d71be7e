"""The tool on Alembic projects it was not written for, run from inside a service.

Each fixture re-creates, in a few files, a layout met in public projects:
Flask-Migrate (CTFd, redash, lemur), an ini the application fills in
(jupyterhub), named sections with package paths (dispatch), `[tool.alembic]`
in pyproject.toml, migration folders several levels down (mlflow), revisions
that import their application, print, or branch on the dialect. None of these
projects' env.py can run here (they need Flask, their settings, their
packages), and the tool must not need it to.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run
from tests.migration_tool.helpers import Run, run_tool, scratch_database

pytestmark = pytest.mark.xdist_group("defaults")

FLASK_ENV_PY = """\
from alembic import context
from flask import current_app

config = context.config
target_metadata = current_app.extensions["migrate"].db.metadata
"""
FLASK_INI = """\
# A generic, single database configuration.

[alembic]
# template used to generate migration files
# file_template = %%(rev)s_%%(slug)s

[loggers]
keys = root
"""
# An index built on a table the base revision created: the finding to look for.
INDEX = 'op.create_index("ix_account_email", "account", ["email"])'
UNSAFE_INDEX = f"op.execute(\"SET lock_timeout = '5s'\")\n{INDEX}"


def revision(
    directory: Path,
    rev: str,
    down: str | None,
    upgrade: str,
    *,
    header: str = "",
    downgrade: str = "pass",
) -> Path:
    """A revision file the way Flask-Migrate and `alembic revision` write them."""
    directory.mkdir(parents=True, exist_ok=True)
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    undo = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    text = (
        f'"""{rev}"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{textwrap.dedent(header)}\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{body}\n\n\n"
        f"def downgrade():\n{undo}\n"
    )
    path = directory / f"{rev}_.py"
    path.write_text(text)
    return path


def script_folder(folder: Path, *, env_py: str = FLASK_ENV_PY) -> Path:
    """env.py, script.py.mako and a base revision creating `account`; returns versions/."""
    versions = folder / "versions"
    versions.mkdir(parents=True)
    (folder / "env.py").write_text(env_py)
    (folder / "script.py.mako").write_text('"""${message}"""\n')
    revision(
        versions,
        "1a2b3c4d5e6f",
        None,
        """
        op.create_table(
            "account",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("email", sa.String(120), nullable=False),
        )
        """,
        downgrade='op.drop_table("account")',
    )
    return versions


def unsafe_revision(
    versions: Path, upgrade: str = UNSAFE_INDEX, header: str = ""
) -> Path:
    return revision(
        versions,
        "2b3c4d5e6f7a",
        "1a2b3c4d5e6f",
        upgrade,
        header=header,
        downgrade='op.drop_index("ix_account_email", table_name="account")',
    )


def line_of(path: Path, text: str) -> int:
    """The (first) line of `path` that holds `text`."""
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def index_finding(path: Path) -> set[tuple[str, int, str]]:
    return {(path.name, line_of(path, INDEX), "require-concurrent-index-creation")}


def analysed(result: Run) -> str:
    [note] = [
        line for line in result.stderr.splitlines() if line.startswith("note: analysed")
    ]
    return note


def rules(result: Run) -> set[tuple[str, int, str]]:
    return {(Path(f["file"]).name, f["line"], f["rule"]) for f in result.findings}


def test_relative_location_is_the_targets_even_run_from_a_service(
    service: Path, tmp_path: Path
) -> None:
    """Run from a service with its own migrations/, the target's folder is checked."""
    target = tmp_path / "ledger"
    versions = script_folder(target / "migrations")
    (target / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    unsafe = unsafe_revision(versions)

    result = run_tool(service, target, "--format", "json", cwd=service)

    assert result.returncode == 1, result.describe()
    assert rules(result) == index_finding(unsafe)
    assert analysed(result) == (
        f"note: analysed {target}: migrations in migrations "
        "(alembic.ini [alembic] script_location)"
    )

    service_revisions = {
        path: path.read_text() for path in (service / "migrations").rglob("*.py")
    }
    fixed = run_tool(service, target, "--fix", cwd=service)

    assert "postgresql_concurrently=True" in unsafe.read_text(), fixed.describe()
    assert {
        path: path.read_text() for path in (service / "migrations").rglob("*.py")
    } == service_revisions


def test_flask_migrate_layout(service: Path, tmp_path: Path) -> None:
    """CTFd, redash, lemur: migrations/alembic.ini beside env.py, no script_location."""
    target = tmp_path / "shop"
    versions = script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    # Flask-Migrate projects keep helper scripts beside versions/, not in it.
    (target / "migrations" / "0001_warning.py").write_text("print('read the docs')\n")
    unsafe = unsafe_revision(versions)

    result = run_tool(service, target, "--format", "json", cwd=service)

    assert result.returncode == 1, result.describe()
    assert rules(result) == index_finding(unsafe)
    assert "Flask-Migrate layout" in analysed(result)
    assert "migrations in migrations" in analysed(result)


def test_location_filled_in_by_the_application(service: Path, tmp_path: Path) -> None:
    """jupyterhub: the packaged ini is a str.format template."""
    target = tmp_path / "hub"
    package = target / "hub"
    versions = script_folder(package / "alembic")
    (package / "alembic.ini").write_text(
        "[alembic]\nscript_location = {alembic_dir}\nsqlalchemy.url = {db_url}\n"
    )
    unsafe = unsafe_revision(versions)

    result = run_tool(service, target, "--format", "json", cwd=service)

    assert result.returncode == 1, result.describe()
    assert rules(result) == index_finding(unsafe)
    note = analysed(result)
    assert "migrations in hub/alembic" in note
    assert "'{alembic_dir}' is filled in by the application at run time" in note


def test_named_sections_with_package_paths(service: Path, tmp_path: Path) -> None:
    """dispatch: [core] and [tenant] in one ini, each `package:path`."""
    target = tmp_path / "dispatch"
    package = target / "src" / "incidents"
    script_folder(package / "database" / "revisions" / "core")
    tenant = script_folder(package / "database" / "revisions" / "tenant")
    unsafe = unsafe_revision(tenant)
    (package / "alembic.ini").write_text(
        "[alembic]\nfile_template = %%(year)d-%%(month).2d_%%(rev)s\n\n"
        "[core]\nscript_location = incidents:database/revisions/core\n\n"
        "[tenant]\nscript_location = incidents:database/revisions/tenant\n"
    )

    ambiguous = run_tool(service, target, cwd=service)
    chosen = run_tool(
        service, target, "--format", "json", "--section", "tenant", cwd=service
    )

    assert ambiguous.returncode == 2, ambiguous.describe()
    assert "sections name a script_location (core, tenant)" in ambiguous.stderr
    assert "pick one with --section NAME" in ambiguous.stderr
    assert chosen.returncode == 1, chosen.describe()
    assert rules(chosen) == index_finding(unsafe)
    assert "migrations in src/incidents/database/revisions/tenant" in analysed(chosen)
    assert "alembic.ini [tenant] script_location" in analysed(chosen)


def test_pyproject_configuration(service: Path, tmp_path: Path) -> None:
    """Alembic 1.16+: [tool.alembic] in pyproject.toml, no alembic.ini."""
    target = tmp_path / "billing"
    versions = script_folder(target / "db" / "migrations")
    (target / "pyproject.toml").write_text(
        '[project]\nname = "billing"\n\n'
        '[tool.alembic]\nscript_location = "%(here)s/db/migrations"\n'
    )
    unsafe = unsafe_revision(versions)

    result = run_tool(service, target, "--format", "json", cwd=service)

    assert result.returncode == 1, result.describe()
    assert rules(result) == index_finding(unsafe)
    assert "pyproject.toml [tool.alembic] script_location" in analysed(result)


def test_deep_folders_the_shallowest_wins_and_the_others_are_named(
    service: Path, tmp_path: Path
) -> None:
    """mlflow: two setups, three and five levels down, relative to the repo root."""
    target = tmp_path / "tracking"
    store = target / "tracking" / "store" / "db_migrations"
    unsafe = unsafe_revision(script_folder(store))
    (store / "alembic.ini").write_text(
        "[alembic]\nscript_location = tracking/store/db_migrations\n"
    )
    auth = target / "tracking" / "server" / "auth" / "db" / "migrations"
    script_folder(auth)
    (auth / "alembic.ini").write_text(
        "[alembic]\nscript_location = .\nprepend_sys_path = .\n"
    )

    result = run_tool(service, target, "--format", "json", cwd=service)
    auth_only = run_tool(
        service,
        target,
        "--format",
        "json",
        "--script-location",
        "tracking/server/auth/db/migrations",
        cwd=service,
    )

    assert result.returncode == 1, result.describe()
    assert rules(result) == index_finding(unsafe)
    note = analysed(result)
    assert "migrations in tracking/store/db_migrations" in note
    assert f"also found {auth.resolve()}" in note
    assert auth_only.returncode == 0, auth_only.describe()
    assert "migrations in tracking/server/auth/db/migrations (--script-location)" in (
        analysed(auth_only)
    )


def _venv_with(tmp_path: Path, service: Path, modules: dict[str, str]) -> Path:
    """A "project virtualenv": the service's packages plus the app's own dependency."""
    venv = tmp_path / "project-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    extra = tmp_path / "project-packages"
    extra.mkdir()
    for name, source in modules.items():
        (extra / f"{name}.py").write_text(source)
    service_site = next((service / ".venv" / "lib").glob("python3.*/site-packages"))
    [venv_site] = (venv / "lib").glob("python3.*/site-packages")
    (venv_site / "project.pth").write_text(f"{service_site}\n{extra}\n")
    return venv / "bin" / "python"


def test_revision_importing_its_application(service: Path, tmp_path: Path) -> None:
    """redash, lemur, dispatch: `from app.models import ...` in a revision."""
    target = tmp_path / "ledger"
    versions = script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    app = target / "ledger"
    app.mkdir()
    (app / "__init__.py").write_text("")
    # The application's own dependency is in its virtualenv, not in the tool's.
    (app / "types.py").write_text(
        "import ledger_orm_helpers\n\nMoney = ledger_orm_helpers.money_type()\n"
    )
    unsafe = unsafe_revision(
        versions,
        UNSAFE_INDEX + '\nop.add_column("account", sa.Column("balance", Money()))',
        header="from ledger.types import Money\n",
    )
    python = _venv_with(
        tmp_path,
        service,
        {
            "ledger_orm_helpers": "import sqlalchemy as sa\n\n"
            "def money_type():\n    return lambda: sa.Numeric(12, 2)\n"
        },
    )

    here = run_tool(service, target, "--format", "json", cwd=service)
    there = run_tool(
        service, target, "--format", "json", "--python", str(python), cwd=service
    )

    assert here.returncode == 1, here.describe()
    assert rules(here) == index_finding(unsafe)
    assert (
        "not rendered offline (cannot be imported here: line 4: ModuleNotFoundError: "
        "No module named 'ledger_orm_helpers'; pass --python with the project's own "
        "interpreter to render it)"
    ) in here.stderr
    assert here.findings[0]["source"] == "migration-safety"
    assert there.returncode == 1, there.describe()
    assert rules(there) == rules(here)
    assert "not rendered offline" not in there.stderr
    # Rendered in the project's interpreter, so squawk read the real SQL.
    assert there.findings[0]["source"] == "squawk"
    assert there.findings[0]["sql"].startswith("CREATE INDEX ix_account_email")


def test_python_that_cannot_render_is_a_clear_error(
    service: Path, tmp_path: Path
) -> None:
    target = tmp_path / "ledger"
    script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    bare = tmp_path / "bare"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True
    )

    result = run_tool(service, target, "--python", str(bare / "bin" / "python"))

    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "cannot import alembic, sqlalchemy (expected the project's own virtualenv, "
        "where Alembic is installed)"
    )


@pytest.mark.parametrize("output", ["json", "sarif", "gitlab"])
def test_what_revisions_print_stays_off_the_report(
    service: Path, tmp_path: Path, output: str
) -> None:
    """dispatch, redash, lemur print progress from their data migrations."""
    target = tmp_path / "ops"
    versions = script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    unsafe_revision(
        versions,
        'print("Migrating account emails...")\n' + UNSAFE_INDEX,
        header='print("loading revision")\n',
    )

    result = run_tool(service, target, "--format", output, cwd=service)

    assert result.returncode == 1, result.describe()
    document = json.loads(result.stdout)
    assert document
    assert "Migrating account emails..." in result.stderr
    assert "loading revision" in result.stderr


def test_only_the_postgresql_branch_is_judged(service: Path, tmp_path: Path) -> None:
    """jupyterhub, mlflow, CTFd: `if dialect == "mysql"` next to the PostgreSQL path."""
    target = tmp_path / "hub"
    versions = script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    unsafe = unsafe_revision(
        versions,
        """
        bind = op.get_bind()
        if bind.dialect.name == "mysql":
            op.drop_constraint("account_ibfk_1", "account", type_="foreignkey")
            op.create_index("ix_account_email", "account", ["email"])
        elif op.get_context().dialect.name in ("postgresql", "postgres"):
            with op.get_context().autocommit_block():
                op.create_index(
                    "ix_account_email",
                    "account",
                    ["email"],
                    postgresql_concurrently=True,
                )
        url = str(bind.engine.url)
        if url.startswith("sqlite") is False:
            op.execute("SET lock_timeout = '5s'")
        if url.startswith(("mysql", "mariadb")):
            op.alter_column("account", "email", type_=sa.String(255))
        else:
            op.add_column("account", sa.Column("nickname", sa.Text(), nullable=False))
        """,
    )

    result = run_tool(service, target, "--format", "json", cwd=service)

    # Only the PostgreSQL branch's NOT NULL column without a default is a problem.
    line = line_of(unsafe, 'sa.Column("nickname"')
    assert rules(result) == {(unsafe.name, line, "adding-required-field")}, (
        result.describe()
    )
    assert "needs a live connection (op.get_bind())" in result.stderr


# How the project's Flask app would run its migrations in production, reduced to
# what Alembic needs: a connection (Flask is not installed here).
ONLINE_ENV_PY = """\
import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine


def run(connection):
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def main():
    url = os.environ["SHOP_DATABASE_URL"]
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run)
    await engine.dispose()


asyncio.run(main())
"""


def test_fix_on_reserved_words_and_unnamed_keys_runs_on_postgresql(
    service: Path, tmp_path: Path
) -> None:
    """full-stack-fastapi-template's `user`, dispatch's `case` and `group`, and
    keys left unnamed (None) as Flask-Migrate's autogenerate writes them."""
    target = tmp_path / "shop"
    migrations = target / "migrations"
    versions = migrations / "versions"
    versions.mkdir(parents=True)
    (migrations / "env.py").write_text(FLASK_ENV_PY)
    (migrations / "alembic.ini").write_text(FLASK_INI)
    revision(
        versions,
        "1a2b3c4d5e6f",
        None,
        """
        op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True))
        op.create_table(
            "order",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("user_id", sa.Integer(), nullable=True),
            sa.Column("case", sa.String(40), nullable=True),
        )
        """,
        downgrade='op.drop_table("order")\nop.drop_table("user")',
    )
    unsafe = revision(
        versions,
        "2b3c4d5e6f7a",
        "1a2b3c4d5e6f",
        """
        op.execute("SET lock_timeout = '5s'")
        op.create_foreign_key(None, "order", "user", ["user_id"], ["id"])
        op.create_unique_constraint(None, "order", ["case"])
        op.add_column("order", sa.Column("group", sa.Integer(), sa.ForeignKey("user.id")))
        op.create_index("ix_order_case", "order", ["case"])
        """,
        downgrade='op.drop_column("order", "group")',
    )

    before = run_tool(service, target, "--format", "json", cwd=service)
    fixed = run_tool(service, target, "--format", "json", "--fix", cwd=service)

    assert {f["rule"] for f in before.findings} == {
        "adding-foreign-key-constraint",
        "disallowed-unique-constraint",
        "index-after-alter-in-transaction",
    }, before.describe()
    assert len(before.findings) == 4
    assert fixed.returncode == 0, fixed.describe()
    assert fixed.findings == [], fixed.describe()
    text = unsafe.read_text()
    assert 'ALTER TABLE "order" VALIDATE CONSTRAINT order_user_id_fkey' in text
    assert (
        'ALTER TABLE "order" ADD CONSTRAINT order_case_key UNIQUE USING INDEX' in text
    )
    assert 'op.f("order_group_fkey")' in text

    (migrations / "env.py").write_text(ONLINE_ENV_PY)
    ini = tmp_path / "deploy.ini"
    ini.write_text(f"[alembic]\nscript_location = {migrations}\n")
    with scratch_database() as url:
        run(
            [
                str(service / ".venv" / "bin" / "alembic"),
                "-c",
                str(ini),
                "upgrade",
                "head",
            ],
            cwd=target,
            env={
                "SHOP_DATABASE_URL": url.replace(
                    "postgresql://", "postgresql+asyncpg://"
                )
            },
        )


def test_a_key_dropped_and_added_again_is_not_a_lost_guarantee(
    service: Path, tmp_path: Path
) -> None:
    """dispatch re-points keys: drop the unnamed key, add it again (NOT VALID)."""
    target = tmp_path / "dispatch"
    versions = script_folder(target / "migrations")
    (target / "migrations" / "alembic.ini").write_text(FLASK_INI)
    revision(
        versions,
        "3c4d5e6f7a8b",
        "1a2b3c4d5e6f",
        """
        op.execute("SET lock_timeout = '5s'")
        op.create_table(
            "note",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id")),
        )
        """,
        downgrade='op.drop_table("note")',
    )
    repoint = revision(
        versions,
        "4d5e6f7a8b9c",
        "3c4d5e6f7a8b",
        """
        op.execute("SET lock_timeout = '5s'")
        op.drop_constraint("note_account_id_fkey", "note", type_="foreignkey")
        op.create_foreign_key(
            None,
            "note",
            "account",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
            postgresql_not_valid=True,
        )
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE note VALIDATE CONSTRAINT note_account_id_fkey")
        op.drop_constraint("note_other_fkey", "note", type_="foreignkey")
        """,
        downgrade="pass",
    )

    result = run_tool(service, target, "--format", "json", cwd=service)

    # Only the key that is dropped for good is reported.
    line = line_of(repoint, '"note_other_fkey"')
    assert {
        (f["line"], f["rule"])
        for f in result.findings
        if f["rule"] != "missing-downgrade"
    } == {(line, "ban-drop-constraint")}, result.describe()


def test_nothing_found_names_what_was_searched(service: Path, tmp_path: Path) -> None:
    target = tmp_path / "hub"
    (target / "hub").mkdir(parents=True)
    (target / "hub" / "alembic.ini").write_text("[alembic]\nscript_location = gone\n")

    result = run_tool(service, target, cwd=service)

    assert result.returncode == 2
    assert (
        f"{target / 'hub' / 'alembic.ini'}: script_location 'gone' does not exist"
        in (result.stderr)
    )
    assert "pass --script-location FOLDER or --config FILE" in result.stderr
