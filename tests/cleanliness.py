"""What makes a baked project look hand-written: checks shared by every bake test."""

import ast
import itertools
import json
import re
import tomllib
from pathlib import Path

import yaml

# GitHub Actions expressions (${{ … }}) are meant to be there; a closing `%}` alone
# is an f-string format spec ({share:.0%}), not Jinja.
JINJA_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|\{#")
BLANK_LINE_RUN = re.compile(r"\n\s*\n\s*\n\s*\n")
MAKE_TARGET = re.compile(r"^[a-z][a-z-]*:")
YAML_TOP_LEVEL_KEY = re.compile(r"^[a-z.][\w.-]*:")
# YAML whose top-level entries (jobs, services) are separated by blank lines;
# Kubernetes manifests put `spec:` right under `metadata:`.
SPACED_YAML = {".gitlab-ci.yml", "compose.yaml"}
# What installing and running the project adds (other tests share the bake).
NOT_BAKED = {
    ".venv",
    "__pycache__",
    ".hypothesis",
    ".mypy_cache",
    ".postgres",
    ".pytest_cache",
    ".ruff_cache",
}


def files(project: Path) -> list[Path]:
    return [
        path
        for path in project.rglob("*")
        if path.is_file()
        and not NOT_BAKED.intersection(path.relative_to(project).parts)
        # Coverage data (the suite's own and its subprocesses') and the lock file
        # are written by running a bake, not by baking it.
        and not path.name.startswith(".coverage")
        and path.name != "uv.lock"
    ]


def jinja_residue(project: Path) -> list[str]:
    return [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path in files(project)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if JINJA_RESIDUE.search(line)
    ]


def blank_line_runs(project: Path) -> list[str]:
    return [
        str(path.relative_to(project))
        for path in files(project)
        if BLANK_LINE_RUN.search(path.read_text())
    ]


def cramped_blocks(project: Path) -> list[str]:
    """Blocks that a template conditional glued to the one before.

    A Makefile target right after a recipe, a Markdown heading or paragraph
    right after other text or a code block, a GitLab job or compose entry
    right after the previous one's body.
    """
    problems = []
    for path in files(project):
        lines = path.read_text().splitlines()
        fence_open = False
        for number, (before, line) in enumerate(itertools.pairwise(lines), start=2):
            if path.suffix == ".md" and before.startswith("```"):
                fence_open = not fence_open
            if not before.strip() or not line.strip():
                continue
            if (
                (
                    path.name == "Makefile"
                    and before.startswith("\t")
                    and MAKE_TARGET.match(line)
                )
                or (path.suffix == ".md" and not fence_open and line.startswith("#"))
                or (
                    path.suffix == ".md"
                    and before == "```"
                    and not fence_open
                    and not line.startswith("```")
                )
                or (
                    path.name in SPACED_YAML
                    and before.startswith(" ")
                    and YAML_TOP_LEVEL_KEY.match(line)
                )
            ):
                problems.append(f"{path.relative_to(project)}:{number}: {line.strip()}")
    return problems


def unparsable(project: Path) -> list[str]:
    """Files that their own language's parser refuses, with the reason."""
    problems = []
    for path in files(project):
        text = path.read_text()
        try:
            if path.suffix == ".py":
                ast.parse(text, filename=str(path))
            elif path.suffix == ".toml":
                tomllib.loads(text)
            elif path.suffix in {".yaml", ".yml"}:
                list(yaml.safe_load_all(text))
            elif path.suffix == ".json":
                json.loads(text)
        except (
            SyntaxError,
            tomllib.TOMLDecodeError,
            yaml.YAMLError,
            ValueError,
        ) as error:
            problems.append(f"{path.relative_to(project)}: {error}")
    return problems
