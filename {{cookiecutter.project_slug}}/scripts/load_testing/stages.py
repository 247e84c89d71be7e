"""Load stages for the open model: `--stages 30s:50,2m:200,30s:0`.

Each stage ramps the request rate linearly from where the previous one ended
(0 at the start) to its target over its duration, as k6's ramping arrival rate
does. The schedule stays exact: the n-th request of the run is due when the
area under the rate curve reaches n, so a stage holds its rate as precisely as
a constant --rate does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

STAGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*:\s*(\d+(?:\.\d+)?)\s*$")
SCALE = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}


class StageError(ValueError):
    pass


def parse_stages(text: str) -> list[tuple[float, float]]:
    """`30s:50,2m:200,30s:0` -> [(30.0, 50.0), (120.0, 200.0), (30.0, 0.0)]."""
    stages = []
    for part in text.split(","):
        match = STAGE.match(part)
        if match is None:
            msg = (
                f"--stages {text!r}: {part.strip()!r} is not DURATION:RATE "
                "(e.g. 30s:50,2m:200,30s:0)"
            )
            raise StageError(msg)
        duration = float(match.group(1)) * SCALE[match.group(2)]
        if duration <= 0:
            msg = f"--stages {text!r}: a stage lasts more than 0 s"
            raise StageError(msg)
        stages.append((duration, float(match.group(3))))
    if not any(target > 0 for _, target in stages):
        msg = f"--stages {text!r}: no stage sends anything (every target is 0)"
        raise StageError(msg)
    return stages


class RateProfile:
    """The rate over time and its inverse integral: when the n-th send is due."""

    def __init__(self, stages: Sequence[Sequence[float]]) -> None:
        self.segments: list[tuple[float, float, float, float]] = []
        start_time, start_rate, count = 0.0, 0.0, 0.0
        for duration, target in stages:
            self.segments.append((start_time, duration, start_rate, target))
            count += duration * (start_rate + target) / 2
            start_time += duration
            start_rate = target
        self.total_s = start_time
        self.total_count = count
        self.peak = max(target for _, target in stages)

    def rate_at(self, t: float) -> float:
        for start, duration, r0, r1 in self.segments:
            if start <= t < start + duration:
                return r0 + (r1 - r0) * (t - start) / duration
        return 0.0

    def time_of(self, n: float) -> float:
        """When the cumulative count reaches `n` (inf once the stages are over)."""
        passed = 0.0
        for start, duration, r0, r1 in self.segments:
            area = duration * (r0 + r1) / 2
            if n <= passed + area and area > 0:
                return start + self._within(n - passed, duration, r0, r1)
            passed += area
        return math.inf

    @staticmethod
    def _within(n: float, duration: float, r0: float, r1: float) -> float:
        # Solve r0*t + (r1 - r0)/(2*duration)*t^2 = n for t in [0, duration].
        slope = (r1 - r0) / duration
        if abs(slope) < 1e-12:
            return n / r0
        root = math.sqrt(max(r0 * r0 + 2 * slope * n, 0.0))
        return min(max((root - r0) / slope, 0.0), duration)
