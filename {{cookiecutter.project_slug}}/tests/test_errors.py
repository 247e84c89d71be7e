import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app

from tests.conftest import serving


async def test_unknown_route_is_a_problem_document(client: AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["instance"] == "/nowhere"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_request_id_is_kept_when_safe(client: AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_request_id_is_replaced_when_unsafe(client: AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "a b\tc"})

    assert response.headers["x-request-id"] != "a b\tc"
    assert len(response.headers["x-request-id"]) == 32


class Transfer(BaseModel):
    amount: int
    currency: str


async def test_validation_errors_list_each_field(settings: Settings) -> None:
    app = create_app(settings)

    @app.post("/transfers")
    async def transfer(body: Transfer) -> Transfer:
        return body

    async with serving(app) as client:
        response = await client.post("/transfers", json={"amount": "ten"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert fields == {("body", "amount"), ("body", "currency")}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded"],
)
async def test_a_body_of_another_media_type_is_a_415(
    settings: Settings, content_type: str
) -> None:
    app = create_app(settings)

    @app.post("/transfers")
    async def transfer(body: Transfer) -> Transfer:
        return body

    async with serving(app) as client:
        refused = await client.post(
            "/transfers",
            content=b'{"amount": 10, "currency": "EUR"}',
            headers={"content-type": content_type},
        )
        accepted = await client.post(
            "/transfers",
            content=b'{"amount": 10, "currency": "EUR"}',
            headers={"content-type": "application/json; charset=utf-8"},
        )

    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    assert "application/json" in refused.json()["detail"]
    assert accepted.status_code == 200


async def test_unhandled_error_is_a_500_without_traceback(settings: Settings) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        msg = "secret internal detail"
        raise RuntimeError(msg)

    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internal detail" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]
