import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, EmailStr, Field

from ..schemas import Line, RequestModel


def normalize_email(value: str) -> str:
    """One spelling per address: NFKC (fullwidth letters, ligatures), no case.

    What is left outside ASCII (a Cyrillic letter that looks Latin) could name a
    twin of an existing account, so it is refused at registration; an
    internationalised domain is written in its xn-- form.
    """
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _ascii_email(value: object) -> object:
    if not isinstance(value, str):
        return value
    normalized = normalize_email(value)
    if not normalized.isascii():
        msg = "must be an ASCII e-mail address (a non-ASCII domain in its xn-- form)"
        raise ValueError(msg)
    return normalized


def _not_blank(value: str) -> str:
    if not value.strip():
        msg = "must not be only spaces"
        raise ValueError(msg)
    return value


# A new password: long, not only spaces (a typed one is checked as it is).
NewPassword = Annotated[
    Line, Field(min_length=12, max_length=128), AfterValidator(_not_blank)
]


class RegisterRequest(RequestModel):
    email: Annotated[EmailStr, BeforeValidator(_ascii_email)] = Field(max_length=320)
    password: NewPassword


class ChangePasswordRequest(RequestModel):
    current_password: Line = Field(min_length=1, max_length=128)
    new_password: NewPassword


class RefreshRequest(RequestModel):
    refresh_token: Line = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme, not a secret
    expires_in: int
