import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..schemas import Line, RequestModel, Text


class ItemCreate(RequestModel):
    name: Line = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)


class ItemUpdate(RequestModel):
    """Fields to change; omitted fields stay as they are."""

    name: Line | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=2000)

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            msg = "name cannot be null; omit it to keep the current name"
            raise ValueError(msg)
        return value


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    items: list[ItemRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
