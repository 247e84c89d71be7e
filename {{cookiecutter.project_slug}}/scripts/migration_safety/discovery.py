"""Find the Alembic setup of a project nobody here wrote, and say how it was found.

Every path is resolved against the target (the config file's folder), never
against the directory the tool runs from: run from inside a service that has
its own `migrations/`, a relative `script_location` would otherwise name that
service's folder and the tool would check (or fix) the wrong project.

Layouts met in real projects: alembic.ini with `script_location` (relative,
`%(here)s`, or `package:path`), Flask-Migrate (`migrations/alembic.ini` beside
env.py, no `script_location`), a location the application fills in at run time
(`{alembic_dir}`), named sections, `[tool.alembic]` in pyproject.toml, and
script folders several levels deep.
"""

import configparser
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .model import ProjectError

SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    "site-packages",
    "build",
    "dist",
}
# Deep enough for mlflow/store/db_migrations; a cap keeps a monorepo walk short.
MAX_DEPTH = 5
MAX_FOLDERS = 20_000


@dataclass(frozen=True)
class Request:
    """What the user asked for: a path, and perhaps where exactly to look."""

    path: Path
    config: Path | None = None
    section: str | None = None
    script_location: Path | None = None


@dataclass(frozen=True)
class Target:
    """The Alembic setup to analyse."""

    script_dir: Path
    config_file: Path | None
    section: str
    root: Path
    how: str
    also_found: tuple[Path, ...] = ()

    def describe(self) -> str:
        folder = (
            self.script_dir.relative_to(self.root)
            if self.script_dir.is_relative_to(self.root)
            else self.script_dir
        )
        text = f"analysed {self.root}: migrations in {folder} ({self.how})"
        if self.also_found:
            others = ", ".join(str(path) for path in self.also_found)
            text += (
                f"; also found {others} (deeper: pass --script-location to pick one)"
            )
        return text


def is_script_dir(path: Path) -> bool:
    return (path / "env.py").is_file() and (
        (path / "versions").is_dir() or (path / "script.py.mako").is_file()
    )


def _has_tool_alembic(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "alembic" in data.get("tool", {})


@dataclass
class _Resolved:
    """A config file and the script folder it names (or why it names none)."""

    config: Path
    section: str
    script_dir: Path | None
    how: str
    reason: str = ""
    raw: str = ""
    notes: list[str] = field(default_factory=list)


def _ini_sections(ini: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        defaults={"here": str(ini.parent)}, interpolation=None
    )
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ProjectError(f"{ini}: not a readable ini file: {error}") from error
    return parser


def _expand_here(value: str, folder: Path) -> str:
    return value.replace("%(here)s", str(folder)).replace("%%", "%")


def _ini_location(ini: Path, section: str | None) -> tuple[str, str | None]:
    """(section, raw script_location) of an alembic ini; chooses the section."""
    parser = _ini_sections(ini)
    if section is not None:
        if not parser.has_section(section):
            present = ", ".join(parser.sections()) or "none"
            raise ProjectError(f"{ini}: no [{section}] section (sections: {present})")
        return section, parser.get(section, "script_location", fallback=None)
    if parser.has_option("alembic", "script_location"):
        return "alembic", parser.get("alembic", "script_location")
    # Several setups in one ini (dispatch: [core] and [tenant]), each run with
    # `alembic --name SECTION`.
    named = [
        name for name in parser.sections() if parser.has_option(name, "script_location")
    ]
    if len(named) == 1:
        return named[0], parser.get(named[0], "script_location")
    if named:
        raise ProjectError(
            f"{ini}: several sections name a script_location ({', '.join(named)}): "
            "pick one with --section NAME"
        )
    return "alembic", None


def _toml_location(pyproject: Path) -> str | None:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    value = data.get("tool", {}).get("alembic", {}).get("script_location")
    return value if isinstance(value, str) else None


def _location_path(raw: str, folder: Path, top: Path | None) -> tuple[Path | None, str]:
    """Where a script_location points: from its config's folder, else from a
    folder above it up to the target (projects that run `alembic -c
    pkg/alembic.ini` from their root write it relative to the root)."""
    value = _expand_here(raw.strip(), folder)
    if "{" in value or "}" in value or "%(" in value:
        return None, "is filled in by the application at run time"
    bases = [folder]
    if top is not None and folder.is_relative_to(top):
        bases += [parent for parent in folder.parents if parent.is_relative_to(top)]
    if ":" in value and not Path(value).is_absolute() and value[1:2] != ":":
        # `package:path`, Alembic's package-resource form.
        package, _, inner = value.partition(":")
        candidates = [
            base / sub / Path(*package.split(".")) / inner
            for base in bases
            for sub in (".", "src")
        ]
        reason = f"names package {package!r}, which is not under {folder}"
    elif Path(value).is_absolute():
        candidates = [Path(value)]
        reason = "does not exist"
    else:
        candidates = [base / value for base in bases]
        reason = f"does not exist (relative to {folder})"
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve(), ""
    return None, reason


def resolve_config(
    config: Path, section: str | None, top: Path | None = None
) -> _Resolved:
    """The script folder a config file names, or the reason it names none."""
    folder = config.resolve().parent
    if config.name == "pyproject.toml" or config.suffix == ".toml":
        if not _has_tool_alembic(config):
            raise ProjectError(f"{config}: no [tool.alembic] table")
        raw = _toml_location(config)
        how = f"{config.name} [tool.alembic] script_location"
        chosen = "alembic"
    else:
        chosen, raw = _ini_location(config, section)
        how = f"{config.name} [{chosen}] script_location"
    if raw is None:
        if is_script_dir(folder):
            return _Resolved(
                config,
                chosen,
                folder,
                f"Flask-Migrate layout: {config.name} beside env.py, "
                "no script_location",
            )
        return _Resolved(config, chosen, None, how, "is not set")
    location, reason = _location_path(raw, folder, top)
    return _Resolved(config, chosen, location, how, reason, raw)


def _walk(path: Path) -> Iterator[tuple[int, Path]]:
    """(depth, folder) breadth first, skipping virtualenvs, caches and hidden folders."""
    level = [path]
    seen = 0
    for depth in range(MAX_DEPTH + 1):
        following: list[Path] = []
        for folder in level:
            yield depth, folder
            seen += 1
            if seen >= MAX_FOLDERS:
                return
            try:
                children = sorted(folder.iterdir())
            except OSError:
                continue
            following += [
                child
                for child in children
                if child.is_dir()
                and not child.is_symlink()
                and child.name not in SKIPPED_DIRS
                and not child.name.startswith(".")
            ]
        level = following


@dataclass
class _Candidate:
    script_dir: Path
    depth: int
    config: Path | None
    section: str
    how: str


def locate(request: Request) -> Target:
    path = request.path
    if not path.exists():
        raise ProjectError(f"{path} does not exist")
    if request.script_location is not None:
        return _explicit_location(request, request.script_location)
    if request.config is not None or path.is_file():
        config = request.config or path
        if not config.is_file():
            raise ProjectError(f"--config {config}: no such file")
        top = path.resolve() if path.is_dir() else None
        resolved = resolve_config(config, request.section, top)
        if resolved.script_dir is None:
            raise ProjectError(
                f"{config}: script_location {resolved.raw!r} {resolved.reason}: "
                "pass --script-location FOLDER"
            )
        root = path.resolve() if path.is_dir() else config.resolve().parent
        return Target(
            resolved.script_dir, config.resolve(), resolved.section, root, resolved.how
        )
    return _discover(path.resolve(), request.section)


def _explicit_location(request: Request, location: Path) -> Target:
    if not location.is_absolute():
        # Relative to the target, like every other path the tool uses.
        base = request.path if request.path.is_dir() else request.path.parent
        location = base / location
    if not (location / "env.py").is_file():
        raise ProjectError(
            f"--script-location {location}: no env.py there "
            "(expected the Alembic folder holding env.py and versions/)"
        )
    config = request.config.resolve() if request.config else None
    section = request.section or "alembic"
    if config is not None:
        section = resolve_config(config, request.section).section
    root = request.path.resolve() if request.path.is_dir() else location.resolve()
    return Target(location.resolve(), config, section, root, "--script-location")


def _discover(path: Path, section: str | None) -> Target:
    configs: list[tuple[int, Path]] = []
    script_dirs: dict[Path, int] = {}
    for depth, folder in _walk(path):
        if (folder / "alembic.ini").is_file():
            configs.append((depth, folder / "alembic.ini"))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_alembic(pyproject):
            configs.append((depth, pyproject))
        if is_script_dir(folder):
            script_dirs[folder.resolve()] = depth
    candidates: dict[Path, _Candidate] = {}
    unresolved: list[_Resolved] = []
    for depth, config in configs:
        resolved = resolve_config(config, section, path)
        if resolved.script_dir is None:
            unresolved.append(resolved)
            continue
        candidates.setdefault(
            resolved.script_dir,
            _Candidate(
                resolved.script_dir, depth, config, resolved.section, resolved.how
            ),
        )
    for resolved in unresolved:
        folder = resolved.config.resolve().parent
        below = [
            script_dir
            for script_dir in script_dirs
            if script_dir.is_relative_to(folder)
        ]
        if len(below) == 1 and below[0] not in candidates:
            candidates[below[0]] = _Candidate(
                below[0],
                script_dirs[below[0]],
                resolved.config,
                resolved.section,
                f"{resolved.how} {resolved.raw!r} {resolved.reason}; "
                "using the one folder with env.py beside it",
            )
    for script_dir, depth in script_dirs.items():
        candidates.setdefault(
            script_dir,
            _Candidate(
                script_dir, depth, None, "alembic", "a folder with env.py, no config"
            ),
        )
    if not candidates:
        detail = ""
        if unresolved:
            first = unresolved[0]
            detail = f"; {first.config}: script_location {first.raw!r} {first.reason}"
        raise ProjectError(
            f"no Alembic project under {path}: no alembic.ini, [tool.alembic] in "
            "pyproject.toml or folder with env.py and versions/ "
            f"(searched {MAX_DEPTH} levels){detail}; "
            "pass --script-location FOLDER or --config FILE"
        )
    shallowest = min(candidate.depth for candidate in candidates.values())
    chosen = [c for c in candidates.values() if c.depth == shallowest]
    if len(chosen) > 1:
        places = ", ".join(str(c.script_dir) for c in chosen)
        raise ProjectError(
            f"several Alembic projects under {path}: {places}; "
            "pick one with --script-location FOLDER (or pass its folder)"
        )
    [best] = chosen
    others = tuple(sorted(c.script_dir for c in candidates.values() if c is not best))
    return Target(
        best.script_dir,
        best.config.resolve() if best.config else None,
        best.section,
        path,
        best.how,
        others,
    )
