import uuid
from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base
from ..models import CreatedAt


class ApiKey(Base):
    """A service-to-service credential: shown once at creation, then only its digest."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    # Who the key acts as: it owns what the key creates.
    owner: Mapped[str] = mapped_column(String(512))
    # Only a SHA-256 digest is stored: a database leak does not leak usable keys.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, to recognise it in a list or a secret scanner.
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
