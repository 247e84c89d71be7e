"""Finish the bake: a local .env with a SECRET_KEY of its own.

Runs in the generated project. Offline and idempotent (cruft re-runs it on every
update): an existing .env is never touched.
"""

import secrets
from pathlib import Path

SECRET_KEY_BYTES = 48


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


def main() -> int:
    write_env(Path.cwd())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
