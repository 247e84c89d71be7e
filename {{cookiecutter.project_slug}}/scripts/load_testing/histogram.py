"""Latency histograms: sparse, mergeable across processes, stored as raw counts.

Values are kept in microseconds rounded to three significant digits, so every
bucket is within 0.5% of the values it holds while a run of any length needs at
most a few hundred buckets. Percentiles use the nearest-rank definition: the
smallest recorded value that at least q% of the samples do not exceed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

SIGNIFICANT_DIGITS = 3


def bucket_of(value_us: int) -> int:
    """The value rounded (half up) to three significant digits."""
    if value_us < 10**SIGNIFICANT_DIGITS:
        return max(value_us, 0)
    scale = int(10 ** (len(str(value_us)) - SIGNIFICANT_DIGITS))
    return (value_us + scale // 2) // scale * scale


class Histogram:
    """Counts of latencies per bucket, plus the exact count, sum and maximum."""

    __slots__ = ("counts", "max_us", "sum_us", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.sum_us = 0
        self.max_us = 0

    def record(self, value_ms: float) -> None:
        value_us = max(round(value_ms * 1000), 0)
        bucket = bucket_of(value_us)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        self.sum_us += value_us
        self.max_us = max(self.max_us, value_us)

    def merge(self, other: Histogram) -> None:
        for bucket, count in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += other.total
        self.sum_us += other.sum_us
        self.max_us = max(self.max_us, other.max_us)

    def percentile(self, q: float) -> float | None:
        """Nearest-rank q-th percentile in milliseconds; None when empty."""
        if self.total == 0:
            return None
        if q >= 100:
            return self.max_us / 1000
        # The epsilon keeps float error (99.9 * 1000 / 100 > 999) off the rank.
        rank = max(math.ceil(q * self.total / 100 - 1e-9), 1)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                # Rounding up can overshoot the exact maximum; never report more.
                return min(bucket, self.max_us) / 1000
        return self.max_us / 1000

    def mean(self) -> float | None:
        return self.sum_us / self.total / 1000 if self.total else None

    def items_ms(self) -> Iterable[tuple[float, int]]:
        """(bucket value in ms, count), in increasing order."""
        for bucket in sorted(self.counts):
            yield bucket / 1000, self.counts[bucket]

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": "us",
            "significant_digits": SIGNIFICANT_DIGITS,
            "count": self.total,
            "sum": self.sum_us,
            "max": self.max_us,
            "buckets": {
                str(bucket): self.counts[bucket] for bucket in sorted(self.counts)
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Histogram:
        histogram = cls()
        histogram.counts = {
            int(key): int(value) for key, value in data["buckets"].items()
        }
        histogram.total = int(data["count"])
        histogram.sum_us = int(data["sum"])
        histogram.max_us = int(data["max"])
        return histogram


def min_samples_for(q: float, confidence: float = 0.95) -> int:
    """Fewest samples for which a q-th percentile can be judged at all.

    With n samples, the chance that all of them fall below the true q-th percentile
    is (q/100)^n. Only when that chance is under 5% is even the largest sample a
    95%-confidence upper bound for the percentile (the "rule of three"), so with
    fewer samples neither a pass nor a breach can be claimed: p50 needs 5 samples,
    p90 29, p95 59, p99 299 and p99.9 2995.
    """
    if q >= 100:
        return 1
    return math.ceil(math.log(1 - confidence) / math.log(q / 100))
