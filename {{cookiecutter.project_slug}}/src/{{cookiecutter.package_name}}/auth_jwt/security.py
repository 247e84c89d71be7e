"""Password hashing (Argon2id), access tokens (JWT) and opaque refresh tokens."""

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn

from ..config import Settings

# Claims every access token must carry; one without any of them is refused.
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud", "jti", "sid")

# pwdlib's Argon2id defaults (64 MiB, 3 passes, 4 lanes) are above OWASP's
# minimum (19 MiB, 2 passes, 1 lane). Raise them here: a stored hash made with
# older parameters is replaced at its owner's next login.
password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = password_hash.hash(secrets.token_urlsafe(16))
# Each Argon2 hash takes 64 MiB and a core for tens of milliseconds: a burst of
# logins queues here instead of exhausting the pod's memory or its threads.
MAX_CONCURRENT_HASHES = 2
_HASHING = anyio.CapacityLimiter(MAX_CONCURRENT_HASHES)


# Argon2 is deliberately slow; it runs in a worker thread so the event loop stays
# free. Callers hold no database connection meanwhile.
async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(
        password_hash.hash, password, limiter=_HASHING
    )


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash to store if it is outdated."""
    return await anyio.to_thread.run_sync(
        password_hash.verify_and_update,
        password,
        _DUMMY_HASH if hashed is None else hashed,
        limiter=_HASHING,
    )


# zxcvbn's guessability score, 0 to 4: 3 and up resists an offline attack on
# a slow hash. It knows tens of thousands of common and breached passwords,
# names and words, keyboard walks, repeats, sequences and dates, offline.
MIN_PASSWORD_SCORE = 3
# zxcvbn's own ceiling on the length it judges; the start of a longer password
# is judged (a strong start makes a strong password).
_JUDGED_LENGTH = 72


async def password_weakness(password: str, *, email: str) -> str | None:
    """Why this new password is too easy to guess, or None if it is not.

    A few milliseconds of CPU, so off the event loop.
    """
    judge = functools.partial(
        zxcvbn,
        password[:_JUDGED_LENGTH],
        user_inputs=[email, email.partition("@")[0]],
    )
    verdict = await anyio.to_thread.run_sync(judge)
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = verdict["feedback"]
    advice = feedback["warning"] or " ".join(feedback["suggestions"])
    return f"This password is too easy to guess. {advice}".strip()


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says: whose it is and which login issued it."""

    user_id: uuid.UUID
    session_id: uuid.UUID


def create_access_token(
    *, user_id: uuid.UUID, session_id: uuid.UUID, settings: Settings
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
        "type": "access",
    }
    return jwt.encode(
        claims, settings.secret_key.get_secret_value(), algorithm=settings.jwt_algorithm
    )


def decode_access_token(token: str, *, settings: Settings) -> AccessClaims | None:
    """The claims of a valid, current access token of this service, else None.

    The algorithm, issuer and audience come from the settings, never from the
    token. A token that claims to live longer than ACCESS_TOKEN_TTL_SECONDS is
    refused, whoever signed it.
    """
    verified = _verify(
        token,
        settings.secret_key.get_secret_value(),
        settings.jwt_algorithm,
        settings.jwt_issuer,
        settings.jwt_audience,
    )
    if verified is None:
        return None
    claims, issued_at, expires_at = verified
    now, leeway = time.time(), settings.jwt_leeway_seconds
    if (
        expires_at - issued_at > settings.access_token_ttl_seconds
        or issued_at > now + leeway
        or expires_at <= now - leeway
    ):
        return None
    return claims


# A client sends the same token for many requests: check its signature and
# shape once, and only its times every time.
@functools.lru_cache(maxsize=4096)
def _verify(
    token: str, key: str, algorithm: str, issuer: str, audience: str
) -> tuple[AccessClaims, float, float] | None:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=issuer,
            audience=audience,
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        if claims.get("type") != "access":
            return None
        verified = AccessClaims(
            user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"])
        )
        return verified, float(claims["iat"]), float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None


def new_refresh_token() -> tuple[str, str]:
    """Return a fresh opaque refresh token and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
