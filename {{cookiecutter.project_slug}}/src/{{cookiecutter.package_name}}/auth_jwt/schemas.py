from typing import Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from ..schemas import Line, RequestModel


class RegisterRequest(RequestModel):
    email: EmailStr = Field(max_length=320)
    password: Line = Field(min_length=12, max_length=128)

    @field_validator("password")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            msg = "must not be only spaces"
            raise ValueError(msg)
        return value


class RefreshRequest(RequestModel):
    refresh_token: Line = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme, not a secret
    expires_in: int
