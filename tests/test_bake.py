"""Every answer set bakes into a clean project: no Jinja residue, files parse, ruff is happy."""

import ast
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ANSWER_SETS, run

# GitHub Actions expressions (${{ … }}) are meant to be there; a closing `%}` alone
# is an f-string format spec ({share:.0%}), not Jinja.
JINJA_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|\{#")
BLANK_LINE_RUN = re.compile(r"\n\s*\n\s*\n\s*\n")

answer_sets = pytest.mark.parametrize("answer_set", list(ANSWER_SETS))


# What installing and running the project adds (other tests share the bake).
NOT_BAKED = {".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def files(project: Path) -> list[Path]:
    return [
        path
        for path in project.rglob("*")
        if path.is_file()
        and not NOT_BAKED.intersection(path.relative_to(project).parts)
        and path.name not in {".coverage", "uv.lock"}
    ]


@answer_sets
def test_bakes_without_jinja_residue(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    residue = [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path in files(project)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if JINJA_RESIDUE.search(line)
    ]

    assert residue == []


@answer_sets
def test_bakes_without_blank_line_runs(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    runs = [
        str(path.relative_to(project))
        for path in files(project)
        if BLANK_LINE_RUN.search(path.read_text())
    ]

    assert runs == []


@answer_sets
def test_bakes_files_that_parse(bake: Callable[[str], Path], answer_set: str) -> None:
    project = bake(answer_set)

    for path in files(project):
        text = path.read_text()
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yaml", ".yml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)


@answer_sets
def test_bakes_ruff_clean_code(bake: Callable[[str], Path], answer_set: str) -> None:
    project = bake(answer_set)

    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)


def test_answers_reach_the_generated_metadata(bake: Callable[[str], Path]) -> None:
    project = bake("awkward:py3.13")

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]

    assert project.name == "zurich-ledger-payments-api"
    assert metadata["name"] == "zurich-ledger-payments-api"
    assert metadata["description"] == ANSWER_SETS["awkward:py3.13"]["description"]
    assert metadata["authors"][0]["name"] == "Zoë O'Brien-Łukasz"
    assert metadata["requires-python"] == ">=3.13"
    assert (project / "src" / "zurich_ledger_payments_api" / "main.py").is_file()
    assert (project / ".python-version").read_text().strip() == "3.13"
