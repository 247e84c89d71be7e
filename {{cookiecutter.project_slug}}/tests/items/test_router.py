import base64
import json
import uuid

import pytest
from httpx import AsyncClient
{%- if cookiecutter.auth == "jwt" %}

from {{ cookiecutter.package_name }}.auth import security
from {{ cookiecutter.package_name }}.config import Settings
{%- endif %}
{%- if cookiecutter.auth != "none" %}

from tests.conftest import CallerHeaders
{%- endif %}

ITEMS = "/api/v1/items"


async def create_item(
    client: AsyncClient, headers: dict[str, str], name: str = "ledger"
) -> dict[str, str]:
    response = await client.post(ITEMS, json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    item: dict[str, str] = response.json()
    return item


async def test_create_returns_the_item_with_location_and_etag(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS, json={"name": "ledger", "description": "Q3"}, headers=auth_headers
    )

    assert response.status_code == 201
    item = response.json()
    assert item["name"] == "ledger"
    assert item["description"] == "Q3"
    assert item["version"] == 1
    assert response.headers["location"] == f"{ITEMS}/{item['id']}"
    assert response.headers["etag"] == '"1"'
    located = await client.get(response.headers["location"], headers=auth_headers)
    assert located.json() == item


async def test_read_returns_the_item_and_its_etag(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)

    response = await client.get(f"{ITEMS}/{item['id']}", headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == item
    assert response.headers["etag"] == '"1"'

{%- if cookiecutter.auth != "none" %}


async def test_items_are_invisible_to_other_callers(
    client: AsyncClient, auth_headers: dict[str, str], caller_headers: CallerHeaders
) -> None:
    item = await create_item(client, auth_headers)
    eve_headers = await caller_headers("eve")

    read = await client.get(f"{ITEMS}/{item['id']}", headers=eve_headers)
    listing = await client.get(ITEMS, headers=eve_headers)

    assert read.status_code == 404
    assert listing.json()["items"] == []
{%- endif %}


async def test_missing_item_is_404(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.get(f"{ITEMS}/{uuid.uuid4()}", headers=auth_headers)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_list_pages_through_every_item_newest_first(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    created = [await create_item(client, auth_headers, f"item {n}") for n in range(5)]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(ITEMS, params=params, headers=auth_headers)
        assert response.status_code == 200
        page = response.json()
        seen += [item["name"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == [item["name"] for item in reversed(created)]


@pytest.mark.parametrize("limit", [0, 101])
async def test_list_refuses_a_page_size_out_of_range(
    client: AsyncClient, auth_headers: dict[str, str], limit: int
) -> None:
    response = await client.get(ITEMS, params={"limit": limit}, headers=auth_headers)

    assert response.status_code == 422


def forged(*position: object) -> str:
    raw = json.dumps(list(position)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED_CURSORS = {
    "not-base64": "!!",
    "not-json": base64.urlsafe_b64encode(b"{").decode(),
    "int-id": forged("2026-01-01T00:00:00+00:00", 5),
    "list-id": forged("2026-01-01T00:00:00+00:00", []),
    "bool-id": forged("2026-01-01T00:00:00+00:00", True),
    "int-date": forged(5, str(uuid.uuid4())),
    "naive-date": forged("2026-01-01T00:00:00", str(uuid.uuid4())),
    "past-9999": forged("9999-12-31T23:59:59-01:00", str(uuid.uuid4())),
    "three-parts": forged("2026-01-01T00:00:00+00:00", str(uuid.uuid4()), 1),
}


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=list(FORGED_CURSORS))
async def test_list_refuses_a_forged_cursor(
    client: AsyncClient, auth_headers: dict[str, str], cursor: str
) -> None:
    response = await client.get(ITEMS, params={"cursor": cursor}, headers=auth_headers)

    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a\x00b"},
        {"name": "two\nlines"},
        {"name": "ok", "description": "\x1b[31m"},
    ],
    ids=["nul-in-name", "line-break-in-name", "escape-in-description"],
)
async def test_create_refuses_control_characters(
    client: AsyncClient, auth_headers: dict[str, str], body: dict[str, str]
) -> None:
    response = await client.post(ITEMS, json=body, headers=auth_headers)

    assert response.status_code == 422


async def test_create_refuses_unknown_fields(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS, json={"name": "x", "owner_id": str(uuid.uuid4())}, headers=auth_headers
    )

    assert response.status_code == 422


async def test_create_with_the_same_idempotency_key_replays_the_response(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers | {"Idempotency-Key": "order-42"}

    first = await client.post(ITEMS, json={"name": "ledger"}, headers=headers)
    retry = await client.post(ITEMS, json={"name": "ledger"}, headers=headers)
    listing = await client.get(ITEMS, headers=auth_headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert len(listing.json()["items"]) == 1


async def test_idempotency_key_reused_with_another_body_is_refused(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    headers = auth_headers | {"Idempotency-Key": "order-42"}
    await client.post(ITEMS, json={"name": "ledger"}, headers=headers)

    response = await client.post(ITEMS, json={"name": "other"}, headers=headers)

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


async def test_update_with_a_matching_etag_succeeds(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)

    response = await client.patch(
        f"{ITEMS}/{item['id']}",
        json={"description": "audited"},
        headers=auth_headers | {"If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.json()["description"] == "audited"
    assert response.json()["name"] == "ledger"
    assert response.headers["etag"] == '"2"'


async def test_update_with_a_stale_etag_is_refused(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)
    url = f"{ITEMS}/{item['id']}"
    await client.patch(url, json={"name": "renamed"}, headers=auth_headers)

    response = await client.patch(
        url, json={"name": "lost update"}, headers=auth_headers | {"If-Match": '"1"'}
    )

    assert response.status_code == 412
    assert (await client.get(url, headers=auth_headers)).json()["name"] == "renamed"


async def test_delete_with_a_stale_etag_is_refused(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)
    url = f"{ITEMS}/{item['id']}"
    await client.patch(url, json={"name": "renamed"}, headers=auth_headers)

    stale = await client.delete(url, headers=auth_headers | {"If-Match": '"1"'})
    current = await client.delete(url, headers=auth_headers | {"If-Match": '"2"'})

    assert stale.status_code == 412
    assert current.status_code == 204


async def test_update_refuses_a_malformed_etag(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)

    response = await client.patch(
        f"{ITEMS}/{item['id']}",
        json={"name": "x"},
        headers=auth_headers | {"If-Match": "yesterday"},
    )

    assert response.status_code == 400


async def test_update_refuses_a_null_name(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)

    response = await client.patch(
        f"{ITEMS}/{item['id']}", json={"name": None}, headers=auth_headers
    )

    assert response.status_code == 422


async def test_delete_removes_the_item(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    item = await create_item(client, auth_headers)
    url = f"{ITEMS}/{item['id']}"

    deleted = await client.delete(url, headers=auth_headers)
    read = await client.get(url, headers=auth_headers)

    assert deleted.status_code == 204
    assert read.status_code == 404

{%- if cookiecutter.auth == "jwt" %}


async def test_create_with_a_token_that_outlived_its_account_is_refused(
    client: AsyncClient, settings: Settings
) -> None:
    orphan = security.create_access_token(
        user_id=uuid.uuid4(), session_id=uuid.uuid4(), settings=settings
    )

    response = await client.post(
        ITEMS, json={"name": "x"}, headers={"Authorization": f"Bearer {orphan}"}
    )

    assert response.status_code == 401
{%- endif %}
