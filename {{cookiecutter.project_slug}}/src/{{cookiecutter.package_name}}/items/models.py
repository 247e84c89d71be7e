import uuid

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..auth.principal import OwnerId, owner_id_column
from ..database import Base
from ..models import CreatedAt, UpdatedAt


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        # Serves the owner's newest-first cursor pagination without a sort.
        Index("ix_items_owner_id_created_at_id", "owner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[OwnerId] = owner_id_column()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    # Optimistic concurrency: every UPDATE checks and bumps it; it is also the ETag.
    version: Mapped[int] = mapped_column()
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    # eager_defaults: server-side timestamps come back through RETURNING, not a
    # second SELECT after each INSERT or UPDATE.
    __mapper_args__ = {  # noqa: RUF012 - read by SQLAlchemy
        "version_id_col": version,
        "eager_defaults": True,
    }
