{%- if cookiecutter.auth == "none" -%}
"""The versioned API. Open: this service authenticates nobody (see the README)."""
{%- else -%}
"""The versioned API: every router needs a credential unless declared public."""
{%- endif %}

from fastapi import Depends, FastAPI, Request

{% if cookiecutter.auth != "none" -%}
from .auth.dependencies import CurrentPrincipal
{% endif -%}
{% if cookiecutter.auth == "jwt" -%}
from .auth.router import router as auth_router
{% endif -%}
from .dependencies import SettingsDep
{%- if cookiecutter.example_resource %}
from .items.router import router as items_router
{%- endif %}
{%- if cookiecutter.auth == "none" %}
from .ratelimit import client_address, enforce
{%- else %}
from .ratelimit import enforce
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
from .users.router import router as users_router
{%- endif %}

API_PREFIX = "/api/v1"
{%- if cookiecutter.auth == "none" %}


async def limit_caller(request: Request, settings: SettingsDep) -> None:
    """Count the request against its client address's rate (RATE_LIMIT_CALLER)."""
    await enforce(
        request,
        settings.rate_limit_caller,
        scope="caller",
        subject=client_address(request),
    )
{%- else %}


async def limit_caller(
    request: Request, principal: CurrentPrincipal, settings: SettingsDep
) -> None:
    """Count the request against its caller's rate (RATE_LIMIT_CALLER)."""
    await enforce(
        request, settings.rate_limit_caller, scope="caller", subject=principal.id
    )
{%- endif %}


# Who is calling (routes read it as CurrentPrincipal), counted against its rate,
# for every router mounted with it.
AUTHENTICATED = [Depends(limit_caller)]


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
