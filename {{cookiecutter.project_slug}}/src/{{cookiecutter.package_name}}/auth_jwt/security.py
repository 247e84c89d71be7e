"""Password hashing (Argon2id), access tokens (JWT) and opaque refresh tokens."""

import functools
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ..config import Settings

ALGORITHM = "HS256"

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


async def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        await anyio.to_thread.run_sync(
            password_hash.verify, password, _DUMMY_HASH, limiter=_HASHING
        )
        return False
    return await anyio.to_thread.run_sync(
        password_hash.verify, password, hashed, limiter=_HASHING
    )


def create_access_token(*, user_id: uuid.UUID, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
        "type": "access",
    }
    return jwt.encode(
        claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM
    )


def decode_access_token(token: str, *, settings: Settings) -> uuid.UUID | None:
    """Return the user id of a valid, unexpired access token, else None."""
    verified = _verify(token, settings.secret_key.get_secret_value())
    if verified is None:
        return None
    user_id, expires_at = verified
    return user_id if time.time() < expires_at else None


# A client sends the same token for many requests: check its signature and
# shape once, and only its expiry every time.
@functools.lru_cache(maxsize=4096)
def _verify(token: str, key: str) -> tuple[uuid.UUID, float] | None:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"], "verify_exp": False},
        )
        if claims.get("type") != "access":
            return None
        return uuid.UUID(claims["sub"]), float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None


def new_refresh_token() -> tuple[str, str]:
    """Return a fresh opaque refresh token and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
