from typing import Annotated

from fastapi import Depends
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.api import AUTHENTICATED
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentPrincipal
from {{ cookiecutter.package_name }}.auth.principal import Principal
from {{ cookiecutter.package_name }}.config import Settings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.permissions import requires

from tests.conftest import serving


async def test_every_caller_is_the_anonymous_principal(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/whoami", dependencies=AUTHENTICATED)
    async def whoami(
        principal: CurrentPrincipal,
        writer: Annotated[Principal, Depends(requires("items:write"))],
    ) -> dict[str, str]:
        assert writer == principal
        return {"id": principal.id}

    async with serving(app) as client:
        response = await client.get("/whoami")

    assert response.status_code == 200
    assert response.json() == {"id": "anonymous"}


async def test_the_api_declares_no_security_scheme(client: AsyncClient) -> None:
    """Nothing authenticates: the schema must not suggest a client needs a credential."""
    schema = (await client.get("/openapi.json")).json()

    assert "securitySchemes" not in schema.get("components", {})
    operations = [
        operation for path in schema["paths"].values() for operation in path.values()
    ]
    assert all("security" not in operation for operation in operations)
