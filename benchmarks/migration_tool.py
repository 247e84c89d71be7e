"""How fast is scripts/database_migration_tool.py on a long migration history?

Bakes the default service (or uses --service, an already installed bake), copies
its Alembic setup, adds generated revisions on top of the initial one (add a
column, index it concurrently, add a table with a foreign key, add a CHECK NOT
VALID and validate it: the everyday kinds), and times the tool on the whole
history the way CI runs it: a fresh process, `--format json`. The tool's own
`--profile` line says where the time went.

Reproduce:
    .venv/bin/python benchmarks/migration_tool.py                # bake + install
    .venv/bin/python benchmarks/migration_tool.py --service build/payments-service

Needs: the template's dev tools (cookiecutter, uv) and a squawk binary (the
squawk-cli wheel) beside the service's Python or on PATH.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE))
from tests.conftest import subprocess_env  # noqa: E402 - the template's own helpers
from tests.migration_tool.helpers import copy_alembic_setup  # noqa: E402

BASE_REVISION = "4580473df605"
HEADER = '''"""{doc}"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: str | None = "{down}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET lock_timeout = '5s'")
    op.execute("SET statement_timeout = '15min'")
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def bake_and_install(workdir: Path) -> Path:
    from cookiecutter.main import cookiecutter

    service = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(workdir)))
    make = shutil.which("make") or "make"
    # Our own make target in the service we just baked.
    subprocess.run(
        [make, "install"],
        cwd=service,
        env=subprocess_env(),
        check=True,
        capture_output=True,
    )
    return service


def revision_body(number: int) -> tuple[str, str, str]:
    """(docstring, upgrade body, downgrade body) for generated revision `number`."""
    column = f"extra_{number}"
    kind = number % 4
    if kind == 1:
        return (
            f"Items get {column}.",
            f'    op.add_column("items", sa.Column("{column}", sa.Integer(), nullable=True))',
            f'    op.drop_column("items", "{column}")',
        )
    if kind == 2:
        indexed = f"extra_{number - 1}"
        return (
            f"Index items by {indexed}.",
            "    with op.get_context().autocommit_block():\n"
            "        op.create_index(\n"
            f'            "ix_items_{indexed}", "items", ["{indexed}"], postgresql_concurrently=True\n'
            "        )",
            f'    op.drop_index("ix_items_{indexed}", table_name="items")',
        )
    if kind == 3:
        table = f"notes_{number}"
        return (
            f"Users get {table}.",
            "    op.create_table(\n"
            f'        "{table}",\n'
            '        sa.Column("id", sa.Uuid(), nullable=False),\n'
            '        sa.Column("user_id", sa.Uuid(), nullable=False),\n'
            '        sa.Column("body", sa.Text(), nullable=False),\n'
            f'        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_{table}_user_id_users")),\n'
            f'        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),\n'
            "    )\n"
            f'    op.create_index(op.f("ix_{table}_user_id"), "{table}", ["user_id"])',
            f'    op.drop_table("{table}")',
        )
    name = f"ck_items_version_below_{number}"
    return (
        f"Item versions stay below {number} million.",
        "    op.create_check_constraint(\n"
        f'        op.f("{name}"), "items", "version < {number}000000", postgresql_not_valid=True\n'
        "    )\n"
        "    with op.get_context().autocommit_block():\n"
        f'        op.execute("ALTER TABLE items VALIDATE CONSTRAINT {name}")',
        f'    op.drop_constraint(op.f("{name}"), "items", type_="check")',
    )


def build_history(service: Path, destination: Path, revisions: int) -> Path:
    versions = copy_alembic_setup(service, destination)
    down = BASE_REVISION
    for number in range(1, revisions):
        revision = f"be7c{number:08d}"
        doc, upgrade, downgrade = revision_body(number)
        text = HEADER.format(
            doc=doc, revision=revision, down=down, upgrade=upgrade, downgrade=downgrade
        )
        (versions / f"2027-01-01_{number:04d}_generated.py").write_text(text)
        down = revision
    return destination


def time_tool(
    service: Path, project: Path, runs: int
) -> list[tuple[float, dict[str, float], int]]:
    command = [
        str(service / ".venv" / "bin" / "python"),
        str(service / "scripts" / "database_migration_tool.py"),
        str(project),
        "--format",
        "json",
        "--profile",
    ]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        # The service's own interpreter running its own script.
        done = subprocess.run(
            command,
            cwd=project,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if done.returncode == 2 or "squawk not found" in done.stderr:
            sys.exit(f"the tool did not run as expected:\n{done.stderr}")
        profile = json.loads(done.stderr.strip().splitlines()[-1])
        samples.append((wall, profile, len(json.loads(done.stdout))))
    return samples


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument(
        "--service", type=Path, help="an installed bake to use instead of baking"
    )
    cli.add_argument("--revisions", type=int, default=200)
    cli.add_argument("--runs", type=int, default=5)
    args = cli.parse_args()
    with tempfile.TemporaryDirectory(prefix="migration-tool-bench-") as tmp:
        workdir = Path(tmp)
        service = args.service.resolve() if args.service else bake_and_install(workdir)
        if not (service / ".venv" / "bin" / "python").is_file():
            sys.exit(f"{service} has no .venv: run `make install` in it first")
        project = build_history(service, workdir / "history", args.revisions)
        time_tool(service, project, 1)  # warm-up: bytecode caches, page cache
        samples = time_tool(service, project, args.runs)

    walls = [wall for wall, _, _ in samples]
    median = statistics.median(walls)
    middle = samples[walls.index(median)] if median in walls else samples[0]
    _, profile, findings = middle
    stages = {
        name: profile.get(name, 0.0) for name in ("load", "render", "squawk", "rules")
    }
    startup = max(median - sum(stages.values()), 0.0)
    print(
        f"migration tool on {args.revisions} revisions, {args.runs} runs (+1 warm-up)"
    )
    print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(
        f"  wall time: median {median:.2f} s (min {min(walls):.2f}, max {max(walls):.2f})"
    )
    print(f"  revisions per second: {args.revisions / median:.0f}")
    print(f"  findings: {findings}")
    print("  where the median run's time went:")
    print(f"    interpreter + imports  {startup:6.3f} s")
    print(f"    load + import revisions {stages['load']:6.3f} s")
    print(f"    render SQL (in-process) {stages['render']:6.3f} s")
    print(f"    squawk (one process)    {stages['squawk']:6.3f} s")
    print(f"    own rules + mapping     {stages['rules']:6.3f} s")


if __name__ == "__main__":
    main()
