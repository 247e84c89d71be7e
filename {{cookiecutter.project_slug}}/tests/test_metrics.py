"""Prometheus metrics: by route template, outside auth and the access log, across workers."""

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families
{%- if cookiecutter.database == "postgresql" %}
from sqlalchemy.engine import URL
{%- endif %}

from tests.server import running_server


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in an exposition, None when it is absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(
                found.labels.get(key) == value for key, value in labels.items()
            ):
                return found.value
    return None


def count(text: str, **labels: str) -> float:
    return sample(text, "http_requests_total", **labels) or 0.0


async def scrape(client: AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_metrics_need_no_token_and_count_by_route_template(
    client: AsyncClient,
) -> None:
    labels = {"method": "GET", "route": "/health/live", "status": "200"}
    before = count(await scrape(client), **labels)

    for _ in range(3):
        await client.get("/health/live")
    response = await client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain; version=")
    assert count(response.text, **labels) == before + 3
    timings = sample(
        response.text,
        "http_request_duration_seconds_count",
        method="GET",
        route="/health/live",
    )
    assert timings is not None
    assert timings >= 3


async def test_unknown_paths_share_one_series(client: AsyncClient) -> None:
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = count(await scrape(client), **labels)

    await client.get("/no/such/page")
    await client.get("/another/missing/page")

    text = await scrape(client)
    assert count(text, **labels) == before + 2
    assert "/no/such/page" not in text

{%- if cookiecutter.database == "postgresql" %}


async def test_pool_connections_are_reported(client: AsyncClient) -> None:
    await client.get("/health/ready")

    text = await scrape(client)

    for state in ("idle", "in_use"):
        found = sample(text, "db_pool_connections", state=state)
        assert found is not None, state
{%- endif %}


async def test_scrapes_stay_out_of_the_access_log(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await scrape(client)
        await client.get("/health/live")

    paths = [getattr(record, "path", None) for record in caplog.records]
    assert "/health/live" in paths
    assert "/metrics" not in paths


@pytest.fixture
{%- if cookiecutter.database == "postgresql" %}
def two_workers(database_url: URL, tmp_path: Path) -> Iterator[str]:
    with running_server(database_url, tmp_path, WORKERS="2") as base:
{%- else %}
def two_workers(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path, WORKERS="2") as base:
{%- endif %}
        yield base


def test_every_worker_counts_into_one_scrape(two_workers: str) -> None:
    labels = {"method": "GET", "route": "/health/live", "status": "200"}
    requests = 40
    with httpx.Client(base_url=two_workers) as client:
        for _ in range(requests):
            # A new connection each time, so both workers answer some.
            client.get("/health/live", headers={"Connection": "close"})
        scrapes = [client.get("/metrics").text for _ in range(4)]

    # Whichever worker answers the scrape, it reports both workers' requests.
    assert {count(text, **labels) for text in scrapes} == {requests}
