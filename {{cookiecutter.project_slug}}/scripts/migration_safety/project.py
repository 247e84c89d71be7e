"""Find the Alembic project, read its revisions and check the revision graph."""

import ast
import functools
import importlib.util
import io
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .catalog import finding
from .model import Finding, ProjectError, Revision

SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}
GRAPH_NAMES = ("revision", "down_revision")


@dataclass
class Project:
    root: Path
    config: Config
    script_dir: ScriptDirectory
    revisions: list[Revision]
    env_py: Path

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


def _has_tool_alembic(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "alembic" in data.get("tool", {})


def _find_config_files(path: Path) -> tuple[Path | None, Path | None]:
    """(alembic.ini, pyproject.toml with [tool.alembic]) for `path`."""
    if not path.exists():
        raise ProjectError(f"{path} does not exist")
    if path.is_file():
        if path.name == "pyproject.toml" and _has_tool_alembic(path):
            return None, path
        if path.suffix == ".ini":
            return path, None
        raise ProjectError(f"{path} is neither an alembic .ini nor a pyproject.toml")
    for level in [[path], *_subdirectories(path)]:
        found = [config for directory in level if (config := _config_in(directory))]
        if len(found) > 1:
            places = ", ".join(display(ini or toml or path) for ini, toml in found)
            raise ProjectError(f"several Alembic projects under {path}: {places}")
        if found:
            return found[0]
    raise ProjectError(
        f"no Alembic project under {path}: "
        "no alembic.ini (or [tool.alembic] in pyproject.toml) found"
    )


def _config_in(directory: Path) -> tuple[Path | None, Path | None] | None:
    ini = directory / "alembic.ini"
    pyproject = directory / "pyproject.toml"
    toml = pyproject if pyproject.is_file() and _has_tool_alembic(pyproject) else None
    if ini.is_file() or toml:
        return (ini if ini.is_file() else None), toml
    return None


def _subdirectories(path: Path, depth: int = 2) -> list[list[Path]]:
    """Directories below `path`, one list per level (hidden and venvs skipped)."""
    levels: list[list[Path]] = []
    level = [path]
    for _ in range(depth):
        level = [
            child
            for parent in level
            for child in sorted(parent.iterdir())
            if child.is_dir()
            and child.name not in SKIPPED_DIRS
            and not child.name.startswith(".")
        ]
        levels.append(level)
    return levels


def load_project(path: Path) -> Project:
    ini, toml = _find_config_files(path)
    config = Config(
        file_=str(ini) if ini else None,
        toml_file=str(toml) if toml else None,
        stdout=io.StringIO(),
    )
    root = (ini or toml or path).resolve().parent
    location = config.get_alembic_option("script_location")
    if (
        ini is not None
        and location
        and not Path(location).exists()
        and (root / location).is_dir()
    ):
        # Alembic reads a relative script_location from the working directory;
        # the tool may be run from anywhere.
        config.set_main_option("script_location", str(root / location))
    try:
        script_dir = ScriptDirectory.from_config(config)
    except CommandError as error:
        raise ProjectError(f"{display(ini or toml or path)}: {error}") from error
    locations = [Path(p) for p in script_dir.version_locations or [script_dir.versions]]
    pattern = "**/*.py" if script_dir.recursive_version_locations else "*.py"
    files = sorted(
        file.resolve()
        for folder in locations
        if folder.is_dir()
        for file in folder.glob(pattern)
        if not file.name.startswith(("__init__", ".#"))
    )
    revisions = [_parse_revision(file) for file in files]
    return Project(
        root=root,
        config=config,
        script_dir=script_dir,
        revisions=_in_order(revisions),
        env_py=Path(script_dir.dir) / "env.py",
    )


def _parse_revision(path: Path) -> Revision:
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as error:
        raise ProjectError(
            f"{display(path)}:{error.lineno}: cannot parse the revision: {error.msg}"
        ) from error
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in GRAPH_NAMES and value is not None:
            try:
                values[target] = ast.literal_eval(value)
            except ValueError as error:
                raise ProjectError(
                    f"{display(path)}:{node.lineno}: {target} must be a literal"
                ) from error
            lines[target] = node.lineno
    if not isinstance(values.get("revision"), str):
        raise ProjectError(f"{display(path)}: not a revision (no `revision = '...'`)")
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
    known = {rev.revision for rev in project.revisions}
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
    # A missing parent splits the graph: the extra "head" is not the problem.
    if len(heads) > 1 and not findings:
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
    return findings


def import_revision(revision: Revision) -> ModuleType:
    name = f"_migration_safety_{revision.revision}"
    spec = importlib.util.spec_from_file_location(name, revision.path)
    if spec is None or spec.loader is None:
        raise ProjectError(f"{display(revision.path)}: cannot import the revision")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        line = _line_in(error, revision.path)
        where = f"{display(revision.path)}:{line}" if line else display(revision.path)
        raise ProjectError(
            f"{where}: cannot import the revision: {type(error).__name__}: {error}"
        ) from error
    sys.modules[name] = module
    return module


def _line_in(error: BaseException, path: Path) -> int | None:
    traceback = error.__traceback__
    line = None
    while traceback is not None:
        if Path(traceback.tb_frame.f_code.co_filename) == path:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
