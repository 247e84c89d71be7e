"""Who is calling: the identity every protected route receives."""

import uuid
from dataclasses import dataclass

from sqlalchemy import ForeignKey
from sqlalchemy.orm import MappedColumn, mapped_column

# What a row's owner is: a local account.
OwnerId = uuid.UUID


@dataclass(frozen=True, slots=True)
class Principal:
    """A local account, as named by the access token it presented."""

    id: OwnerId
    # The login the token belongs to: logout and password changes end it.
    session_id: uuid.UUID

    def can(self, permission: str) -> bool:
        """Every account may use every route; give accounts roles here."""
        return True


def owner_id_column(*, primary_key: bool = False) -> MappedColumn[OwnerId]:
    """A row's owner: the account, and the row goes when the account does."""
    return mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=primary_key
    )
