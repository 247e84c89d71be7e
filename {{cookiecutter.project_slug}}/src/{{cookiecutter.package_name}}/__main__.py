"""Server entry point: `python -m {{ cookiecutter.package_name }}` (add `--reload` in development)."""

import argparse

import uvicorn

from .config import get_settings
from .observability import configure_logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    parser.add_argument(
        "--reload", action="store_true", help="restart on code changes (development)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=None if args.reload else settings.workers,
        reload=args.reload,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    main()
