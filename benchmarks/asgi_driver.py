"""CPU per request of the baked service and the references, with no HTTP server.

Copied into a baked project and run with its interpreter by
benchmarks/cpu_per_request.py. Each app is called as ASGI directly, on uvloop,
by --concurrency tasks; the process's CPU time (PostgreSQL runs in its own
processes) divided by the requests is the cost of the app's own code: routing,
dependencies, the query through the driver, validation, serialization, logging.

Needs DATABASE_URL (a migrated, empty database), SECRET_KEY and APP_ENV.
"""

import argparse
import asyncio
import importlib
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from typing import Any

import httpx
import reference_apps
import uvloop
from sqlalchemy import text

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]

EMAIL = "cpu-bench@example.com"
PASSWORD = "benchmark password"


async def seed(app: Any, items: int) -> str:
    """Register the benchmark user, give it `items` items, return its token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        registered = await api.post(
            "/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD}
        )
        registered.raise_for_status()
        tokens = await api.post(
            "/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
        )
        tokens.raise_for_status()
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO items (id, owner_id, name, description, version) "
                "SELECT gen_random_uuid(), users.id, 'item ' || n, 'seeded item ' || n, 1 "
                "FROM users, generate_series(1, :items) AS n WHERE users.email = :email"
            ),
            {"items": items, "email": EMAIL},
        )
        await connection.execute(text("ANALYZE items"))
    token: str = tokens.json()["access_token"]
    return token


async def call(
    app: App, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if status != 200:
        raise SystemExit(f"GET {path}?{query.decode()} answered {status}, not 200")


async def cpu_per_request(
    app: App, url: str, token: str, requests: int, repeat: int, concurrency: int
) -> float:
    """The least CPU µs per request over `repeat` rounds of `requests` calls."""
    path, _, query = url.partition("?")
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"accept", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
    ]

    async def round_of(count: int) -> None:
        async def worker(share: int) -> None:
            for _ in range(share):
                await call(app, path, query.encode(), headers)

        await asyncio.gather(
            *(worker(count // concurrency) for _ in range(concurrency))
        )

    await round_of(max(requests // 5, concurrency))  # warm up pools and caches
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        await round_of(requests)
        best = min(best, (time.process_time() - started) / requests * 1e6)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    service = importlib.import_module(f"{args.package}.main").create_app()
    # The service logs one JSON line per request; write them to a real file, as
    # in production, rather than the terminal.
    log = tempfile.TemporaryFile("w")  # noqa: SIM115 - closed by the exit stack
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log)
    async with AsyncExitStack() as stack:
        stack.callback(log.close)
        await stack.enter_async_context(service.router.lifespan_context(service))
        await stack.enter_async_context(
            reference_apps.same_work.router.lifespan_context(reference_apps.same_work)
        )
        token = await seed(service, args.items)
        targets: list[tuple[str, App, str]] = [
            ("ceiling: bare async route", reference_apps.ceiling, "/bare"),
            (
                "same work: bare Starlette + asyncpg",
                reference_apps.same_work,
                "/api/v1/items?limit=20",
            ),
            ("GET /health/live", service, "/health/live"),
            ("GET /api/v1/users/me", service, "/api/v1/users/me"),
            ("GET /api/v1/items?limit=20", service, "/api/v1/items?limit=20"),
        ]
        for name, app, url in targets:
            cost = await cpu_per_request(
                app, url, token, args.requests, args.repeat, args.concurrency
            )
            print(f"{name}\t{cost:.1f}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("APP_ENV", "production")
    uvloop.run(main())
