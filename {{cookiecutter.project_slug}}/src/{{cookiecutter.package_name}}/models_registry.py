"""Imports every model so `Base.metadata` is complete (for Alembic and tests)."""
{%- if cookiecutter.auth == "jwt" %}

from .auth.models import LoginSession, RefreshToken
from .database import Base
{%- elif cookiecutter.auth == "api_key" %}

from .auth.models import ApiKey
from .database import Base
{%- else %}

from .database import Base
{%- endif %}
from .idempotency import IdempotencyRecord
{%- if cookiecutter.example_resource %}
from .items.models import Item
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
from .users.models import User
{%- endif %}

__all__ = [
{%- if cookiecutter.auth == "api_key" %}
    "ApiKey",
{%- endif %}
    "Base",
    "IdempotencyRecord",
{%- if cookiecutter.example_resource %}
    "Item",
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
    "LoginSession",
    "RefreshToken",
    "User",
{%- endif %}
]
