"""Who is calling: the identity every protected route receives."""

import uuid
from dataclasses import dataclass

from sqlalchemy import String
from sqlalchemy.orm import MappedColumn, mapped_column

# What a row's owner is: the name an API key acts as (a service, a team).
OwnerId = str


@dataclass(frozen=True, slots=True)
class Principal:
    """The owner of the API key presented, with that key's permissions."""

    id: OwnerId
    key_id: uuid.UUID
    scopes: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.scopes


def owner_id_column(*, primary_key: bool = False) -> MappedColumn[OwnerId]:
    """A row's owner: the owner of the key that created it, by name."""
    return mapped_column(String(512), primary_key=primary_key)
