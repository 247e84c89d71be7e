{% if cookiecutter.database == "postgresql" -%}
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }}.main import create_app

from tests.conftest import settings_for


async def test_live_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_the_database(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_answers_503_when_the_database_is_down() -> None:
    # Port 1 on loopback refuses connections at once.
    unreachable = make_url("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    app = create_app(settings_for(unreachable))
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "Database unreachable" in response.json()["detail"]
{% else -%}
from httpx import AsyncClient


async def test_live_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
{% endif %}