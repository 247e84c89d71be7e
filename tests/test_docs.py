"""The generated guides stay true: every file and test they name is in the bake."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ANSWER_SETS
from tests.matrix import answer

# `src/pkg/resources.py`, `tests/test_database.py::test_name`: paths from the
# project's root, optionally with a function of that file.
REFERENCE = re.compile(
    r"`((?:src|tests|scripts|migrations|deploy|docs)/[\w./-]+?)(?:::(\w+))?`"
)


def broken_references(project: Path, guide: Path) -> list[str]:
    broken = []
    for path, function in REFERENCE.findall(guide.read_text()):
        target = project / path
        if not target.exists():
            broken.append(path)
        elif function and not re.search(
            rf"^(async )?def {function}\(", target.read_text(), re.MULTILINE
        ):
            broken.append(f"{path}::{function}")
    return broken


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_every_file_and_test_a_guide_names_exists(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)
    expected = {"api-design.md", "security.md"}
    if answer(ANSWER_SETS[answer_set], "database") == "postgresql":
        expected.add("database.md")
    guides = sorted((project / "docs").glob("*.md"))

    assert {guide.name for guide in guides} == expected
    for guide in guides:
        assert len(REFERENCE.findall(guide.read_text())) >= 5, guide.name
        assert broken_references(project, guide) == [], guide.name
