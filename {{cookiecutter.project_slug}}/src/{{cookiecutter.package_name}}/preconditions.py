"""ETags and `If-Match`: a client changes only the version it last read."""

from typing import Annotated

from fastapi import Header

from .exceptions import BadRequestError

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag of the version you last read."),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` header names; None when it names none (or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        msg = f"If-Match must be an ETag returned by this API, got {if_match!r}."
        raise BadRequestError(msg) from exc
