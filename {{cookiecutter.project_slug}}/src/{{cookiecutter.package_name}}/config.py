"""Application settings, read once from the environment (and `.env` in development)."""
{%- if cookiecutter.auth == "jwt" %}

import math
import re
{%- else %}

import re
{%- endif %}
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal
{%- if cookiecutter.auth == "oidc" %}
from urllib.parse import urlsplit
{%- endif %}

from pydantic import (
    BeforeValidator,
    Field,
{%- if cookiecutter.auth == "jwt" %}
    SecretStr,
{%- endif %}
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
{%- if cookiecutter.auth == "jwt" %}

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the value production refuses
MIN_SECRET_LENGTH = 32
# A ceiling on entropy, length x log2(distinct characters), to catch keys typed
# by hand: 48 random URL-safe characters score ~270, 32 random hex digits ~120,
# "a" x 32 scores 0 and "ab" x 32 scores 64.
MIN_SECRET_BITS = 96
{%- elif cookiecutter.auth == "oidc" %}

# A provider's public keys verify these; a shared-secret (HS*) or "none" token
# would let anyone who knows the public key forge one.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}
)
# Plain http is allowed for an issuer on the same machine only (tests, CI).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
{%- endif %}

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"(\d+)\s*/\s*(second|minute|hour|day)")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `limit` requests per `period` seconds."""

    limit: int
    period: int

    def __str__(self) -> str:
        unit = next(name for name, seconds in PERIODS.items() if seconds == self.period)
        return f"{self.limit}/{unit}"


def parse_rate(value: object) -> object:
    """A rate setting's text: `10/minute` (per second, minute, hour or day) or `off`."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text == "off":
        return None
    match = _RATE.fullmatch(text)
    if match is None or int(match[1]) < 1:
        msg = f"must be a rate such as 10/minute, or off; got {value!r}"
        raise ValueError(msg)
    return Rate(limit=int(match[1]), period=PERIODS[match[2]])


# A rate limit setting; None (`off`) leaves that limit to something in front.
RateLimit = Annotated[Rate | None, NoDecode, BeforeValidator(parse_rate)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Production unless told otherwise: anywhere but a developer's machine (the
    # image, the manifests) the strict checks below apply. `.env` says development.
    app_env: Literal["development", "test", "production"] = "production"
{%- if cookiecutter.database == "postgresql" %}
    # Required: a service must never guess which database it writes to. Unset and
    # empty (as `.env` leaves it for `make dev`) are refused alike.
    database_url: str = Field(default="", validate_default=True)
    # Connections per worker process, in its one pool: at most DB_POOL_SIZE +
    # DB_MAX_OVERFLOW (the connection budget: docs/database.md). Overflow
    # connections are opened for a burst and closed after it; under sustained
    # load that churn cost about 50 µs of CPU per request (measured), so by
    # default a burst waits for the pool.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    # A retry with the same Idempotency-Key replays the first response for this
    # long; `python -m {{ cookiecutter.package_name }} purge` deletes older records.
    idempotency_retention_hours: int = Field(default=24, ge=1)
{%- endif %}
{%- if cookiecutter.auth == "jwt" %}
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Access tokens are signed with this algorithm and no other is accepted,
    # whatever a token's header says; they name this service as issuer and audience.
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    jwt_audience: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
    # Clock skew tolerated between the servers that issue and check tokens.
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=60)
    # A token that claims to live longer than this is refused, whoever signed it.
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=60, le=3600)
    # A refresh token unused for this long expires; rotation cannot extend a login
    # past SESSION_LIFETIME_SECONDS after its password login.
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=3600)
    session_lifetime_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
{%- elif cookiecutter.auth == "oidc" %}
    # The identity provider (its discovery document is at
    # <issuer>/.well-known/openid-configuration) and this API's audience: tokens
    # issued by anyone else, or for another API, are refused. Both required.
    oidc_issuer: str = Field(default="", validate_default=True)
    oidc_audience: str = Field(default="", validate_default=True)
    # Accepted signature algorithms, whatever a token's header says: asymmetric only.
    oidc_algorithms: Annotated[list[str], NoDecode] = ["RS256"]
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # Signing keys are refetched when older than this, and for a token with an
    # unknown key id at most once per OIDC_JWKS_MIN_REFRESH_SECONDS.
    oidc_jwks_cache_seconds: int = Field(default=3600, ge=60)
    oidc_jwks_min_refresh_seconds: int = Field(default=60, ge=0)
{%- endif %}
    # Production serves neither /openapi.json nor /docs unless this is true (for
    # an API whose consumers fetch its schema); elsewhere both are always served.
    expose_openapi: bool = False
    cors_origins: Annotated[list[str], NoDecode] = []
    # Larger bodies are refused (413) before they are read into memory, and a
    # body still arriving after the timeout is refused (408).
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    request_body_timeout_seconds: float = Field(default=30, gt=0)
    # A request line and headers larger than this are refused (431), and so
    # (408) are ones not complete within the timeout (server.py).
    max_request_header_bytes: int = Field(default=32 * 1024, ge=1024)
    request_head_timeout_seconds: float = Field(default=10, gt=0)
{%- if cookiecutter.auth == "none" %}
    # Requests per client address to the API (health and metrics are not
    # counted). Behind a gateway, trust its X-Forwarded-For (FORWARDED_ALLOW_IPS)
    # or every caller shares the gateway's address.
{%- else %}
    # Requests per caller (the authenticated principal) to the API; health and
    # metrics are not counted.
{%- endif %}
    rate_limit_caller: RateLimit = Rate(limit=6000, period=60)
{%- if cookiecutter.auth == "jwt" %}
    # Login attempts per client address and, counted apart, per account; and
    # registrations per client address.
    rate_limit_login: RateLimit = Rate(limit=10, period=60)
    rate_limit_register: RateLimit = Rate(limit=10, period=3600)
{%- endif %}
{%- if cookiecutter.use_redis %}
    # Where rate limits are counted, once for every worker and pod. Required.
    redis_url: str = Field(default="", validate_default=True)
    # Prefix of this service's keys in a Redis shared with other services.
    redis_namespace: str = Field(default="{{ cookiecutter.project_slug }}", min_length=1)
{%- endif %}
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)

{%- if cookiecutter.database == "postgresql" %}

    @field_validator("database_url")
    @classmethod
    def _require_asyncpg(cls, value: str) -> str:
        if not value.strip():
            msg = (
                "DATABASE_URL is not set: point it at a PostgreSQL database "
                "(postgresql://user:password@host:5432/name); on a developer machine, "
                "`make dev` starts a project-local PostgreSQL instead"
            )
            raise ValueError(msg)
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            scheme = value.split("://", 1)[0] if "://" in value else value[:20]
            msg = (
                "DATABASE_URL must be a postgresql:// URL "
                f"(postgresql://user:password@host:5432/name), got {scheme!r}"
            )
            raise ValueError(msg)
        return value
{%- endif %}
{%- if cookiecutter.use_redis %}

    @field_validator("redis_url")
    @classmethod
    def _require_redis(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            msg = (
                "REDIS_URL must be a redis://host:6379/0 (or rediss://) URL: rate "
                "limits are counted there"
            )
            raise ValueError(msg)
        return value
{%- endif %}
{%- if cookiecutter.auth == "oidc" %}

    @field_validator("oidc_issuer")
    @classmethod
    def _require_issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        loopback = parts.hostname in LOOPBACK_HOSTS
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            msg = (
                "OIDC_ISSUER must be the identity provider's https:// issuer URL "
                "(e.g. https://login.example.com/realms/bank), as its tokens' iss says"
            )
            raise ValueError(msg)
        return value

    @field_validator("oidc_audience")
    @classmethod
    def _require_audience(cls, value: str) -> str:
        if not value.strip():
            msg = "OIDC_AUDIENCE is not set: the aud value of tokens meant for this API"
            raise ValueError(msg)
        return value

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        if not value or not set(value) <= ASYMMETRIC_ALGORITHMS:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            msg = f"OIDC_ALGORITHMS must be some of {allowed}, got {','.join(value)!r}"
            raise ValueError(msg)
        return value
{%- endif %}

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

{%- if cookiecutter.auth == "jwt" %}

    @model_validator(mode="after")
    def _refresh_within_the_session(self) -> "Settings":
        if self.refresh_token_ttl_seconds > self.session_lifetime_seconds:
            msg = (
                "REFRESH_TOKEN_TTL_SECONDS must not exceed SESSION_LIFETIME_SECONDS "
                f"({self.session_lifetime_seconds})"
            )
            raise ValueError(msg)
        return self
{%- endif %}

    @model_validator(mode="after")
    def _refuse_unsafe_production_settings(self) -> "Settings":
        if self.app_env != "production":
            return self
{%- if cookiecutter.auth == "jwt" %}
        secret = self.secret_key.get_secret_value()
        if (
            secret == PLACEHOLDER_SECRET
            or len(secret) < MIN_SECRET_LENGTH
            or estimated_bits(secret) < MIN_SECRET_BITS
        ):
            msg = (
                f"SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} "
                "characters when APP_ENV=production (APP_ENV=development on a "
                "developer machine); generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
            raise ValueError(msg)
{%- endif %}
        if "*" in self.cors_origins:
            msg = (
                "CORS_ORIGINS must list the allowed origins when APP_ENV=production, "
                "not '*'"
            )
            raise ValueError(msg)
        return self
{%- if cookiecutter.auth == "jwt" %}


def estimated_bits(secret: str) -> float:
    """A ceiling on the secret's entropy: repeated or few characters score low."""
    distinct = len(set(secret))
    return len(secret) * math.log2(distinct) if distinct > 1 else 0.0
{%- endif %}


@lru_cache
def get_settings() -> Settings:
    return Settings()


def explain(error: ValidationError) -> str:
    """One line per invalid setting, named as its environment variable."""
    lines = []
    for problem in error.errors():
        name = "_".join(str(part) for part in problem["loc"]).upper()
        message = problem["msg"].removeprefix("Value error, ")
        named = not name or message.startswith(name)
        lines.append(message if named else f"{name}: {message}")
    return "\n".join(lines)
