"""Find the Alembic project, read its revisions and check the revision graph."""

import ast
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .catalog import finding
from .discovery import Request, Target, locate
from .model import Finding, ProjectError, Revision

GRAPH_NAMES = ("revision", "down_revision")


@dataclass
class Project:
    root: Path
    config: Config
    script_dir: ScriptDirectory
    revisions: list[Revision]
    env_py: Path
    target: Target
    # Where the revisions' imports are looked up (prepend_sys_path, the project).
    sys_path: list[Path]
    unreadable: list["UnreadableRevisionError"]

    @functools.cached_property
    def env_sets_timeouts(self) -> set[str]:
        """Timeouts env.py sets for every revision (a SET, server_settings, -c)."""
        try:
            tree = ast.parse(self.env_py.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            return set()
        # String literals only: a comment that mentions lock_timeout sets nothing.
        strings = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        return {
            name
            for name in ("lock_timeout", "statement_timeout")
            if any(name in text for text in strings)
        }


def display(path: Path) -> str:
    """Paths as a user (and a CI annotation) expects: relative to where we run."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_project(request: Request) -> Project:
    target = locate(request)
    config = _config(target)
    try:
        script_dir = ScriptDirectory.from_config(config)
    except CommandError as error:
        raise ProjectError(f"{display(target.script_dir)}: {error}") from error
    folder = target.config_file.parent if target.config_file else target.root
    locations = [
        path if path.is_absolute() else folder / path
        for path in map(Path, script_dir.version_locations or [script_dir.versions])
    ]
    pattern = "**/*.py" if script_dir.recursive_version_locations else "*.py"
    files = sorted(
        file.resolve()
        for location in locations
        if location.is_dir()
        for file in location.glob(pattern)
        if not file.name.startswith(("__init__", ".#"))
    )
    revisions, unreadable = [], []
    for file in files:
        try:
            revisions.append(_parse_revision(file))
        except UnreadableRevisionError as error:
            unreadable.append(error)
    return Project(
        root=target.root,
        config=config,
        script_dir=script_dir,
        revisions=_in_order(revisions),
        env_py=Path(script_dir.dir) / "env.py",
        target=target,
        sys_path=_sys_path(config, folder, target.root),
        unreadable=unreadable,
    )


def _config(target: Target) -> Config:
    """Alembic's Config for the target, its script folder pinned as an absolute path."""
    file = target.config_file
    is_toml = file is not None and file.suffix == ".toml"
    config = Config(
        file_=str(file) if file and not is_toml else None,
        toml_file=str(file) if file and is_toml else None,
        ini_section=target.section,
        stdout=io.StringIO(),
    )
    # Escaped: the ini parser would read a % in the path as interpolation.
    config.set_main_option("script_location", str(target.script_dir).replace("%", "%%"))
    return config


def _sys_path(config: Config, folder: Path, root: Path) -> list[Path]:
    """Where the revisions' own imports are found, as `alembic` would set it up."""
    try:
        prepend = config.get_alembic_option("prepend_sys_path")
    except Exception:  # a malformed option must not stop the analysis
        prepend = None
    entries = [
        path if path.is_absolute() else folder / path
        for path in map(Path, str(prepend or "").replace(",", " ").split())
    ]
    entries += [root, root / "src"]
    unique: list[Path] = []
    for entry in entries:
        resolved = entry.resolve()
        if resolved.is_dir() and resolved not in unique:
            unique.append(resolved)
    return unique


class UnreadableRevisionError(Exception):
    """A file in versions/ that Alembic could not load either."""

    def __init__(
        self,
        path: Path,
        line: int,
        problem: str,
        revision: str | None,
        *,
        is_revision: bool = True,
    ) -> None:
        super().__init__(f"{display(path)}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem
        self.revision = revision
        # A helper module in versions/ is skipped (with a note), not an error.
        self.is_revision = is_revision


_REVISION_ID = re.compile(
    r"""^revision\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE
)


def _parse_revision(path: Path) -> Revision:
    source = path.read_text(encoding="utf-8", errors="replace")
    found = _REVISION_ID.search(source)
    revision_id = found.group(1) if found else None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as error:
        raise UnreadableRevisionError(
            path,
            error.lineno or 1,
            f"cannot parse the revision: {error.msg}",
            revision_id,
        ) from error
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in GRAPH_NAMES and value is not None:
            try:
                values[target] = ast.literal_eval(value)
            except ValueError as error:
                raise UnreadableRevisionError(
                    path, node.lineno, f"{target} must be a literal", revision_id
                ) from error
            lines[target] = node.lineno
    if not isinstance(values.get("revision"), str):
        raise UnreadableRevisionError(
            path, 1, "not a revision (no `revision = '...'`)", None, is_revision=False
        )
    down = values.get("down_revision")
    downs = (down,) if isinstance(down, str) else tuple(down or ())
    return Revision(
        revision=values["revision"],
        down_revisions=downs,
        path=path,
        source=source,
        tree=tree,
        revision_line=lines["revision"],
        down_revision_line=lines.get("down_revision", lines["revision"]),
    )


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _in_order(revisions: list[Revision]) -> list[Revision]:
    """Base first, each revision after its parents (ties by file name)."""
    by_id: dict[str, Revision] = {}
    for revision in revisions:
        if revision.revision in by_id:
            raise ProjectError(
                f"revision {revision.revision} is defined twice: "
                f"{display(by_id[revision.revision].path)} and {display(revision.path)}"
            )
        by_id[revision.revision] = revision
    waiting = {
        rev.revision: {down for down in rev.down_revisions if down in by_id}
        for rev in revisions
    }
    ordered: list[Revision] = []
    done: set[str] = set()
    ready = [rev for rev in revisions if not waiting[rev.revision]]
    children: dict[str, list[Revision]] = {}
    for rev in revisions:
        for down in waiting[rev.revision]:
            children.setdefault(down, []).append(rev)
    while ready:
        current = ready.pop(0)
        ordered.append(current)
        done.add(current.revision)
        for child in children.get(current.revision, []):
            if waiting[child.revision] <= done and child not in ready:
                ready.append(child)
        ready.sort(key=lambda rev: rev.path.name)
    if len(ordered) != len(revisions):
        stuck = sorted(set(by_id) - done)
        raise ProjectError(f"the revision graph has a cycle through {', '.join(stuck)}")
    return ordered


def graph_findings(project: Project) -> list[Finding]:
    unreadable = [
        finding(
            "unreadable-revision",
            problem.path,
            problem.line,
            revision=problem.revision,
            problem=problem.problem,
        )
        for problem in project.unreadable
        if problem.is_revision
    ]
    known = {rev.revision for rev in project.revisions} | {
        problem.revision for problem in project.unreadable if problem.revision
    }
    parents = {down for rev in project.revisions for down in rev.down_revisions}
    findings = [
        finding(
            "missing-down-revision",
            rev.path,
            rev.down_revision_line,
            revision=rev.revision,
            missing=down,
        )
        for rev in project.revisions
        for down in rev.down_revisions
        if down not in known
    ]
    heads = [rev for rev in project.revisions if rev.revision not in parents]
    # A missing parent splits the graph: the extra "head" is not the problem,
    # and an unreadable revision hides the links it holds.
    if len(heads) > 1 and not findings and not unreadable:
        names = ", ".join(head.revision for head in heads)
        findings.extend(
            finding(
                "multiple-heads",
                head.path,
                head.revision_line,
                revision=head.revision,
                heads=names,
            )
            for head in heads
        )
    return unreadable + findings
