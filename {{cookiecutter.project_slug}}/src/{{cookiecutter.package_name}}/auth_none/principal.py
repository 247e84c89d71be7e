"""Who is calling: nobody in particular. This service authenticates no one.

It is meant to run behind a gateway that authenticates every request and lets
only trusted callers reach it. Every caller is the same principal, allowed
everything, and owns the same rows.
"""

from dataclasses import dataclass
{%- if cookiecutter.database == "postgresql" %}

from sqlalchemy import String
from sqlalchemy.orm import MappedColumn, mapped_column
{%- endif %}

# What a row's owner is: a principal's name.
OwnerId = str


@dataclass(frozen=True, slots=True)
class Principal:
    """The one caller of an unauthenticated service."""

    id: OwnerId

    def can(self, permission: str) -> bool:
        """Everything: the gateway in front decides who gets this far."""
        return True


ANONYMOUS = Principal(id="anonymous")
{%- if cookiecutter.database == "postgresql" %}


def owner_id_column(*, primary_key: bool = False) -> MappedColumn[OwnerId]:
    """A row's owner, by name."""
    return mapped_column(String(512), primary_key=primary_key)
{%- endif %}
