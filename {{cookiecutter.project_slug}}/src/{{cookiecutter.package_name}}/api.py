{%- if cookiecutter.auth == "none" -%}
"""The versioned API. Open: this service authenticates nobody (see the README)."""
{%- else -%}
"""The versioned API: every router needs a credential unless declared public."""
{%- endif %}

from fastapi import Depends, FastAPI

from .auth.dependencies import get_principal
{%- if cookiecutter.auth == "jwt" %}
from .auth.router import router as auth_router
{%- endif %}
{%- if cookiecutter.example_resource %}
from .items.router import router as items_router
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
from .users.router import router as users_router
{%- endif %}

API_PREFIX = "/api/v1"
# Who is calling, for every router mounted with it: routes read it as CurrentPrincipal.
AUTHENTICATED = [Depends(get_principal)]


def include_api(app: FastAPI) -> None:
    """Mount the routers, each straight into the app and with AUTHENTICATED."""
{%- if cookiecutter.auth == "jwt" or cookiecutter.example_resource %}
    # FastAPI walks nested routers level by level on every request, so a flat
    # tree routes faster.
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
    # Public: registration and login cannot require a token.
    app.include_router(auth_router, prefix=API_PREFIX)
    app.include_router(users_router, prefix=API_PREFIX, dependencies=AUTHENTICATED)
{%- endif %}
{%- if cookiecutter.example_resource %}
    app.include_router(items_router, prefix=API_PREFIX, dependencies=AUTHENTICATED)
{%- endif %}
