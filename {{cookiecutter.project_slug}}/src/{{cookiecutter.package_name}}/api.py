"""The versioned API: every router needs a bearer token unless declared public."""

from fastapi import Depends, FastAPI

from .auth.dependencies import get_current_user_id
from .auth.router import router as auth_router
{%- if cookiecutter.example_resource %}
from .items.router import router as items_router
{%- endif %}
from .users.router import router as users_router

API_PREFIX = "/api/v1"


def include_api(app: FastAPI) -> None:
    # Each router goes straight into the app: FastAPI walks nested routers level
    # by level on every request, so a flat tree routes faster.
    # Public: registration and login cannot require a token.
    app.include_router(auth_router, prefix=API_PREFIX)
    authenticated = [Depends(get_current_user_id)]
    app.include_router(users_router, prefix=API_PREFIX, dependencies=authenticated)
{%- if cookiecutter.example_resource %}
    app.include_router(items_router, prefix=API_PREFIX, dependencies=authenticated)
{%- endif %}
