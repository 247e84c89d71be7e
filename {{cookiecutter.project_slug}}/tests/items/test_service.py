import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete

from {{ cookiecutter.package_name }} import resources
from {{ cookiecutter.package_name }}.exceptions import PreconditionFailedError
from {{ cookiecutter.package_name }}.items.models import Item

from tests.items.test_router import create_item


async def test_update_of_an_item_deleted_meanwhile_is_a_precondition_failure(
    client: AsyncClient, auth_headers: dict[str, str], app: FastAPI
) -> None:
    """A PATCH racing a DELETE of the same item: 412, not a 500 from a dead session."""
    item_id = uuid.UUID((await create_item(client, auth_headers))["id"])

    async with app.state.sessionmaker() as session:
        item = await session.get(Item, item_id)
        assert item is not None
        item = await resources.get_for_update(
            session, Item, owner_id=item.owner_id, row_id=item_id
        )
        async with app.state.engine.begin() as connection:
            await connection.execute(delete(Item).where(Item.id == item_id))

        with pytest.raises(PreconditionFailedError, match=str(item_id)):
            await resources.update(
                session, item, {"name": "renamed"}, expected_version=None
            )
