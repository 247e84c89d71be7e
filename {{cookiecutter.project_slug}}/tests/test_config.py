{% if cookiecutter.auth == "jwt" -%}
import secrets
{% endif -%}
from typing import Any

import pytest
{%- if cookiecutter.auth == "jwt" %}
from pydantic import SecretStr, ValidationError
{%- else %}
from pydantic import ValidationError
{%- endif %}

from {{ cookiecutter.package_name }}.config import Rate, Settings, explain
{%- if cookiecutter.auth == "oidc" %}


@pytest.fixture(autouse=True)
def identity_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Settings here needs one; these tests are about the other settings."""
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.com/realms/bank")
    monkeypatch.setenv("OIDC_AUDIENCE", "payments")
{%- endif %}
{%- if cookiecutter.use_redis %}


@pytest.fixture(autouse=True)
def redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Settings here needs one; most tests are about the other settings."""
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
{%- endif %}


def make(**values: Any) -> Settings:
{%- if cookiecutter.database == "postgresql" %}
    values.setdefault("database_url", "postgresql://app@db:5432/app")
{%- endif %}
    values.setdefault("app_env", "development")
    return Settings(_env_file=None, **values)
{%- if cookiecutter.database == "postgresql" %}


def test_database_url_is_required() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL is not set"):
        Settings(_env_file=None)


def test_an_empty_database_url_is_refused_like_a_missing_one() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL is not set"):
        make(database_url="  ")


def test_errors_are_explained_one_line_per_setting() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, port=0, log_level="LOUD")

    lines = explain(caught.value).splitlines()

    assert sorted(line.split(" ")[0] for line in lines) == [
        "DATABASE_URL",
        "LOG_LEVEL:",
        "PORT:",
    ]
    assert "DATABASE_URL is not set: " in lines[0]
{%- else %}


def test_errors_are_explained_one_line_per_setting() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, port=0, log_level="LOUD")

    lines = explain(caught.value).splitlines()

    assert sorted(line.split(" ")[0] for line in lines) == ["LOG_LEVEL:", "PORT:"]
{%- endif %}


{%- if cookiecutter.database == "postgresql" %}


def test_plain_postgresql_urls_use_asyncpg() -> None:
    settings = make(database_url="postgresql://app@db:5432/app")

    assert settings.database_url == "postgresql+asyncpg://app@db:5432/app"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL must be a postgresql://"):
        make(database_url="mysql://app@db/app")
{%- endif %}


def test_cors_origins_are_comma_separated() -> None:
    settings = make(cors_origins="https://a.example, https://b.example")

    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_production_is_the_default() -> None:
{%- if cookiecutter.auth == "jwt" %}
    settings = Settings(
        _env_file=None,
        database_url="postgresql://app@db:5432/app",
        secret_key=SecretStr(secrets.token_urlsafe(48)),
    )
{%- elif cookiecutter.database == "postgresql" %}
    settings = Settings(_env_file=None, database_url="postgresql://app@db:5432/app")
{%- else %}
    settings = Settings(_env_file=None)
{%- endif %}

    assert settings.app_env == "production"
{%- if cookiecutter.auth == "jwt" %}


def test_production_refuses_the_placeholder_secret_by_default() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be a random value"):
        Settings(_env_file=None, database_url="postgresql://app@db:5432/app")


@pytest.mark.parametrize(
    "secret",
    ["change-me", "too-short", "a" * 32, "ab" * 32, "abc" * 11],
    ids=["placeholder", "short", "one-character", "two-characters", "three-characters"],
)
def test_production_refuses_a_weak_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be a random value"):
        make(app_env="production", secret_key=SecretStr(secret))


@pytest.mark.parametrize(
    "secret",
    ["4f1c9be27a0d83e6b5f2c7d90e1a4b38", "Jq3vX9_kLm2-Rt8wZpYb5cNd0sHgF7eA"],
    ids=["hex", "urlsafe"],
)
def test_production_accepts_a_random_secret(secret: str) -> None:
    settings = make(app_env="production", secret_key=SecretStr(secret))

    assert settings.app_env == "production"
{%- endif %}


def test_production_refuses_cors_for_any_origin() -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS must list the allowed"):
        make(
            app_env="production",
{%- if cookiecutter.auth == "jwt" %}
            secret_key=SecretStr(secrets.token_urlsafe(48)),
{%- endif %}
            cors_origins="https://app.example, *",
        )


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100/minute", Rate(limit=100, period=60)),
        (" 5 / Second ", Rate(limit=5, period=1)),
        ("10/day", Rate(limit=10, period=86400)),
        ("off", None),
    ],
)
def test_rate_limits_are_read_as_text(text: str, rate: Rate | None) -> None:
    assert make(rate_limit_caller=text).rate_limit_caller == rate


@pytest.mark.parametrize("text", ["fast", "0/minute", "10/fortnight", "10"])
def test_a_rate_limit_that_is_not_a_rate_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(rate_limit_caller=text)

    assert explain(caught.value).startswith("RATE_LIMIT_CALLER: must be a rate")
{%- if cookiecutter.use_redis %}


@pytest.mark.parametrize("url", ["", "localhost:6379", "http://cache.internal:6379"])
def test_redis_url_is_required(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REDIS_URL", url)

    with pytest.raises(ValidationError, match="REDIS_URL must be a redis://"):
        make()
{%- endif %}
