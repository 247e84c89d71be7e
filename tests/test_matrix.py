"""Every combination of the options bakes into a clean project with valid delivery files.

Exhaustive, so fast: each xdist worker bakes its shard of the matrix in-process
once, ruff runs once over the whole shard, and each validator runs once per
distinct file content.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.cleanliness import (
    blank_line_runs,
    cramped_blocks,
    files,
    jinja_residue,
    unparsable,
)
from tests.conftest import ANSWER_SETS, TEMPLATE, run
from tests.matrix import (
    SHARDS,
    Answers,
    answer,
    combination_id,
    combinations,
    compiled_once,
    distinct_files,
    matrix_options,
    shard,
)

Bakes = dict[str, tuple[Answers, Path]]

shards = pytest.mark.parametrize(
    "index",
    [
        pytest.param(
            index, id=f"shard-{index}", marks=pytest.mark.xdist_group(f"matrix-{index}")
        )
        for index in range(SHARDS)
    ],
)

# What removing the example resource must leave no trace of.
ITEM_TRACES = re.compile(r"\bItems?\b|/items\b|\bitems_router\b|\"items\"")


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Bakes]:
    """Bake a shard of the matrix once per session: {combination id: (answers, project)}."""
    baked: dict[int, Bakes] = {}

    def _matrix(index: int) -> Bakes:
        if index not in baked:
            root = tmp_path_factory.mktemp(f"matrix-{index}")
            # Our own config: nothing from the developer's ~/.cookiecutterrc.
            config = root / "cookiecutterrc.yaml"
            config.write_text(
                f"replay_dir: {root / 'replay'}\ncookiecutters_dir: {root / 'templates'}\n"
            )
            with compiled_once():
                baked[index] = {
                    combination_id(answers): (
                        answers,
                        Path(
                            cookiecutter(
                                str(TEMPLATE),
                                no_input=True,
                                extra_context=answers,
                                output_dir=str(root / "bakes" / str(number)),
                                config_file=str(config),
                            )
                        ),
                    )
                    for number, answers in enumerate(shard(index))
                }
        return baked[index]

    return _matrix


@shards
def test_every_combination_bakes_without_residue(
    matrix: Callable[[int], Bakes], index: int
) -> None:
    problems = {
        name: found
        for name, (_, project) in matrix(index).items()
        if (
            found := jinja_residue(project)
            + blank_line_runs(project)
            + cramped_blocks(project)
            + unparsable(project)
        )
    }

    assert problems == {}


@shards
def test_every_combination_is_ruff_clean(
    matrix: Callable[[int], Bakes], index: int
) -> None:
    projects = [str(project) for _, project in matrix(index).values()]

    # Each project is linted with its own pyproject.toml.
    run(["ruff", "check", "--no-cache", *projects], cwd=TEMPLATE)
    run(["ruff", "format", "--check", "--no-cache", *projects], cwd=TEMPLATE)


@shards
def test_answers_remove_what_they_do_not_need(
    matrix: Callable[[int], Bakes], index: int
) -> None:
    for name, (answers, project) in matrix(index).items():
        present = {
            path
            for path in [
                ".github/workflows/ci.yml",
                ".github/workflows/image.yml",
                ".gitlab-ci.yml",
                "Dockerfile",
                "compose.yaml",
                "deploy/k8s/overlays/production/kustomization.yaml",
            ]
            if (project / path).exists()
        }
        ci, deploy = answer(answers, "ci"), answer(answers, "deploy")
        expected = {
            *({".github/workflows/ci.yml"} if ci == "github" else ()),
            *(
                {".github/workflows/image.yml"}
                if ci == "github" and deploy != "none"
                else ()
            ),
            *({".gitlab-ci.yml"} if ci == "gitlab" else ()),
            *({"Dockerfile", "compose.yaml"} if deploy != "none" else ()),
            *(
                {"deploy/k8s/overlays/production/kustomization.yaml"}
                if deploy == "kubernetes"
                else ()
            ),
        }
        assert present == expected, name
        if not answer(answers, "example_resource"):
            code = ("src", "tests", "migrations", "perf")
            assert traces_of(ITEM_TRACES, project, within=code) == [], name
        if answer(answers, "database") == "none":
            assert traces_of(DATABASE_TRACES, project) == [], name
        if answer(answers, "auth") != "jwt":
            assert traces_of(ACCOUNT_TRACES, project) == [], name
        if not answer(answers, "use_redis"):
            assert traces_of(REDIS_TRACES, project) == [], name


# What a stateless service, or one without local accounts, must not mention.
DATABASE_TRACES = re.compile(r"sqlalchemy|alembic|asyncpg|postgres|DATABASE_URL|migrat")
ACCOUNT_TRACES = re.compile(
    r"SECRET_KEY|/users|auth/token|auth/register|pwdlib|argon2", re.I
)
# What a service that counts rate limits in memory must not mention.
REDIS_TRACES = re.compile(r"REDIS_URL|redis://|redis\.asyncio|redis:\d|\"redis[>=]")


def traces_of(
    pattern: re.Pattern[str], project: Path, within: tuple[str, ...] = ()
) -> list[str]:
    """Matching lines of the project's files: those in the top-level folders
    `within`, or else every file but the generic tools in scripts/."""
    found = []
    for path in files(project):
        relative = path.relative_to(project)
        if relative.parts[0] not in within if within else "scripts" in relative.parts:
            continue
        found += [
            f"{relative}: {line.strip()}"
            for line in path.read_text().splitlines()
            if pattern.search(line)
        ]
    return found


def validate(command: list[str], paths: list[Path]) -> None:
    if paths:
        run([*command, *map(str, paths)], cwd=TEMPLATE)


@shards
def test_delivery_files_pass_their_validators(
    matrix: Callable[[int], Bakes], index: int, tmp_path: Path
) -> None:
    projects = [project for _, project in matrix(index).values()]
    workflows = distinct_files(projects, ".github/workflows/*.yml")
    gitlab = distinct_files(projects, ".gitlab-ci.yml")
    compose = distinct_files(projects, "compose.yaml")

    validate(
        ["hadolint", "--failure-threshold", "style"],
        distinct_files(projects, "Dockerfile"),
    )
    validate(["check-jsonschema", "--builtin-schema", "vendor.compose-spec"], compose)
    validate(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows"], workflows
    )
    validate(["actionlint", "-no-color"], workflows)
    validate(["zizmor", "--offline", "--no-progress"], workflows)
    validate(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci"], gitlab)
    # The project's config, less its ignore-from-file: run from here, that would
    # read this repository's .gitignore, which ignores build/, where bakes live.
    project_config = TEMPLATE / "{{cookiecutter.project_slug}}" / ".yamllint.yaml"
    config = tmp_path / "yamllint.yaml"
    config.write_text(
        "".join(
            line
            for line in project_config.read_text().splitlines(keepends=True)
            if not line.startswith("ignore-from-file:")
        )
    )
    validate(["yamllint", "--strict", "-c", str(config)], workflows + gitlab + compose)

    overlays = distinct_overlays(projects)
    built = []
    for number, overlay in enumerate(overlays):
        manifests = run(["kubectl", "kustomize", str(overlay)], cwd=TEMPLATE).stdout
        built.append(tmp_path / f"overlay-{number}.yaml")
        built[-1].write_text(manifests)
    validate(["kubernetes-validate", "--strict"], built)
    assert overlays or not any((project / "deploy").exists() for project in projects)


def distinct_overlays(projects: list[Path]) -> list[Path]:
    """One overlay directory per distinct content of the overlay and the base."""
    seen: dict[bytes, Path] = {}
    for project in projects:
        base = sorted((project / "deploy/k8s/base").glob("*.yaml"))
        for overlay in sorted((project / "deploy/k8s/overlays").glob("*")):
            content = b"".join(
                path.read_bytes() for path in [*base, overlay / "kustomization.yaml"]
            )
            seen.setdefault(content, overlay)
    return list(seen.values())


# Options whose code meets: every pair of their values is installed and checked.
INTERACTING = [
    ("auth", "database"),
    ("auth", "example_resource"),
    ("auth", "use_redis"),
    ("metrics", "tracing"),
]


def test_answer_sets_give_every_option_every_value() -> None:
    """The installed answer sets (make check, quick start) cover the whole matrix's values."""
    for option, values in matrix_options().items():
        covered = {answer(answers, option) for answers in ANSWER_SETS.values()}
        assert covered == set(values), option


@pytest.mark.parametrize(("first", "second"), INTERACTING)
def test_answer_sets_give_every_pair_of_interacting_options(
    first: str, second: str
) -> None:
    possible = {
        (answer(answers, first), answer(answers, second)) for answers in combinations()
    }
    covered = {
        (answer(answers, first), answer(answers, second))
        for answers in ANSWER_SETS.values()
    }

    assert covered == possible
