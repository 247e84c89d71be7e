"""Every answer set bakes into a clean project: no Jinja residue, files parse, ruff is happy."""

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cleanliness import blank_line_runs, jinja_residue, unparsable
from tests.conftest import ANSWER_SETS, run

answer_sets = pytest.mark.parametrize("answer_set", list(ANSWER_SETS))


@answer_sets
def test_bakes_without_jinja_residue(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    assert jinja_residue(bake(answer_set)) == []


@answer_sets
def test_bakes_without_blank_line_runs(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    assert blank_line_runs(bake(answer_set)) == []


@answer_sets
def test_bakes_files_that_parse(bake: Callable[[str], Path], answer_set: str) -> None:
    assert unparsable(bake(answer_set)) == []


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
