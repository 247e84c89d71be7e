"""What every request model shares: unknown fields refused, text without control characters."""
{%- if cookiecutter.database == "postgresql" %}

import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)
{%- else %}

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
{%- endif %}

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
{%- if cookiecutter.database == "postgresql" %}


def _not_null(value: object, info: ValidationInfo) -> object:
    if value is None:
        msg = f"{info.field_name} cannot be null; omit it to keep the current value"
        raise ValueError(msg)
    return value


def not_null(*fields: str) -> Any:
    """For a partial update: these fields may be omitted, but not set to null.

    Use in the model's body: `_required = not_null("name")`.
    """
    return field_validator(*fields)(_not_null)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# A point in time: an offset is required, and the value is kept in UTC, as
# PostgreSQL returns it.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


def scaled(scale: int) -> Callable[[Decimal], Decimal]:
    """Give a decimal exactly `scale` digits after the point, as a numeric column does."""
    exponent = Decimal(1).scaleb(-scale)

    def rescale(value: Decimal) -> Decimal:
        return value.quantize(exponent)

    return rescale


def _decoded(value: object) -> object:
    # asyncpg hands json and jsonb values over as text (see ReadQuery).
    return json.loads(value) if isinstance(value, str) else value


# A JSON object column, as read by ReadQuery or by the ORM.
JsonObject = Annotated[dict[str, Any], BeforeValidator(_decoded)]
{%- endif %}
