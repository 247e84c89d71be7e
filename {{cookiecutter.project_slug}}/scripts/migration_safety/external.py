"""`--python`: render the revisions in the target project's own interpreter.

A revision that imports its application (`from app.models import GUID`) cannot
be imported where the tool runs; the project's virtualenv has everything it
needs. The tool's renderer runs there as a subprocess (worker.py) and sends the
rendered SQL and actions back as JSON.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .model import Action, Analysis, ProjectError, Revision, Statement

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import sys, json\n"
    "missing = []\n"
    "for name in ('alembic', 'sqlalchemy'):\n"
    "    try:\n"
    "        __import__(name)\n"
    "    except ImportError:\n"
    "        missing.append(name)\n"
    "print(json.dumps({'version': list(sys.version_info[:2]), 'missing': missing}))\n"
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")])
    )
    return env


def check_interpreter(python: str) -> None:
    """A clear error now, rather than a worker that fails half-way."""
    try:
        # The interpreter is the one the user named with --python.
        completed = subprocess.run(  # noqa: S603
            [python, "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=_environment(),
        )
    except OSError as error:
        raise ProjectError(f"--python {python}: cannot run it ({error})") from error
    try:
        facts = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise ProjectError(
            f"--python {python}: not a Python interpreter that runs "
            f"(exit {completed.returncode})"
        ) from error
    major, minor = facts["version"]
    if (major, minor) < (3, 10):
        raise ProjectError(
            f"--python {python}: Python {major}.{minor}; the renderer needs 3.10 or newer"
        )
    if facts["missing"]:
        raise ProjectError(
            f"--python {python}: cannot import {', '.join(facts['missing'])} "
            "(expected the project's own virtualenv, where Alembic is installed)"
        )


def render(
    python: str, revisions: list[Revision], sys_path: list[Path], pg_version: int
) -> dict[Path, Analysis]:
    """Each revision rendered by `python`; import failures as render errors."""
    check_interpreter(python)
    job = {
        "pg_version": pg_version,
        "sys_path": [str(path) for path in sys_path],
        "revisions": [
            {
                "path": str(revision.path),
                "revision": revision.revision,
                "revision_line": revision.revision_line,
            }
            for revision in revisions
        ],
    }
    with tempfile.TemporaryDirectory(prefix="migration-safety-") as tmp:
        output = Path(tmp) / "analyses.json"
        completed = subprocess.run(  # noqa: S603
            [python, "-m", "migration_safety.worker", str(output)],
            input=json.dumps(job),
            stdout=sys.stderr,
            stderr=None,
            text=True,
            timeout=900,
            check=False,
            env=_environment(),
        )
        if completed.returncode != 0 or not output.is_file():
            raise ProjectError(
                f"--python {python}: the renderer failed (exit {completed.returncode}; "
                "its output is above)"
            )
        results: list[dict[str, Any]] = json.loads(output.read_text(encoding="utf-8"))
    by_path = {revision.path: revision for revision in revisions}
    analyses: dict[Path, Analysis] = {}
    for item in results:
        revision = by_path[Path(item["path"])]
        if "import_error" in item:
            analyses[revision.path] = Analysis(
                revision, [], [], render_error=item["import_error"], import_failed=True
            )
            continue
        analyses[revision.path] = Analysis(
            revision,
            actions=[_action(action) for action in item["actions"]],
            statements=[Statement(**statement) for statement in item["statements"]],
            render_error=item["render_error"],
        )
    return analyses


def _action(data: dict[str, Any]) -> Action:
    return Action(**{**data, "sql": tuple(data["sql"])})
