"""Finish the bake: remove what the answers do not need, then write a local .env.

Runs in the generated project. Offline and idempotent (cruft re-runs it on every
update): a path that is already gone is skipped, and an existing .env is kept.
"""

import json
import secrets
import shutil
from pathlib import Path

SECRET_KEY_BYTES = 48

# What each answer leaves out, as paths in the project; "{package}" is the
# import package's name. An option that removes a feature removes it here.
UNNEEDED: dict[tuple[str, object], tuple[str, ...]] = {
    ("example_resource", False): (
        "src/{package}/items",
        "src/{package}/idempotency.py",
        "src/{package}/pagination.py",
        "tests/items",
    ),
    ("metrics", False): ("src/{package}/metrics.py", "tests/test_metrics.py"),
    ("tracing", False): ("src/{package}/tracing.py", "tests/test_tracing.py"),
    ("ci", "github"): (".gitlab-ci.yml",),
    ("ci", "gitlab"): (".github",),
    ("ci", "none"): (".github", ".gitlab-ci.yml"),
    ("deploy", "docker"): ("deploy",),
    ("deploy", "none"): (
        "deploy",
        "Dockerfile",
        ".dockerignore",
        "compose.yaml",
        ".github/workflows/image.yml",
    ),
}


def unneeded_paths(answers: dict[str, object]) -> list[str]:
    """The project paths the answers leave out."""
    return [
        path.format(package=answers["package_name"])
        for (option, value), paths in UNNEEDED.items()
        if answers.get(option) == value
        for path in paths
    ]


def remove(project: Path, relative: str) -> None:
    path = project / relative
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def write_env(project: Path) -> None:
    """Write .env from .env.example, with a freshly generated SECRET_KEY."""
    env = project / ".env"
    if env.exists():
        return
    lines = (project / ".env.example").read_text().splitlines(keepends=True)
    env.write_text(
        "".join(
            f"SECRET_KEY={secrets.token_urlsafe(SECRET_KEY_BYTES)}\n"
            if line.startswith("SECRET_KEY=")
            else line
            for line in lines
        )
    )
    # The key signs every token: readable by its owner only.
    env.chmod(0o600)


def main(answers: dict[str, object], project: Path) -> int:
    for relative in unneeded_paths(answers):
        remove(project, relative)
    write_env(project)
    return 0


if __name__ == "__main__":
    # Rendered by cookiecutter: tojson escapes quotes, so the raw literal stays intact.
    raise SystemExit(main(json.loads(r"""{{ cookiecutter | tojson }}"""), Path.cwd()))
