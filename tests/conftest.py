"""Bake once per answer set per session, and run generated projects like a user."""

import functools
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
# The machine's shared PostgreSQL; tests create and drop databases of their own on it.
POSTGRES = "postgresql://postgres@127.0.0.1:5432"

# Awkward but valid: spaces, capitals, punctuation, quotes, non-ASCII.
AWKWARD = {
    "project_name": 'Zürich Ledger & "Payments" API',
    "description": "Books O'Brien's \"transfers\" \\ reconciles — fast.",
    "author_name": "Zoë O'Brien-Łukasz",
    "author_email": "zoe.obrien+svc@bank.example",
}
# The longest package name the template promises to format cleanly.
LONG_PACKAGE = "ledger_reconciliation_platform_x"

# The answer sets that are installed and run their own `make check`: together
# they give every option every value (tests/test_matrix.py checks that), while
# the matrix bakes and lints every combination.
ANSWER_SETS: dict[str, dict[str, object]] = {
    "defaults": {},
    "awkward:py3.13": {
        **AWKWARD,
        "python_version": "3.13",
        "auth": "none",
        "database": "none",
        "example_resource": False,
        "metrics": True,
        "tracing": True,
        "ci": "gitlab",
        "deploy": "docker",
    },
    "long-package:py3.11": {
        "project_name": "Ledger Reconciliation",
        "package_name": LONG_PACKAGE,
        "python_version": "3.11",
        "auth": "none",
        "use_redis": True,
        "metrics": True,
        "ci": "none",
        "deploy": "none",
    },
    "tracing:no-items:redis": {
        "example_resource": False,
        "tracing": True,
        "use_redis": True,
    },
    "api-key": {"auth": "api_key", "ci": "gitlab"},
    "oidc": {"auth": "oidc", "tracing": True},
    "oidc:stateless:py3.11": {
        "auth": "oidc",
        "database": "none",
        "use_redis": True,
        "python_version": "3.11",
        "example_resource": False,
        "deploy": "none",
    },
    "api-key:no-items:redis": {
        "auth": "api_key",
        "use_redis": True,
        "example_resource": False,
        "metrics": True,
    },
}


def pytest_configure(config: pytest.Config) -> None:
    """Create the parent of --basetemp (build/pytest, see pyproject.toml)."""
    if basetemp := config.option.basetemp:
        Path(basetemp).parent.mkdir(parents=True, exist_ok=True)


@functools.cache
def generated_settings() -> frozenset[str]:
    """The generated service's settings, as its `.env.example` lists them."""
    example = TEMPLATE / "{{cookiecutter.project_slug}}" / ".env.example"
    return frozenset(re.findall(r"^([A-Z][A-Z0-9_]*)=", example.read_text(), re.M))


def leaks_into_generated_project(name: str) -> bool:
    """A variable of the developer's shell that would change a generated project's run."""
    upper = name.upper()
    return (
        upper in generated_settings()
        or upper.startswith("PG")  # libpq's connection defaults, read by asyncpg
        or upper.startswith(("OTEL_", "PROMETHEUS_"))  # exporters, multiprocess dir
        or upper in {"VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH"}
        # The template's own `make test` must not pass its flags to a project's make.
        or upper in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    )


def subprocess_env(**extra: str) -> dict[str, str]:
    """A user's shell, less what would leak the developer's own setup into the run.

    TEST_DATABASE_URL passes through: it is the one variable read on purpose.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not leaks_into_generated_project(key)
    }
    # uv (installed beside this interpreter) must be on PATH, as for a user.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if versions := pyenv_versions():
        # pyenv's shims only answer for selected versions: select them all.
        env["PYENV_VERSION"] = ":".join(versions)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@functools.cache
def pyenv_versions() -> tuple[str, ...]:
    """Every Python pyenv has installed (none without pyenv); asked once."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return ()
    listing = subprocess.run(
        [pyenv, "versions", "--bare"], capture_output=True, text=True, check=True
    )
    return tuple(listing.stdout.split())


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure show its output in the test report."""
    result = subprocess.run(
        args,
        cwd=cwd,
        env=subprocess_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result


@pytest.fixture(scope="session")
def bake(cookies_session: Any) -> Callable[[str], Path]:
    """Bake an answer set once per session and return the project directory."""
    baked: dict[str, Path] = {}

    def _bake(answer_set: str) -> Path:
        if answer_set not in baked:
            result = cookies_session.bake(extra_context=ANSWER_SETS[answer_set])
            assert result.exit_code == 0, result.exception
            baked[answer_set] = Path(result.project_path)
        return baked[answer_set]

    return _bake


@pytest.fixture(scope="session")
def installed(bake: Callable[[str], Path]) -> Callable[[str], Path]:
    """`make install` once per answer set, as a user does after baking."""
    done: set[str] = set()

    def _installed(answer_set: str) -> Path:
        project = bake(answer_set)
        if answer_set not in done:
            run(["make", "install"], cwd=project)
            done.add(answer_set)
        return project

    return _installed
