"""From a path to findings: load, render each revision, lint, suppress."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.schema import MetaData

from . import astops, external, rules, squawk
from . import project as projects
from .catalog import finding
from .discovery import Request
from .model import Analysis, Finding, Revision
from .project import Project, display
from .render import Renderer, RevisionImportError, import_revision, importable
from .source import SourceIndex, downgrade_state, uses_live_connection

LIVE_RULES = frozenset(
    {
        "fk-without-index",
        "duplicate-index",
        "unused-index",
        "integer-key-overflow",
        "table-without-primary-key",
        "model-drift",
    }
)


@dataclass
class Options:
    request: Request
    pg_version: int = 16
    squawk: str | None = None
    use_squawk: bool = True
    # The target project's interpreter, to render revisions that import the app.
    python: str | None = None


@dataclass
class Result:
    project: Project
    analyses: list[Analysis]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    indexes: dict[Path, SourceIndex] = field(default_factory=dict)


class _Clock:
    """Adds up where the time goes, for --profile and the benchmark."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.timings[stage] = self.timings.get(stage, 0.0) + elapsed


def analyse(options: Options, target_metadata: MetaData | None = None) -> Result:
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    with clock("load"):
        project = projects.load_project(options.request)
        result = Result(project, [], projects.graph_findings(project), timings=timings)
    result.notes.append(project.target.describe())
    result.notes += [
        f"{display(problem.path)}: {problem.problem}: skipped"
        for problem in project.unreadable
        if not problem.is_revision
    ]
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    dialect.server_version_info = (options.pg_version, 0)
    schema = rules.Schema()
    own: list[list[Finding]] = []
    elsewhere: dict[Path, Analysis] = {}
    if options.python:
        with clock("render"):
            elsewhere = external.render(
                options.python, project.revisions, project.sys_path, options.pg_version
            )
    with importable(project.sys_path), Renderer(dialect, target_metadata) as renderer:
        for revision in project.revisions:
            index = SourceIndex(revision)
            result.indexes[revision.path] = index
            if revision.path in elsewhere:
                analysis = elsewhere[revision.path]
            else:
                analysis = _render_here(revision, project, renderer, clock)
            if analysis.render_error is not None:
                _read_source_instead(analysis, index, result.notes)
            analysis.created_tables = {
                action.table
                for action in analysis.actions
                if action.op == "create_table" and action.table
            }
            with clock("rules"):
                own.append(_own_findings(analysis, index, schema, project, options))
            schema.apply(analysis.actions)
            result.analyses.append(analysis)

    with clock("squawk"):
        linted = _run_squawk(options, result)

    with clock("rules"):
        for position, analysis in enumerate(result.analyses):
            result.findings.extend(own[position])
            if position in linted:
                analysis.squawk_checked = True
                result.findings.extend(
                    squawk.squawk_findings(
                        analysis, linted[position], options.pg_version
                    )
                )
            else:
                result.findings.extend(
                    rules.core_findings(analysis, options.pg_version)
                )
    return result


def _render_here(
    revision: Revision, project: Project, renderer: Renderer, clock: _Clock
) -> Analysis:
    with clock("load"):
        try:
            module = import_revision(revision)
        except RevisionImportError as error:
            return Analysis(
                revision, [], [], render_error=str(error), import_failed=True
            )
    with clock("render"):
        return renderer.render(revision, module)


def _read_source_instead(
    analysis: Analysis, index: SourceIndex, notes: list[str]
) -> None:
    upgrade = index.function("upgrade")
    analysis.actions = astops.actions_from_source(upgrade) if upgrade else []
    analysis.statements = []
    bind_line = uses_live_connection(index)
    if analysis.import_failed:
        reason = (
            f"{analysis.render_error}; pass --python with the project's own "
            "interpreter to render it"
        )
    elif bind_line:
        reason = f"line {bind_line} needs a live connection (op.get_bind())"
    else:
        reason = analysis.render_error or ""
    notes.append(
        f"{display(analysis.revision.path)}: not rendered offline ({reason}); "
        "checked with the source rules only"
    )


def _own_findings(
    analysis: Analysis,
    index: SourceIndex,
    schema: rules.Schema,
    project: Project,
    options: Options,
) -> list[Finding]:
    found = rules.own_findings(
        analysis, schema, project.env_sets_timeouts, options.pg_version
    )
    if state := downgrade_state(index):
        revision = analysis.revision
        found.append(
            finding(
                "missing-downgrade",
                revision.path,
                state[1],
                revision=revision.revision,
                state=state[0],
            )
        )
    return found


def _run_squawk(options: Options, result: Result) -> dict[int, list[dict[str, object]]]:
    renderable = [a for a in result.analyses if a.render_error is None]
    if not options.use_squawk:
        result.notes.append(
            "squawk disabled (--no-squawk): its main checks come from built-in "
            "rules on the rendered SQL instead"
        )
        return {}
    binary = squawk.find_squawk(options.squawk)
    if binary is None:
        where = options.squawk or "beside this Python or on PATH"
        result.notes.append(
            f"squawk not found ({where}): install squawk-cli; falling back to "
            "built-in rules on the rendered SQL for squawk's main checks"
        )
        return {}
    try:
        raw = squawk.run_squawk(binary, renderable, options.pg_version)
    except squawk.SquawkError as error:
        result.notes.append(f"{error}; falling back to built-in rules")
        return {}
    positions = {id(analysis): i for i, analysis in enumerate(result.analyses)}
    linted: dict[int, list[dict[str, object]]] = {
        positions[id(analysis)]: [] for analysis in renderable
    }
    for renderable_position, found in raw.items():
        linted[positions[id(renderable[renderable_position])]] = found
    return linted


# One finding per hazard: where both fire on one statement, the first says more.
SUBSUMES = {
    "index-after-alter-in-transaction": "require-concurrent-index-creation",
    "adding-foreign-key-constraint": "constraint-missing-not-valid",
}


def _one_per_hazard(findings: list[Finding]) -> list[Finding]:
    present = {(item.path, item.line, item.rule) for item in findings}
    return [
        item
        for item in findings
        if not any(
            (item.path, item.line, wider) in present
            for wider, narrower in SUBSUMES.items()
            if narrower == item.rule
        )
    ]


def suppress(result: Result) -> list[Finding]:
    """Drop suppressed findings; report suppressions without a reason or a match."""
    kept: list[Finding] = []
    used: set[tuple[Path, int]] = set()
    unique = {
        (f.rule, f.path, f.line, f.message): f for f in _one_per_hazard(result.findings)
    }
    for item in unique.values():
        index = result.indexes.get(item.path)
        suppression = index.suppression_for(item.rule, item.line) if index else None
        if suppression is not None and suppression.reason:
            used.add((item.path, suppression.line))
            continue
        kept.append(item)
    checked = {a.revision.path for a in result.analyses if a.squawk_checked}
    for path, index in result.indexes.items():
        for suppression in index.suppressions:
            rules_text = ", ".join(sorted(suppression.rules)) or "nothing"
            if not suppression.reason:
                kept.append(
                    finding(
                        "suppression-without-reason",
                        path,
                        suppression.line,
                        rules=rules_text,
                    )
                )
            elif (
                (path, suppression.line) not in used
                and path in checked
                and not suppression.rules & LIVE_RULES
            ):
                kept.append(
                    finding(
                        "unused-suppression", path, suppression.line, rules=rules_text
                    )
                )
    kept.sort(key=lambda f: (str(f.path), f.line, f.rule))
    return kept
