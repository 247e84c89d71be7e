"""Application factory."""
{%- set has_lifespan = cookiecutter.database == "postgresql" or cookiecutter.auth == "oidc" or cookiecutter.use_redis %}
{%- if has_lifespan %}

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
{%- else %}

from importlib.metadata import version
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}

import httpx
from fastapi import FastAPI
{%- else %}

from fastapi import FastAPI
{%- endif %}
from fastapi.middleware.cors import CORSMiddleware
{%- if cookiecutter.use_redis %}
from redis.asyncio import Redis
{%- endif %}

from .api import include_api
{%- if cookiecutter.auth == "oidc" %}
from .auth.provider import IdentityProvider
{%- endif %}
from .config import Settings, get_settings
{%- if cookiecutter.database == "postgresql" %}
from .database import check_routes, create_engine, create_sessionmaker
{%- endif %}
from .exceptions import register_exception_handlers
from .health.router import router as health_router
{%- if cookiecutter.metrics %}
from .metrics import instrument_metrics
{%- endif %}
from .middleware import BodyLimitsMiddleware, RequestContextMiddleware
from .observability import configure_logging
{%- if cookiecutter.use_redis %}
from .ratelimit import RedisLimiter
{%- else %}
from .ratelimit import MemoryLimiter
{%- endif %}
{%- if cookiecutter.tracing %}
from .tracing import instrument_tracing
{%- endif %}

{%- if has_lifespan %}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
{%- if cookiecutter.database == "postgresql" %}
    # At start-up, not in create_app: routes added after it are checked too.
    check_routes(app)
    engine = create_engine(app.state.settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}
    # Short timeouts: a request waits on the provider only when keys must be fetched.
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False)
    app.state.identity_provider = IdentityProvider(app.state.settings, http)
{%- endif %}
{%- if cookiecutter.use_redis %}
    # Short timeouts: a slow Redis must not hold requests (limits then fail open).
    redis = Redis.from_url(
        app.state.settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25
    )
    app.state.limiter = RedisLimiter(redis, app.state.settings.redis_namespace)
{%- endif %}
    try:
        yield
    finally:
{%- if cookiecutter.use_redis %}
        await redis.aclose()
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}
        await http.aclose()
{%- endif %}
{%- if cookiecutter.database == "postgresql" %}
        await engine.dispose()
{%- endif %}
{%- endif %}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    is_production = settings.app_env == "production"
    show_schema = settings.expose_openapi or not is_production
    app = FastAPI(
        title={{ cookiecutter.project_name|py_str }},
        description={{ cookiecutter.description|py_str }},
        version=version("{{ cookiecutter.project_slug }}"),
{%- if has_lifespan %}
        lifespan=lifespan,
{%- endif %}
        # Production does not describe its attack surface unless told to.
        openapi_url="/openapi.json" if show_schema else None,
        docs_url="/docs" if show_schema else None,
        redoc_url=None,
    )
    app.state.settings = settings
{%- if not cookiecutter.use_redis %}
    app.state.limiter = MemoryLimiter()
{%- endif %}
    register_exception_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.add_middleware(
        BodyLimitsMiddleware,
        max_bytes=settings.max_request_body_bytes,
        timeout=settings.request_body_timeout_seconds,
    )
    app.add_middleware(RequestContextMiddleware, hsts=is_production)
{%- if cookiecutter.metrics %}
    instrument_metrics(app)
{%- endif %}
{%- if cookiecutter.tracing %}
    instrument_tracing(app)
{%- endif %}
    app.include_router(health_router)
    include_api(app)
    return app
