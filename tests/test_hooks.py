"""Invalid answers are refused with a one-line message naming the field, and nothing is written."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import TEMPLATE, subprocess_env


def load_pre_gen_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pre_gen_project", TEMPLATE / "hooks" / "pre_gen_project.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = load_pre_gen_hook()

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


def test_refuses_an_unsupported_python_version(tmp_path: Path) -> None:
    result = bake_cli(tmp_path, {"python_version": "3.9"})

    assert result.returncode != 0
    assert "python_version" in result.stderr
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


def test_validators_accept_the_defaults() -> None:
    answers = {
        "project_name": "Payments Service",
        "project_slug": "payments-service",
        "package_name": "payments_service",
        "description": "A production-ready FastAPI microservice.",
        "author_name": "Platform Team",
        "author_email": "platform@example.com",
        "python_version": "3.12",
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
