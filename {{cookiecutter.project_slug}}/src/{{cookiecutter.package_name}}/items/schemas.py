from pydantic import Field

from ..pagination import Page
from ..resources import ResourceRead
from ..schemas import Line, RequestModel, Text, not_null


class ItemCreate(RequestModel):
    name: Line = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)


class ItemUpdate(RequestModel):
    """Fields to change; omitted fields stay as they are."""

    name: Line | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)

    _required = not_null("name")


class ItemRead(ResourceRead):
    name: str
    description: str | None


class ItemPage(Page[ItemRead]):
    pass
