"""Build Alembic projects from the corpus and run the tool on them like a user."""

import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import run, subprocess_env

CORPUS = Path(__file__).parent / "corpus"
# The generated project's initial revision: the corpus revisions build on it.
BASE_REVISION = "4580473df605"
TOOL = Path("scripts") / "database_migration_tool.py"
MARKER = re.compile(r"#\s*flagged as\s+(.+)$")
CASE_FILE = "2026-12-02_case.py"
SETUP_FILE = "2026-12-01_setup.py"

Expected = set[tuple[str, int, str]]


@dataclass(frozen=True)
class Case:
    name: str

    @property
    def directory(self) -> Path:
        return CORPUS / self.name

    def variant(self, name: str) -> Path:
        return self.directory / f"{name}.py.txt"

    @property
    def fixable(self) -> bool:
        return self.variant("fixed").is_file()


def cases() -> list[Case]:
    return [Case(path.name) for path in sorted(CORPUS.iterdir()) if path.is_dir()]


def copy_alembic_setup(service: Path, destination: Path) -> Path:
    """Copy the service's alembic.ini and migrations/; return the versions folder."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(service / "alembic.ini", destination / "alembic.ini")
    shutil.copytree(
        service / "migrations",
        destination / "migrations",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return destination / "migrations" / "versions"


# The service's env.py sets lock_timeout for every revision; this case is about
# a project whose env.py does not.
WITHOUT_ENV_TIMEOUT = "missing_lock_timeout"


def build_project(
    service: Path,
    destination: Path,
    case: Case,
    variant: str,
    *,
    keep_env_timeout: bool = False,
) -> Path:
    """The service's Alembic setup plus the case's revision(s) on top of it."""
    versions = copy_alembic_setup(service, destination)
    if case.variant("setup").is_file():
        shutil.copy(case.variant("setup"), versions / SETUP_FILE)
    shutil.copy(case.variant(variant), versions / CASE_FILE)
    if case.name == WITHOUT_ENV_TIMEOUT and not keep_env_timeout:
        env = destination / "migrations" / "env.py"
        lines = env.read_text().splitlines(keepends=True)
        env.write_text(
            "".join(line for line in lines if "SET lock_timeout" not in line)
        )
    return destination


def expected_findings(project: Path) -> Expected:
    """(file, line, rule) for each `# flagged as rule` comment: the next line."""
    expected: Expected = set()
    for path in sorted((project / "migrations" / "versions").glob("*.py")):
        relative = str(path.relative_to(project))
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if match := MARKER.search(line):
                for rule in match.group(1).split(","):
                    expected.add((relative, number + 1, rule.strip()))
    return expected


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        parsed: list[dict[str, Any]] = json.loads(self.stdout)
        return parsed

    def found(self) -> Expected:
        return {(f["file"], f["line"], f["rule"]) for f in self.findings}

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_tool(
    service: Path,
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """`python scripts/database_migration_tool.py <project> ...` with the service's venv.

    From the project's folder by default; `cwd=service` runs it from inside the
    service, as a user checking another project does.
    """
    # The tool is the service's own script, run by its own interpreter.
    completed = subprocess.run(
        [
            str(service / ".venv" / "bin" / "python"),
            str(service / TOOL),
            str(project),
            *args,
        ],
        cwd=cwd or project,
        env=subprocess_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


SERVER = "postgresql://postgres@127.0.0.1:5432"


def psql(database: str, sql: str) -> None:
    run(
        ["psql", "-v", "ON_ERROR_STOP=1", "-q", f"{SERVER}/{database}", "-c", sql],
        cwd=Path(),
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    """A database of its own on the shared server (random name), dropped after."""
    name = f"migration_tool_{uuid.uuid4().hex[:12]}"
    psql("postgres", f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upgrade(service: Path, project: Path, url: str) -> None:
    """`alembic upgrade head` for real, as the deploy's migration job runs it."""
    run(
        [str(service / ".venv" / "bin" / "alembic"), "upgrade", "head"],
        cwd=project,
        # development: env.py loads the settings, which want a real SECRET_KEY
        # in production.
        env={"DATABASE_URL": url, "APP_ENV": "development"},
    )
