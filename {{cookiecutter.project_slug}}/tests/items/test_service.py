import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete

from {{ cookiecutter.package_name }}.exceptions import PreconditionFailedError
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemUpdate

from tests.items.test_router import create_item


async def test_update_of_an_item_deleted_meanwhile_is_a_precondition_failure(
    client: AsyncClient, auth_headers: dict[str, str], app: FastAPI
) -> None:
    """A PATCH racing a DELETE of the same item: 412, not a 500 from a dead session."""
    item_id = uuid.UUID((await create_item(client, auth_headers))["id"])

    async with app.state.sessionmaker() as session:
        item = await session.get(Item, item_id)
        assert item is not None
        async with app.state.engine.begin() as connection:
            await connection.execute(delete(Item).where(Item.id == item_id))

        with pytest.raises(PreconditionFailedError, match=str(item_id)):
            await service.update(
                session=session,
                item=item,
                data=ItemUpdate(name="renamed"),
                expected_version=None,
            )
