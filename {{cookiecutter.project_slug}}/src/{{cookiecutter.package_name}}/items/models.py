from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base
from ..resources import OwnedResource


class Item(OwnedResource, Base):
    __tablename__ = "items"
    __table_args__ = (
        # Serves the owner's newest-first pages without a sort.
        Index("ix_items_owner_id_created_at_id", "owner_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
