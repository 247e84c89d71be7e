"""Finish the bake: remove what the answers do not need, put the chosen auth
variant in place, then write a local .env.

Runs in the generated project. Offline and idempotent (cruft re-runs it on every
update): a path that is already gone is skipped, and an existing .env is kept.
"""

import json
import secrets
import shutil
from pathlib import Path

SECRET_KEY_BYTES = 48

# The template holds each auth variant's package beside the others, under a
# name of its own; the chosen one becomes auth/ (MOVED), so the routes import
# from one place whatever the choice.
AUTH_VARIANTS = ("jwt", "oidc", "api_key", "none")
AUTH_PACKAGES = ("src/{package}/auth", "tests/auth")


def auth_variant_paths(variant: str) -> tuple[str, ...]:
    return tuple(f"{path}_{variant}" for path in AUTH_PACKAGES)


def other_auth_variants(chosen: str) -> tuple[str, ...]:
    return tuple(
        path
        for variant in AUTH_VARIANTS
        if variant != chosen
        for path in auth_variant_paths(variant)
    )


# Local accounts: only the jwt variant has them.
JWT_ONLY = ("src/{package}/users", "tests/users")

# What each answer leaves out, as paths in the project; "{package}" is the
# import package's name. An option that removes a feature removes it here.
UNNEEDED: dict[tuple[str, object], tuple[str, ...]] = {
    ("auth", "jwt"): other_auth_variants("jwt"),
    ("auth", "oidc"): (*other_auth_variants("oidc"), *JWT_ONLY),
    ("auth", "api_key"): (*other_auth_variants("api_key"), *JWT_ONLY),
    ("auth", "none"): (*other_auth_variants("none"), *JWT_ONLY),
    ("database", "postgresql"): ("tests/conftest_stateless.py",),
    ("database", "none"): (
        "alembic.ini",
        "migrations",
        "scripts/dev.py",
        "scripts/database_migration_tool.py",
        "scripts/migration_safety",
        "src/{package}/database.py",
        "src/{package}/models.py",
        "src/{package}/models_registry.py",
        "tests/database.py",
        "tests/test_database.py",
        "tests/test_migrations.py",
        "tests/test_models.py",
        "deploy/k8s/base/migration-job.yaml",
        # What every resource shares, for items and `make resource` alike.
        "src/{package}/idempotency.py",
        "src/{package}/pagination.py",
        "src/{package}/preconditions.py",
        "src/{package}/resources.py",
        "scripts/scaffold.py",
        "docs/database.md",
        "tests/test_scaffold.py",
        "tests/test_resources.py",
        # Purged: expired logins with jwt, old idempotency records.
        "src/{package}/purge.py",
        "tests/test_purge.py",
        "deploy/k8s/base/purge-cronjob.yaml",
    ),
    ("example_resource", False): ("src/{package}/items", "tests/items"),
    # Items exercise the shared resource modules; without them this test does.
    ("example_resource", True): ("tests/test_resources.py",),
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

# What each answer renames, after the removals: (from, to) in the project.
Moves = tuple[tuple[str, str], ...]
MOVED: dict[tuple[str, object], Moves] = {
    **{
        ("auth", variant): tuple(
            zip(auth_variant_paths(variant), AUTH_PACKAGES, strict=True)
        )
        for variant in AUTH_VARIANTS
    },
    # Without a database the tests need no database fixtures at all.
    ("database", "none"): (("tests/conftest_stateless.py", "tests/conftest.py"),),
}


def unneeded_paths(answers: dict[str, object]) -> list[str]:
    """The project paths the answers leave out."""
    unneeded = [
        path
        for (option, value), paths in UNNEEDED.items()
        if answers.get(option) == value
        for path in paths
    ]
    return [path.format(package=answers["package_name"]) for path in unneeded]


def moved_paths(answers: dict[str, object]) -> list[tuple[str, str]]:
    """The (from, to) renames the answers make."""
    package = answers["package_name"]
    return [
        (source.format(package=package), target.format(package=package))
        for (option, value), moves in MOVED.items()
        if answers.get(option) == value
        for source, target in moves
    ]


def move(project: Path, source: str, target: str) -> None:
    """Rename source to target, replacing it; done already (source gone) is fine."""
    if (project / source).exists():
        (project / source).replace(project / target)


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
    for source, target in moved_paths(answers):
        move(project, source, target)
    write_env(project)
    return 0


if __name__ == "__main__":
    # Rendered by cookiecutter: tojson escapes quotes, so the raw literal stays intact.
    raise SystemExit(main(json.loads(r"""{{ cookiecutter | tojson }}"""), Path.cwd()))
