"""Reference ASGI apps for benchmarks/service.py, served exactly like the service.

- `ceiling`: the stack's ceiling, a bare `async def` FastAPI route returning JSON.
- `same_work`: the item list done the shortest way: a bare Starlette route that
  verifies the same bearer token, runs the same query with asyncpg directly and
  returns the same JSON. What the item list would cost with no layers at all.

Both read DATABASE_URL and SECRET_KEY from the environment, like the service.
"""

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAGE_QUERY = """
    SELECT id, name, description, version, created_at, updated_at
    FROM items
    WHERE owner_id = $1
    ORDER BY created_at DESC, id DESC
    LIMIT $2
"""
# The service checks on every request that the token's login is still live.
LIVE_SESSION_QUERY = """
    SELECT 1
    FROM login_sessions JOIN users ON users.id = login_sessions.user_id
    WHERE login_sessions.id = $1 AND login_sessions.user_id = $2
      AND login_sessions.revoked_at IS NULL AND login_sessions.expires_at > now()
      AND users.is_active
"""

ceiling = FastAPI(docs_url=None, redoc_url=None)


@ceiling.get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


def _pool_dsn() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    # Sized like the service's read pool.
    size = int(os.environ.get("DB_READ_POOL_SIZE", "10"))
    async with asyncpg.create_pool(_pool_dsn(), min_size=size, max_size=size) as pool:
        app.state.pool = pool
        yield


def _cursor(row: Any) -> str:
    raw = json.dumps([row["created_at"].isoformat(), str(row["id"])]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def list_items(request: Request) -> Response:
    _, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        # Audience and issuer are the service's defaults; an older service
        # (--service-from) issues tokens without them, or a login to check.
        claims = jwt.decode(
            token,
            os.environ["SECRET_KEY"],
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub"], "verify_aud": False},
        )
    except jwt.InvalidTokenError:
        return JSONResponse({"detail": "unauthorized"}, status_code=401)
    pool = request.app.state.pool
    if "sid" in claims and not await pool.fetchval(
        LIVE_SESSION_QUERY, uuid.UUID(claims["sid"]), uuid.UUID(claims["sub"])
    ):
        return JSONResponse({"detail": "unauthorized"}, status_code=401)
    limit = min(int(request.query_params.get("limit", "20")), 100)
    rows = await pool.fetch(PAGE_QUERY, claims["sub"], limit + 1)
    page = rows[:limit]
    return JSONResponse(
        {
            "items": [
                {
                    "id": str(row["id"]),
                    "name": row["name"],
                    "description": row["description"],
                    "version": row["version"],
                    "created_at": _iso(row["created_at"]),
                    "updated_at": _iso(row["updated_at"]),
                }
                for row in page
            ],
            "next_cursor": _cursor(page[-1]) if len(rows) > limit else None,
        }
    )


same_work = Starlette(routes=[Route("/api/v1/items", list_items)], lifespan=_lifespan)
