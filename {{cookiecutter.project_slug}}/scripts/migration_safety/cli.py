"""Command line: parse arguments, run the stages, print, choose the exit code."""

import argparse
import contextlib
import json
import logging
import os
import sys
from pathlib import Path

from . import engine, fix, report
from .discovery import SKIPPED_DIRS, Request
from .model import SEVERITY_RANK, Finding, ProjectError

VERSION = "1.0.0"
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="database_migration_tool.py",
        description=(
            "Check Alembic migrations for PostgreSQL locking and compatibility "
            "problems: each revision is rendered to SQL offline and linted with "
            "squawk plus rules for what squawk misses."
        ),
        epilog=(
            "Suppress a finding with a comment on its line or the line above: "
            "`# migration-safety: ignore[rule-id] why it is safe`."
        ),
    )
    cli.add_argument(
        "path",
        type=Path,
        help=(
            "the project (its alembic.ini, pyproject.toml or migrations folder is "
            "found below it), or its config file"
        ),
    )
    where = cli.add_argument_group(
        "where the migrations are (when the search below PATH cannot tell)"
    )
    where.add_argument(
        "--script-location",
        type=Path,
        metavar="FOLDER",
        help="the Alembic folder holding env.py and versions/ (relative to PATH)",
    )
    where.add_argument(
        "--config", type=Path, metavar="FILE", help="alembic.ini or pyproject.toml"
    )
    where.add_argument(
        "--section", metavar="NAME", help="the ini section to read (default: alembic)"
    )
    where.add_argument(
        "--python",
        metavar="PATH",
        help=(
            "the project's own interpreter: revisions are imported and rendered "
            "there, so those that import the application render fully"
        ),
    )
    cli.add_argument("--verbose", action="store_true", help="show the rendered SQL too")
    cli.add_argument(
        "--format", choices=("text", "json", "sarif", "gitlab"), default="text"
    )
    cli.add_argument("--output", type=Path, help="write the report here, not stdout")
    cli.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        default="error",
        help="exit 1 when a finding is at least this severe (default: error)",
    )
    cli.add_argument(
        "--pg-version",
        type=int,
        default=16,
        help="PostgreSQL major version the migrations run on (default: 16)",
    )
    cli.add_argument("--squawk", metavar="PATH", help="the squawk binary to use")
    cli.add_argument(
        "--no-squawk", action="store_true", help="use the source rules only"
    )
    cli.add_argument(
        "--fix", action="store_true", help="rewrite what is mechanical, in place"
    )
    cli.add_argument(
        "--database-url",
        help="also inspect this database: table sizes, indexes, keys, drift",
    )
    cli.add_argument(
        "--scratch-database-url",
        help=(
            "a server where a throwaway database may be created to apply the "
            "migrations and compare them with the models (model-drift)"
        ),
    )
    cli.add_argument(
        "--profile", action="store_true", help="print where the time went (stderr)"
    )
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # env.py turns on alembic's INFO logging; the report is this tool's output.
    logging.disable(logging.INFO)
    if not 9 <= args.pg_version <= 30:
        print(
            f"error: --pg-version {args.pg_version}: expected a major version like 16",
            file=sys.stderr,
        )
        return EXIT_ERROR
    options = engine.Options(
        request=Request(
            path=args.path,
            config=args.config,
            section=args.section,
            script_location=args.script_location,
        ),
        pg_version=args.pg_version,
        squawk=args.squawk,
        use_squawk=not args.no_squawk,
        python=args.python,
    )
    try:
        # What the revisions and env.py print must not mix into the report.
        with contextlib.redirect_stdout(sys.stderr):
            findings, result, fix_notes = _run(options, args)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:
        if os.environ.get("MIGRATION_SAFETY_DEBUG"):
            raise
        print(
            f"error: {type(error).__name__}: {error} "
            "(set MIGRATION_SAFETY_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    notes = result.notes + fix_notes
    _emit(args, findings, result, notes)
    if args.profile:
        timings = {name: round(seconds, 4) for name, seconds in result.timings.items()}
        print(
            json.dumps({"revisions": len(result.analyses), **timings}), file=sys.stderr
        )
    threshold = SEVERITY_RANK[args.fail_on]
    failed = any(SEVERITY_RANK[item.severity] >= threshold for item in findings)
    return EXIT_FINDINGS if failed else EXIT_OK


def _run(
    options: engine.Options, args: argparse.Namespace
) -> tuple[list[Finding], engine.Result, list[str]]:
    target_metadata = None
    fix_notes: list[str] = []
    if args.fix:
        from . import drift

        # Constraint names then follow the models' naming convention, as online.
        target_metadata, note = drift.load_target_metadata(options.request)
        if note:
            fix_notes.append(note)
    result = engine.analyse(options, target_metadata)
    findings = engine.suppress(result)
    if args.fix:
        naming_known = target_metadata is not None
        if not naming_known and not _mentions_naming_convention(result.project.root):
            # No convention anywhere in the code: names are SQLAlchemy's and
            # PostgreSQL's defaults, so the name to VALIDATE is known.
            naming_known = True
            fix_notes.append(
                "no naming_convention in the project's code: constraint names are "
                "PostgreSQL's defaults or as written"
            )
        set_timeouts = {
            analysis.revision.path: {
                action.details.get("setting", "")
                for action in analysis.actions
                if action.op == "set"
            }
            for analysis in result.analyses
        }
        rewritten, skipped = fix.plan(
            findings,
            result.indexes,
            set_timeouts,
            naming_known=naming_known,
        )
        for path, text in rewritten.items():
            path.write_text(text, encoding="utf-8")
        fix_notes += skipped
        if rewritten:
            fix_notes.append(
                f"--fix rewrote {len(rewritten)} file(s); the findings below remain"
            )
            result = engine.analyse(options, target_metadata)
            findings = engine.suppress(result)
    if args.database_url or args.scratch_database_url:
        from . import drift

        findings += drift.database_checks(
            result, options.request, args.database_url, args.scratch_database_url
        )
    else:
        result.notes.append(
            "model-drift not checked: it needs a database "
            "(--scratch-database-url, or --database-url at the head revision)"
        )
    findings.sort(key=lambda item: (str(item.path), item.line, item.rule))
    return findings, result, fix_notes


def _mentions_naming_convention(root: Path, limit: int = 5000) -> bool:
    """Whether any Python file of the project sets a naming convention."""
    seen = 0
    for path in root.rglob("*.py"):
        if SKIPPED_DIRS & set(path.relative_to(root).parts):
            continue
        seen += 1
        if seen > limit:
            # Too big to be sure: behave as if it did.
            return True
        try:
            if "naming_convention" in path.read_text(encoding="utf-8", errors="ignore"):
                return True
        except OSError:
            continue
    return False


def _emit(
    args: argparse.Namespace,
    findings: list[Finding],
    result: engine.Result,
    notes: list[str],
) -> None:
    if args.format == "json":
        text = report.render_json(findings)
    elif args.format == "sarif":
        text = report.render_sarif(findings, notes, VERSION)
    elif args.format == "gitlab":
        text = report.render_gitlab(findings)
    else:
        summary = report.summary_line(findings, len(result.analyses))
        text = report.render_text(
            findings, result.analyses, notes, verbose=args.verbose, summary=summary
        )
    if args.format != "text":
        # Machine-readable output stays pure; the notes go where people look.
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
