"""Password hashing never holds a database connection, and a burst waits its turn."""

import asyncio
import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth import security

from tests.conftest import login, register


async def test_passwords_are_verified_without_holding_a_connection(
    client: AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(client)
    in_use: list[int] = []
    verify = security.password_hash.verify_and_update

    def verify_and_count(password: str, hashed: str) -> tuple[bool, str | None]:
        in_use.append(app.state.engine.pool.checkedout())
        return verify(password, hashed)

    monkeypatch.setattr(security.password_hash, "verify_and_update", verify_and_count)

    await login(client)

    assert in_use == [0]


async def test_a_burst_of_logins_hashes_a_few_at_a_time(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(client)
    running, peak = 0, 0
    lock = threading.Lock()
    verify = security.password_hash.verify_and_update

    def verify_and_watch(password: str, hashed: str) -> tuple[bool, str | None]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            # Long enough for the whole burst to be waiting at once.
            time.sleep(0.05)
            return verify(password, hashed)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(security.password_hash, "verify_and_update", verify_and_watch)
    form: dict[str, Any] = {
        "username": "ada@example.com",
        "password": "wrong password!",
    }

    responses = await asyncio.gather(
        *(client.post("/api/v1/auth/token", data=form) for _ in range(8)),
        client.get("/health/ready"),
    )

    assert [response.status_code for response in responses] == [401] * 8 + [200]
    assert peak == security.MAX_CONCURRENT_HASHES
