{%- set database = cookiecutter.database == "postgresql" -%}
"""Every operation of the service's own OpenAPI, called with generated input
(schemathesis) by an authenticated caller: never a 5xx, and every answer as its
schema documents it.

Against the real server (`python -m {{ cookiecutter.package_name }}`), so the
app runs as it does in production; rate limits are off so that every example
reaches its route.
"""

{% if database -%}
from collections.abc import AsyncIterator
{%- else -%}
from collections.abc import Iterator
{%- endif %}
from typing import Any

{% if cookiecutter.auth == "jwt" -%}
import httpx
{% endif -%}
import pytest
import schemathesis
{%- if database %}
from fastapi import FastAPI
{%- endif %}
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
{%- if database %}
from sqlalchemy.engine import URL
{%- endif %}
{%- if cookiecutter.auth == "api_key" %}
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service as api_keys
{%- endif %}

{% if cookiecutter.auth == "oidc" -%}
from tests.auth.issuer import Issuer
{% endif -%}
{% if database -%}
from tests.conftest import empty_tables
{% endif -%}
from tests.server import running_server

# Generated calls per operation: enough to reach edge cases, few enough to stay fast.
EXAMPLES = 25
{%- if cookiecutter.auth == "jwt" %}

# Operations that end the caller's login: fuzzing them would log the rest out.
ENDS_THE_LOGIN = r"^/api/v1/auth/(logout|logout-all|password)$"
{%- endif %}


@pytest.fixture(scope="module")
{%- if database and cookiecutter.auth == "oidc" %}
async def served(
    database_url: URL,
    app: FastAPI,
    issuer: Issuer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:
{%- elif database %}
async def served(
    database_url: URL, app: FastAPI, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
{%- elif cookiecutter.auth == "oidc" %}
def served(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Iterator[str]:
{%- else %}
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
{%- endif %}
    with running_server(
{%- if database %}
        database_url,
{%- endif %}
        tmp_path_factory.mktemp("fuzz"),
        EXPOSE_OPENAPI="true",
        RATE_LIMIT_CALLER="off",
{%- if cookiecutter.auth == "jwt" %}
        RATE_LIMIT_LOGIN="off",
        RATE_LIMIT_REGISTER="off",
{%- elif cookiecutter.auth == "oidc" %}
        OIDC_ISSUER=issuer.url,
{%- endif %}
    ) as base:
        yield base
{%- if database %}
    # What the examples created must not reach the next test.
    await empty_tables(app.state.engine)
{%- endif %}


@pytest.fixture(scope="module")
{%- if cookiecutter.auth == "jwt" %}
def credentials(served: str) -> dict[str, str]:
    """An account of the fuzzer's own, logged in on the server."""
    account = {"email": "fuzz@example.com", "password": "fuzzing all day long"}
    api = f"{served}/api/v1/auth"
    httpx.post(f"{api}/register", json=account).raise_for_status()
    login = httpx.post(
        f"{api}/token",
        data={"username": account["email"], "password": account["password"]},
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
{%- elif cookiecutter.auth == "api_key" %}
async def credentials(app: FastAPI, served: str) -> dict[str, str]:
    """A key with every permission, in the server's database."""
    async with AsyncSession(app.state.engine) as session, session.begin():
        _, key = await api_keys.create(
            session=session,
            name="fuzzer",
            owner="fuzzer",
            scopes=["items:read", "items:write"],
        )
    return {"X-API-Key": key}
{%- elif cookiecutter.auth == "oidc" %}
def credentials(issuer: Issuer) -> dict[str, str]:
    """A token from the run's identity provider, with every permission."""
    token = issuer.token("fuzzer", scope="items:read items:write", lifetime=3600)
    return {"Authorization": f"Bearer {token}"}
{%- else %}
def credentials() -> dict[str, str]:
    """No one authenticates: callers send nothing."""
    return {}
{%- endif %}


def test_every_operation_answers_as_documented(
    served: str, credentials: dict[str, str]
) -> None:
{%- if cookiecutter.auth == "jwt" %}
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json").exclude(
        path_regex=ENDS_THE_LOGIN
    )
{%- else %}
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
{%- endif %}
    operations = []
    for result in schema.get_all_operations():
        # The service's own schema: every operation loads, or this says which not.
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert operations

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def answers_as_documented(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                base_url=served,
                headers=credentials,
                checks=[not_a_server_error, response_schema_conformance],
            )

        answers_as_documented()
