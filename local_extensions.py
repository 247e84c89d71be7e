"""Jinja filters that render cookiecutter answers as literals of the target language."""

import json

from cookiecutter.utils import simple_filter


@simple_filter
def toml_str(value: str) -> str:
    """Render a TOML basic string (JSON string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)


@simple_filter
def py_str(value: str) -> str:
    """Render a Python string literal with the quotes ruff format would choose."""
    if '"' in value and "'" not in value:
        return (
            "'" + json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"') + "'"
        )
    return json.dumps(value, ensure_ascii=False)
