"""What every request model shares: unknown fields refused, text without control characters."""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

# Line breaks and tabs belong in multi-line text; nothing else of category Cc
# (NUL, escape sequences...) belongs in any text a client sends.
_MULTILINE = frozenset("\t\n\r")


class RequestModel(BaseModel):
    """A request body: a misspelt or unexpected field is a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def has_control_characters(
    value: str, *, allowed: frozenset[str] = frozenset()
) -> bool:
    return any(
        unicodedata.category(char) == "Cc" and char not in allowed for char in value
    )


def _one_line(value: str) -> str:
    if has_control_characters(value):
        msg = "must not contain control characters (NUL, line breaks, escapes...)"
        raise ValueError(msg)
    return value


def _multiline(value: str) -> str:
    if has_control_characters(value, allowed=_MULTILINE):
        msg = "must not contain control characters other than tabs and line breaks"
        raise ValueError(msg)
    return value


# A name, a title, an identifier: one line of printable text.
Line = Annotated[str, AfterValidator(_one_line)]
# A description or a comment: several lines of printable text.
Text = Annotated[str, AfterValidator(_multiline)]
