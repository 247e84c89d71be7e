"""Who is calling: the identity every protected route receives."""

from dataclasses import dataclass
{%- if cookiecutter.database == "postgresql" %}

from sqlalchemy import String
from sqlalchemy.orm import MappedColumn, mapped_column
{%- endif %}

# What a row's owner is: a subject of the identity provider, as "issuer|subject"
# (a subject is unique only within its issuer).
OwnerId = str


@dataclass(frozen=True, slots=True)
class Principal:
    """The subject of a verified access token, with the permissions it grants."""

    id: OwnerId
    subject: str
    # The token's scopes and roles: `scope`/`scp` claims and `roles`.
    permissions: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.permissions
{%- if cookiecutter.database == "postgresql" %}


def owner_id_column(*, primary_key: bool = False) -> MappedColumn[OwnerId]:
    """A row's owner: the token subject that created it."""
    return mapped_column(String(512), primary_key=primary_key)
{%- endif %}
