"""Imports every model so `Base.metadata` is complete (for Alembic and tests)."""

from .auth.models import RefreshToken
from .database import Base
{%- if cookiecutter.example_resource %}
from .idempotency import IdempotencyRecord
from .items.models import Item
{%- endif %}
from .users.models import User

__all__ = [
    "Base",
{%- if cookiecutter.example_resource %}
    "IdempotencyRecord",
    "Item",
{%- endif %}
    "RefreshToken",
    "User",
]
