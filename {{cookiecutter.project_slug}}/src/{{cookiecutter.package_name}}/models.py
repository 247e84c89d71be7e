"""Column types shared by the domain models."""

import enum
from datetime import datetime
from typing import Annotated

from sqlalchemy import DateTime, Enum, func
from sqlalchemy.orm import mapped_column

CreatedAt = Annotated[
    datetime,
    mapped_column(DateTime(timezone=True), server_default=func.now()),
]
UpdatedAt = Annotated[
    datetime,
    mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    ),
]


def stored_enum(values: type[enum.StrEnum], name: str) -> Enum:
    """An enum kept as its values in a VARCHAR with a CHECK constraint.

    Not a PostgreSQL enum type: adding a value is then a constraint change a
    migration can make without an ALTER TYPE inside its transaction.
    """
    return Enum(
        values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in values),
        values_callable=lambda members: [member.value for member in members],
    )
