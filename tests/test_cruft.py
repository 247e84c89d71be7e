"""A service made from an earlier template commit updates to this one with cruft.

The template is read from git (cruft clones it), so this tests committed work:
the earlier commits below and HEAD. It needs the repository's history.
"""

import json
import subprocess
from pathlib import Path

import pytest

from tests.cleanliness import files
from tests.conftest import TEMPLATE, run

EARLIER = [
    # The template as it stood before it had options.
    pytest.param("c504487", {}, id="before-options:defaults"),
    # With options: their answers must survive the update.
    pytest.param(
        "0407a15",
        {
            "example_resource": False,
            "metrics": True,
            "ci": "gitlab",
            "deploy": "docker",
        },
        id="with-options:no-items,metrics,gitlab,docker",
    ),
]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Test",
    "GIT_AUTHOR_EMAIL": "template-test@example.com",
    "GIT_COMMITTER_NAME": "Template Test",
    "GIT_COMMITTER_EMAIL": "template-test@example.com",
}
# Written by the bake for this checkout alone, or by cruft and git themselves.
NOT_COMPARED = {".env", ".cruft.json"}


def full_sha(revision: str) -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(
            f"commit {revision} is not in this clone: the test needs the full history"
        )
    return found.stdout.strip()


def cruft_create(output: Path, commit: str, answers: dict[str, object]) -> Path:
    output.mkdir()
    run(
        [
            "cruft",
            "create",
            str(TEMPLATE),
            "--checkout",
            commit,
            "--no-input",
            "--default-config",
            "--extra-context",
            json.dumps(answers),
            "--output-dir",
            str(output),
        ],
        cwd=output,
    )
    (project,) = output.iterdir()
    return project


def contents(project: Path) -> dict[str, str]:
    return {
        str(path.relative_to(project)): path.read_text()
        for path in files(project)
        if ".git" not in path.relative_to(project).parts
        and path.name not in NOT_COMPARED
    }


@pytest.mark.parametrize(("earlier", "answers"), EARLIER)
def test_an_untouched_service_updates_cleanly_and_passes_its_checks(
    tmp_path: Path, earlier: str, answers: dict[str, object]
) -> None:
    head = full_sha("HEAD")
    project = cruft_create(tmp_path / "service", full_sha(earlier), answers)
    run(["git", "init", "--quiet", "--initial-branch=main"], cwd=project)
    run(["git", "add", "--all"], cwd=project)
    run(["git", "commit", "--quiet", "--message=baked"], cwd=project, env=GIT_IDENTITY)

    run(["cruft", "update", "--skip-apply-ask", "--checkout", head], cwd=project)

    run(["cruft", "check", "--checkout", head], cwd=project)
    fresh = cruft_create(tmp_path / "fresh", head, answers)
    assert contents(project) == contents(fresh)
    run(["make", "install"], cwd=project)
    run(["make", "check"], cwd=project)
