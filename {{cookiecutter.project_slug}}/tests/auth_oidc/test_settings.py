from typing import Any

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.config import Settings


def make(**values: Any) -> Settings:
{%- if cookiecutter.database == "postgresql" %}
    values.setdefault("database_url", "postgresql://app@db:5432/app")
{%- endif %}
    values.setdefault("oidc_issuer", "https://login.example.com/realms/bank")
    values.setdefault("oidc_audience", "payments")
{%- if cookiecutter.use_redis %}
    values.setdefault("redis_url", "redis://cache.internal:6379/0")
{%- endif %}
    return Settings(_env_file=None, app_env="production", **values)


@pytest.mark.parametrize(
    "issuer",
    ["", "http://login.example.com/realms/bank", "login.example.com"],
    ids=["missing", "plain-http", "no-scheme"],
)
def test_the_issuer_must_be_https(issuer: str) -> None:
    with pytest.raises(ValidationError, match="OIDC_ISSUER must be"):
        make(oidc_issuer=issuer)


def test_plain_http_is_allowed_on_this_machine_only() -> None:
    assert make(oidc_issuer="http://127.0.0.1:8900").oidc_issuer == (
        "http://127.0.0.1:8900"
    )


def test_the_audience_is_required() -> None:
    with pytest.raises(ValidationError, match="OIDC_AUDIENCE is not set"):
        make(oidc_audience=" ")


@pytest.mark.parametrize("algorithms", ["HS256", "RS256,none", ""])
def test_only_asymmetric_algorithms_are_accepted(algorithms: str) -> None:
    with pytest.raises(ValidationError, match="OIDC_ALGORITHMS must be some of"):
        make(oidc_algorithms=algorithms)


def test_algorithms_are_comma_separated() -> None:
    assert make(oidc_algorithms="RS256, ES256").oidc_algorithms == ["RS256", "ES256"]
