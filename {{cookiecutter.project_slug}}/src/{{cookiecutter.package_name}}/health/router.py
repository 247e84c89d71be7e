{%- if cookiecutter.database == "postgresql" -%}
import asyncio
from http import HTTPStatus

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from ..database import driver_connection
from ..exceptions import ProblemError

router = APIRouter(prefix="/health", tags=["health"])

READINESS_TIMEOUT_SECONDS = 2


class DependencyUnavailableError(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get(
    "/ready",
    responses={HTTPStatus.SERVICE_UNAVAILABLE: {"description": "The database is down"}},
)
async def ready(request: Request) -> dict[str, str]:
    """The service can do its work: the database answers."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with driver_connection(engine) as connection:
                await connection.fetchval("SELECT 1")
    except Exception as exc:
        msg = f"Database unreachable: {type(exc).__name__}."
        raise DependencyUnavailableError(msg) from exc
    return {"status": "ok"}
{% else -%}
from fastapi import APIRouter

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get("/ready")
async def ready() -> dict[str, str]:
{%- if cookiecutter.auth == "oidc" %}
    """The service can do its work: it has no database or queue that could be down.

    The identity provider is deliberately not checked: when it is down, requests
    that need a new key fail alone, instead of every pod leaving the load balancer.
    """
{%- else %}
    """The service can do its work: it has no database or queue that could be down."""
{%- endif %}
    return {"status": "ok"}
{% endif %}