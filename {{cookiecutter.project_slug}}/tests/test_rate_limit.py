{%- set accounts = cookiecutter.auth == "jwt" -%}
{%- set redis = cookiecutter.use_redis -%}
{% if redis -%}
"""Rate limits: a 429 with Retry-After past the rate, counted in Redis for every process."""
{%- else -%}
"""Rate limits: a 429 with Retry-After past the rate, counted in each process."""
{%- endif %}

{% if redis -%}
import uuid
{% endif -%}
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
{%- if accounts %}

import pytest
from fastapi import FastAPI
{%- else %}

from fastapi import FastAPI
{%- endif %}
from httpx import ASGITransport, AsyncClient
{%- if redis %}
from redis.asyncio import Redis
{%- endif %}

from {{ cookiecutter.package_name }}.api import AUTHENTICATED
from {{ cookiecutter.package_name }}.config import Rate, Settings
from {{ cookiecutter.package_name }}.main import create_app
{%- if accounts %}

from tests.conftest import PASSWORD, CallerHeaders, register, serving
{%- else %}

from tests.conftest import CallerHeaders, serving
{%- endif %}
from tests.security_log import security_events
{%- if redis %}
from tests.server import redis_url
{%- endif %}

LIMIT = 3
# Windows of a day: their boundary (UTC midnight) all but never falls inside a test.
DAY = 86400


def limited(settings: Settings, **changes: object) -> FastAPI:
    """The service's app with these settings, and a route mounted like the API's."""
{%- if redis %}
    # Counters of this app's own unless told otherwise: nothing another test counted.
    changes.setdefault("redis_namespace", f"test-{uuid.uuid4().hex}")
{%- endif %}
    app = create_app(settings.model_copy(update=changes))

    @app.get("/guarded", dependencies=AUTHENTICATED)
    async def guarded() -> None:
        """Answers 200 to whoever may call the API."""

    return app


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[AsyncClient]:
    """A client calling from `address`, for an app already started."""
    transport = ASGITransport(app=app, client=(address, 40000))
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
{%- if redis %}


async def test_redis_is_reachable() -> None:
    """The other tests here need it: say so plainly when it is missing."""
    client = Redis.from_url(redis_url())
    try:
        assert await client.ping(), f"no Redis at {redis_url()} (set TEST_REDIS_URL)"
    finally:
        await client.aclose()
{%- endif %}


async def test_a_caller_over_its_rate_gets_429_with_retry_after(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    app = limited(settings, rate_limit_caller=Rate(limit=LIMIT, period=DAY))
    headers = await caller_headers("ada")

    async with serving(app) as client:
        with security_events() as events:
            statuses = [
                (await client.get("/guarded", headers=headers)).status_code
                for _ in range(LIMIT)
            ]
            refused = await client.get("/guarded", headers=headers)

    assert statuses == [200] * LIMIT
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= DAY
    assert [event["event"] for event in events] == ["rate_limit.exceeded"]
{%- if cookiecutter.auth != "none" %}


async def test_callers_are_counted_apart(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    app = limited(settings, rate_limit_caller=Rate(limit=1, period=DAY))
    ada, eve = await caller_headers("ada"), await caller_headers("eve")

    async with serving(app) as client:
        await client.get("/guarded", headers=ada)
        ada_again = await client.get("/guarded", headers=ada)
        eve_first = await client.get("/guarded", headers=eve)

    assert (ada_again.status_code, eve_first.status_code) == (429, 200)
{%- else %}


async def test_client_addresses_are_counted_apart(settings: Settings) -> None:
    app = limited(settings, rate_limit_caller=Rate(limit=1, period=DAY))

    async with serving(app) as client, client_at(app, "192.0.2.7") as elsewhere:
        await client.get("/guarded")
        again = await client.get("/guarded")
        other_address = await elsewhere.get("/guarded")

    assert (again.status_code, other_address.status_code) == (429, 200)
{%- endif %}


async def test_health_is_never_limited(settings: Settings) -> None:
    app = limited(settings, rate_limit_caller=Rate(limit=1, period=DAY))

    async with serving(app) as client:
        statuses = [(await client.get("/health/live")).status_code for _ in range(5)]

    assert statuses == [200] * 5
{%- if redis %}


async def test_every_process_shares_one_count(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    """Two apps on one Redis namespace stand for two workers, or two pods."""
    shared = {
        "rate_limit_caller": Rate(limit=LIMIT, period=DAY),
        "redis_namespace": f"test-{uuid.uuid4().hex}",
    }
    first, second = limited(settings, **shared), limited(settings, **shared)
    headers = await caller_headers("ada")

    async with serving(first) as one, serving(second) as other:
        statuses = [
            (await client.get("/guarded", headers=headers)).status_code
            for client in (one, other, one, other)
        ]

    assert statuses == [200] * LIMIT + [429]


async def test_an_unreachable_redis_lets_requests_through(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    """Fail open: a Redis outage must not take the service down with it."""
    app = limited(
        settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}),
        rate_limit_caller=Rate(limit=1, period=DAY),
    )
    headers = await caller_headers("ada")

    async with serving(app) as client:
        statuses = [
            (await client.get("/guarded", headers=headers)).status_code
            for _ in range(3)
        ]

    assert statuses == [200] * 3
{%- else %}


async def test_each_process_counts_for_itself(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    """Without Redis a caller gets the rate on every worker and pod (the README says so)."""
    first = limited(settings, rate_limit_caller=Rate(limit=1, period=DAY))
    second = limited(settings, rate_limit_caller=Rate(limit=1, period=DAY))
    headers = await caller_headers("ada")

    async with serving(first) as one, serving(second) as other:
        statuses = [
            (await client.get("/guarded", headers=headers)).status_code
            for client in (one, other)
        ]

    assert statuses == [200, 200]
{%- endif %}
{%- if accounts %}


@pytest.mark.usefixtures("client")  # empties the tables afterwards
async def test_login_attempts_are_limited_per_account(settings: Settings) -> None:
    """Guesses spread over many addresses still stop at the account's rate."""
    app = limited(settings, rate_limit_login=Rate(limit=LIMIT, period=DAY))
    form = {"username": "ada@example.com", "password": "wrong password!"}

    async with serving(app) as client:
        await register(client)
        for attempt in range(LIMIT):
            async with client_at(app, f"192.0.2.{attempt + 1}") as guesser:
                await guesser.post("/api/v1/auth/token", data=form)
        async with client_at(app, "198.51.100.1") as owner:
            right = await owner.post(
                "/api/v1/auth/token", data=form | {"password": PASSWORD}
            )

    assert right.status_code == 429
    assert "retry-after" in right.headers


@pytest.mark.usefixtures("client")  # empties the tables afterwards
async def test_login_attempts_are_limited_per_address(settings: Settings) -> None:
    """One address trying many accounts stops at the address's rate."""
    app = limited(settings, rate_limit_login=Rate(limit=LIMIT, period=DAY))

    async with serving(app) as client:
        statuses = [
            (
                await client.post(
                    "/api/v1/auth/token",
                    data={"username": f"user{n}@example.com", "password": PASSWORD},
                )
            ).status_code
            for n in range(LIMIT + 1)
        ]

    assert statuses == [401] * LIMIT + [429]


async def test_password_changes_are_limited_like_logins(
    settings: Settings, caller_headers: CallerHeaders
) -> None:
    """A stolen access token must not become a way to guess the password."""
    app = limited(settings, rate_limit_login=Rate(limit=LIMIT, period=DAY))
    headers = await caller_headers("ada")
    guess = {
        "current_password": "a wrong guess",
        "new_password": "a brand new passphrase",
    }

    async with serving(app) as client:
        statuses = [
            (
                await client.post("/api/v1/auth/password", json=guess, headers=headers)
            ).status_code
            for _ in range(LIMIT + 1)
        ]

    assert statuses == [422] * LIMIT + [429]


@pytest.mark.usefixtures("client")  # empties the tables afterwards
async def test_registrations_are_limited_per_address(settings: Settings) -> None:
    app = limited(settings, rate_limit_register=Rate(limit=2, period=DAY))

    async with serving(app) as client:
        statuses = [
            (
                await client.post(
                    "/api/v1/auth/register",
                    json={"email": f"user{n}@example.com", "password": PASSWORD},
                )
            ).status_code
            for n in range(3)
        ]

    assert statuses == [202, 202, 429]
{%- endif %}
