{%- set has_purge = cookiecutter.database == "postgresql" -%}
"""Entry point: `python -m {{ cookiecutter.package_name }}` serves (add `--reload` in
development); subcommands:
{%- if cookiecutter.auth == "api_key" %}
- `api-keys create|list|revoke` manages API keys;
{%- endif %}
- `openapi` writes the OpenAPI document{% if has_purge %};{% else %}.{% endif %}
{%- if has_purge %}
- `purge` deletes what has outlived its use (run it on a schedule).
{%- endif %}
"""

import argparse
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError
{%- if cookiecutter.auth == "api_key" %}

from .auth import cli as api_keys
from .config import explain, get_settings
{%- else %}

from .config import explain, get_settings
{%- endif %}
{%- if cookiecutter.metrics %}
from .metrics import prepare_multiprocess_metrics
{%- endif %}
from .observability import configure_logging
from .openapi import main as openapi
{%- if has_purge %}
from .purge import main as purge
{%- endif %}
from .server import BoundedHttpToolsProtocol


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
{%- if cookiecutter.auth == "api_key" %}
    if argv[:1] == ["api-keys"]:
        sys.exit(api_keys.main(argv[1:]))
{%- endif %}
    if argv[:1] == ["openapi"]:
        sys.exit(openapi(argv[1:]))
{%- if has_purge %}
    if argv[:1] == ["purge"]:
        sys.exit(purge(argv[1:]))
{%- endif %}
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    parser.add_argument(
        "--reload", action="store_true", help="restart on code changes (development)"
    )
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as error:
        sys.exit(explain(error))
    configure_logging(settings.log_level)
{%- if cookiecutter.metrics %}
    if settings.workers > 1 and not args.reload:
        prepare_multiprocess_metrics()
{%- endif %}
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=None if args.reload else settings.workers,
        reload=args.reload,
{%- if cookiecutter.database == "postgresql" %}
        # The package only: not .venv, not the local database's files.
{%- else %}
        # The package only, not .venv.
{%- endif %}
        reload_dirs=[str(Path(__file__).parent)] if args.reload else None,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        # httptools, with a size limit and a deadline on each request's head.
        http=BoundedHttpToolsProtocol,
    )


if __name__ == "__main__":
    main()
