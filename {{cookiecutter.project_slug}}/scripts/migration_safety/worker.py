"""Render revisions inside another interpreter: the target project's own (--python).

Run as `PYTHON -m migration_safety.worker OUTPUT` with this package's folder on
PYTHONPATH. The job comes as JSON on stdin; the analyses go as JSON to OUTPUT,
because stdout belongs to whatever the revisions print (passed on to stderr).
Imports nothing beyond Alembic, SQLAlchemy and the standard library of 3.10.
"""

import ast
import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import postgresql

from .model import Revision
from .render import Renderer, RevisionImportError, import_revision, importable


def _revision(item: dict[str, Any]) -> Revision:
    path = Path(item["path"])
    source = path.read_text(encoding="utf-8")
    return Revision(
        revision=item["revision"],
        down_revisions=(),
        path=path,
        source=source,
        tree=ast.parse(source, filename=str(path)),
        revision_line=item["revision_line"],
        down_revision_line=item["revision_line"],
    )


def main(argv: list[str]) -> int:
    job = json.load(sys.stdin)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    dialect.server_version_info = (job["pg_version"], 0)
    sys_path = [Path(entry) for entry in job["sys_path"]]
    results: list[dict[str, Any]] = []
    with (
        contextlib.redirect_stdout(sys.stderr),
        importable(sys_path),
        Renderer(dialect, None) as renderer,
    ):
        for item in job["revisions"]:
            revision = _revision(item)
            try:
                module = import_revision(revision)
            except RevisionImportError as error:
                results.append({"path": item["path"], "import_error": str(error)})
                continue
            analysis = renderer.render(revision, module)
            results.append(
                {
                    "path": item["path"],
                    "render_error": analysis.render_error,
                    "statements": [asdict(s) for s in analysis.statements],
                    "actions": [asdict(a) for a in analysis.actions],
                }
            )
    Path(argv[0]).write_text(json.dumps(results, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
