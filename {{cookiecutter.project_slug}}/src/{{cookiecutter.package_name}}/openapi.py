"""`python -m {{ cookiecutter.package_name }} openapi`: the OpenAPI document, from the code.

Production does not serve /openapi.json (EXPOSE_OPENAPI): this writes the same
document without starting a server, for the load tester, client generators and
contract checks.
"""

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from .config import explain, get_settings
from .main import create_app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }} openapi", description=__doc__
    )
    parser.add_argument(
        "--output", type=Path, help="write it to this file (default: standard output)"
    )
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as error:
        sys.stderr.write(explain(error) + "\n")
        return 2
    document = json.dumps(create_app(settings).openapi(), indent=2) + "\n"
    if args.output:
        args.output.write_text(document)
    else:
        sys.stdout.write(document)
    return 0
