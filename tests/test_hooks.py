"""Invalid answers are refused with a one-line message naming the field, and nothing is written."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEMPLATE, subprocess_env
from tests.matrix import load_hook

hook = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

INVALID = [
    ("project_slug", "Payments Service", "lowercase ASCII letters"),
    ("project_slug", "9lives", "starting with a letter"),
    ("project_slug", "double--hyphen", "single hyphens"),
    ("project_slug", "s" * 56, "at most 55 characters"),
    ("package_name", "payments-service", "a Python identifier"),
    ("package_name", "import", "must not shadow"),
    ("package_name", "json", "must not shadow"),
    ("package_name", "x" * 33, "at most 32 characters"),
    ("project_name", "\t", "printable characters"),
    ("project_name", "!!!", "at least one letter"),
    ("description", "two\nlines", "printable characters on one line"),
    ("author_email", "platform-at-example.com", "an e-mail address"),
]


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    INVALID,
    ids=[f"{option}:{value[:12]!r}" for option, value, _ in INVALID],
)
def test_refuses_invalid_answer(
    tmp_path: Path, option: str, value: str, allowed: str
) -> None:
    # A valid slug keeps cookiecutter from tripping over an empty directory name.
    result = bake_cli(tmp_path, {"project_slug": "svc", option: value})

    assert result.returncode != 0
    assert f"ERROR: {option} ({value!r}): " in result.stderr
    assert allowed in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


BAD_CHOICES = [
    (
        "python_version",
        "3.9",
        "ValueError: 3.9 provided for choice variable python_version,"
        " but the choices are ['3.12', '3.13', '3.11'].",
    ),
    (
        "ci",
        "jenkins",
        "ValueError: jenkins provided for choice variable ci,"
        " but the choices are ['github', 'gitlab', 'none'].",
    ),
    (
        "deploy",
        "helm",
        "ValueError: helm provided for choice variable deploy,"
        " but the choices are ['kubernetes', 'docker', 'none'].",
    ),
    (
        "example_resource",
        "maybe",
        "ValueError: maybe provided for variable example_resource"
        " could not be converted to a boolean.",
    ),
]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    BAD_CHOICES,
    ids=[f"{option}:{value}" for option, value, _ in BAD_CHOICES],
)
def test_cookiecutter_refuses_a_value_outside_the_choices(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    """Cookiecutter itself refuses it before any hook runs: its last line says why."""
    result = bake_cli(tmp_path, {option: value})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == message
    assert list((tmp_path / "out").iterdir()) == []


def bake_cli(
    tmp_path: Path, answers: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "out"
    out.mkdir()
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(out),
            str(TEMPLATE),
            *(f"{option}={value}" for option, value in answers.items()),
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )


REFUSED = [
    ({"database": "none"}, ["auth", "example_resource"]),
    ({"database": "none", "auth": "api_key", "example_resource": False}, ["auth"]),
    ({"database": "none", "auth": "oidc"}, ["example_resource"]),
]


@pytest.mark.parametrize(
    ("answers", "refused"), REFUSED, ids=["defaults", "api-keys", "items"]
)
def test_refuses_what_needs_a_database_without_one(
    tmp_path: Path, answers: dict[str, str], refused: list[str]
) -> None:
    result = bake_cli(tmp_path, {key: str(value) for key, value in answers.items()})

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert [line.split(" ")[1] for line in lines] == refused
    assert all("with database ('none')" in line for line in lines)
    assert all("choose database=postgresql" in line for line in lines)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_stateless_service_is_accepted(tmp_path: Path) -> None:
    answers = {"database": "none", "auth": "oidc", "example_resource": "no"}

    assert bake_cli(tmp_path, answers).returncode == 0


def test_validators_accept_the_defaults() -> None:
    answers = {
        "project_name": "Payments Service",
        "project_slug": "payments-service",
        "package_name": "payments_service",
        "description": "A production-ready FastAPI microservice.",
        "author_name": "Platform Team",
        "author_email": "platform@example.com",
    }

    assert hook.main(answers) == 0


def test_main_reports_every_error_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    answers = {option: "" for option in hook.VALIDATORS}

    assert hook.main(answers) == 1
    reported = capsys.readouterr().err.splitlines()
    assert {line.split(" ")[1] for line in reported} >= {
        "project_name",
        "project_slug",
        "package_name",
        "author_email",
    }


def test_post_gen_removes_what_the_answers_leave_out() -> None:
    answers = {
        "package_name": "svc",
        "example_resource": False,
        "ci": "none",
        "deploy": "docker",
    }

    assert sorted(post_gen.unneeded_paths(answers)) == [
        ".github",
        ".gitlab-ci.yml",
        "deploy",
        # The shared modules stay: `make resource` writes resources that use them.
        "src/svc/items",
        "tests/items",
    ]


def test_post_gen_puts_the_chosen_auth_variant_in_place() -> None:
    answers = {"package_name": "svc", "auth": "none", "example_resource": True}

    assert sorted(post_gen.unneeded_paths(answers)) == [
        "src/svc/auth_api_key",
        "src/svc/auth_jwt",
        "src/svc/auth_oidc",
        "src/svc/users",
        "tests/auth_api_key",
        "tests/auth_jwt",
        "tests/auth_oidc",
        # Items exercise the shared resource modules: no test of its own for them.
        "tests/test_resources.py",
        "tests/users",
    ]
    assert post_gen.moved_paths(answers) == [
        ("src/svc/auth_none", "src/svc/auth"),
        ("tests/auth_none", "tests/auth"),
    ]


def test_post_gen_runs_again_without_harm(cookies: Any) -> None:
    """cruft re-runs the hooks on every update: paths already gone, .env kept."""
    answers = {
        "auth": "none",
        "example_resource": False,
        "ci": "gitlab",
        "deploy": "none",
    }
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    env = (project / ".env").read_text()
    before = sorted(project.rglob("*"))

    assert post_gen.main({"package_name": "payments_service", **answers}, project) == 0

    assert (project / ".env").read_text() == env
    assert sorted(project.rglob("*")) == before
    assert (project / "src/payments_service/auth/dependencies.py").is_file()
    assert oct((project / ".env").stat().st_mode & 0o777) == "0o600"


def test_post_gen_writes_a_fresh_secret_key_for_local_accounts(cookies: Any) -> None:
    result = cookies.bake(extra_context={"auth": "jwt"})
    assert result.exit_code == 0, result.exception
    env = (Path(result.project_path) / ".env").read_text()

    secret = [line for line in env.splitlines() if line.startswith("SECRET_KEY=")]
    assert len(secret) == 1
    assert len(secret[0].removeprefix("SECRET_KEY=")) >= 64
