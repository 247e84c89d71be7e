"""Imports every model so `Base.metadata` is complete (for Alembic and tests)."""

from .auth.models import RefreshToken
from .database import Base
from .idempotency import IdempotencyRecord
from .items.models import Item
from .users.models import User

__all__ = ["Base", "IdempotencyRecord", "Item", "RefreshToken", "User"]
