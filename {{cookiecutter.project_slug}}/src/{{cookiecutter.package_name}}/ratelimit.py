{%- if cookiecutter.use_redis -%}
"""Rate limits, counted in Redis: one count per caller across every worker and pod.

A rate such as `10/minute` lets a caller make 10 requests in each clock-aligned
minute; the next one is a 429 with `Retry-After` (seconds to the next window).
Windows are fixed, so a burst straddling two of them can reach twice the rate for
a moment: size rates for that.

When Redis cannot be reached the request goes through and the failure is logged:
a Redis outage must not take the service down with it.
"""
{%- else -%}
"""Rate limits, counted in this process's memory.

A rate such as `10/minute` lets a caller make 10 requests in each clock-aligned
minute; the next one is a 429 with `Retry-After` (seconds to the next window).
Windows are fixed, so a burst straddling two of them can reach twice the rate for
a moment: size rates for that.

Counts are per process: with WORKERS processes and several pods, a caller gets
the rate on each of them. Regenerate with `use_redis` to count once per service.
"""
{%- endif %}
{%- if cookiecutter.use_redis %}

import logging
import math
{%- else %}

import math
{%- endif %}
import time
from typing import Protocol

from fastapi import Request
{%- if cookiecutter.use_redis %}
from redis.asyncio import Redis
from redis.exceptions import RedisError
{%- endif %}

from .config import Rate
from .exceptions import TooManyRequestsError
{%- if cookiecutter.use_redis %}

logger = logging.getLogger(__name__)
{%- else %}

# Counters of windows that have ended are dropped once there are this many.
MAX_COUNTERS = 100_000
{%- endif %}


class Limiter(Protocol):
    async def hit(self, key: str, rate: Rate) -> float | None:
        """Count a request; None if it is within the rate, else seconds to wait."""
        ...
{%- if cookiecutter.use_redis %}


class RedisLimiter:
    """Counts in Redis, shared by every process that uses the same namespace."""

    def __init__(self, client: Redis, namespace: str) -> None:
        self._client = client
        self._namespace = namespace

    async def hit(self, key: str, rate: Rate) -> float | None:
        now = time.time()
        window = int(now // rate.period)
        name = f"{self._namespace}:ratelimit:{key}:{window}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, rate.period + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            logger.exception("rate limit not checked: Redis is unreachable")
            return None
        return None if int(count) <= rate.limit else (window + 1) * rate.period - now
{%- else %}


class MemoryLimiter:
    """Counts in this process: right for one process, a floor for several."""

    def __init__(self) -> None:
        # key -> (end of its current window, requests counted in it)
        self._counters: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, rate: Rate) -> float | None:
        now = time.time()
        ends_at, count = self._counters.get(key, (0.0, 0))
        if ends_at <= now:
            ends_at, count = (now // rate.period + 1) * rate.period, 0
        count += 1
        self._counters[key] = (ends_at, count)
        if len(self._counters) > MAX_COUNTERS:
            self._forget_ended(now)
        return None if count <= rate.limit else ends_at - now

    def _forget_ended(self, now: float) -> None:
        self._counters = {
            key: counter for key, counter in self._counters.items() if counter[0] > now
        }
{%- endif %}


def client_address(request: Request) -> str:
    """The caller's address, as the server saw it (forwarded by a trusted proxy)."""
    return request.client.host if request.client else "unknown"


async def enforce(
    request: Request, rate: Rate | None, *, scope: str, subject: object
) -> None:
    """Count this request of `subject` in `scope`; a 429 once over `rate`."""
    if rate is None:
        return
    limiter: Limiter = request.app.state.limiter
    wait = await limiter.hit(f"{scope}:{subject}", rate)
    if wait is not None:
        msg = f"Too many requests: at most {rate}. Retry later."
        raise TooManyRequestsError(msg, retry_after=math.ceil(wait), subject=subject)
