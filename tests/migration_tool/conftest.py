"""The default service, installed once, whose migration tool the tests run."""

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import subprocess_env


@pytest.fixture(scope="session")
def service(installed: Callable[[str], Path]) -> Path:
    """The default bake after `make install`, with a squawk binary in reach."""
    project = installed("defaults")
    beside = project / ".venv" / "bin" / "squawk"
    on_path = shutil.which("squawk", path=subprocess_env()["PATH"])
    if not beside.is_file() and on_path is None:
        pytest.fail(
            "no squawk binary: add squawk-cli to the service's or the template's "
            f"dev dependencies (looked beside {sys.executable} and on PATH)"
        )
    return project
