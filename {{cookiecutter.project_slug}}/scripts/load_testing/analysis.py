"""Judge a report: SLO thresholds and a comparison with a saved baseline.

A percentile is only judged when the run holds enough samples for it (see
``histogram.min_samples_for``); below that the verdict is "inconclusive" rather
than a pass or a breach that the data cannot support.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .histogram import min_samples_for
from .report import ALL, histogram_of
from .scenario import same_path

LATENCY = re.compile(r"^p(\d+(?:\.\d+)?)$")
OBJECTIVE = re.compile(
    r"^(?:(?P<scope>.+?)\s*:\s*)?(?P<metric>p\d+(?:\.\d+)?|max|error_rate|min_rps)"
    r"\s*=\s*(?P<value>\S+)$"
)
# Below these, a difference is noise of the clock and the buckets, not a change.
LATENCY_FLOOR_MS = 1.0
ERROR_RATE_FLOOR = 0.001
COMPARED_PERCENTILES = (50.0, 90.0, 95.0, 99.0)
# What must match for two runs to be comparable at all.
COMPARABLE_PARAMETERS = (
    "model",
    "rate",
    "users",
    "think_time_s",
    "duration_s",
    "warmup_s",
    "mix",
)


class AnalysisError(Exception):
    """An SLO, a tolerance or a baseline that cannot be used (a usage error)."""


@dataclass(frozen=True)
class Objective:
    scope: str  # ALL or an endpoint, "GET /api/v1/items"
    metric: str  # "p95", "max", "error_rate" or "min_rps"
    threshold: float  # ms, a fraction, or requests per second
    text: str

    @property
    def label(self) -> str:
        return self.text if self.scope == ALL else f"{self.scope}: {self.text}"


def parse_duration_ms(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s)", text.strip())
    if match is None and not re.match(r"\s*\d", text):
        msg = f"latency {text!r} is not a number: expected e.g. 200ms or 0.2s"
        raise AnalysisError(msg)
    if match is None:
        msg = f"latency {text!r} needs a unit: e.g. 200ms or 0.2s"
        raise AnalysisError(msg)
    value = float(match.group(1))
    return value * 1000 if match.group(2) == "s" else value


def parse_fraction(text: str) -> float:
    text = str(text).strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        msg = f"{text!r} is not a rate: e.g. 1% or 0.01"
        raise AnalysisError(msg)
    return value


def _objective(scope: str, metric: str, value: str) -> Objective:
    value = str(value).strip()
    if latency := LATENCY.match(metric):
        q = float(latency.group(1))
        if not 0 < q < 100:
            msg = f"{metric}: a percentile is between p0 and p100 (exclusive)"
            raise AnalysisError(msg)
        threshold = parse_duration_ms(value)
    elif metric == "max":
        threshold = parse_duration_ms(value)
    elif metric == "error_rate":
        threshold = parse_fraction(value)
    elif metric == "min_rps":
        try:
            threshold = float(value.removesuffix("/s").removesuffix("rps"))
        except ValueError as exc:
            msg = f"min_rps={value!r}: expected requests per second, e.g. 100"
            raise AnalysisError(msg) from exc
    else:
        msg = f"unknown SLO metric {metric!r}: use pNN (e.g. p95), max, error_rate or min_rps"
        raise AnalysisError(msg)
    return Objective(
        scope=scope, metric=metric, threshold=threshold, text=f"{metric}={value}"
    )


def parse_slo_flag(text: str) -> Objective:
    """``p95=200ms`` or ``GET /api/v1/items:p95=100ms``."""
    match = OBJECTIVE.match(text.strip())
    if match is None:
        msg = (
            f"--slo {text!r}: expected METRIC=VALUE, optionally after 'METHOD /path:' "
            "(e.g. p95=200ms, error_rate=1%, min_rps=100, 'GET /api/v1/items:p99=300ms')"
        )
        raise AnalysisError(msg)
    scope = match.group("scope") or ALL
    return _objective(scope, match.group("metric"), match.group("value"))


def parse_slo_file(path: Path) -> list[Objective]:
    """Objectives from YAML: ``all:`` for every request, ``endpoints:`` per endpoint."""
    import yaml  # only analysis with a file needs PyYAML

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        msg = f"--slo-file {path}: {exc.strerror}"
        raise AnalysisError(msg) from exc
    except yaml.YAMLError as exc:
        msg = f"--slo-file {path} is not valid YAML: {exc}"
        raise AnalysisError(msg) from exc
    if not isinstance(data, dict) or set(data) - {"all", "endpoints"}:
        msg = f"--slo-file {path}: expected top-level keys 'all' and/or 'endpoints'"
        raise AnalysisError(msg)
    scoped: list[tuple[str, Any]] = [(ALL, data.get("all") or {})]
    scoped += list((data.get("endpoints") or {}).items())
    objectives = []
    for scope, metrics in scoped:
        if not isinstance(metrics, dict):
            msg = f"--slo-file {path}: {scope!r} must map metrics to thresholds"
            raise AnalysisError(msg)
        for metric, value in metrics.items():
            objectives.append(_objective(str(scope), str(metric), str(value)))
    return objectives


def parse_tolerance(text: str) -> float:
    tolerance = parse_fraction(text) if text.strip().endswith("%") else -1.0
    if tolerance < 0:
        msg = f"--tolerance {text!r}: expected a percentage, e.g. 10%"
        raise AnalysisError(msg)
    return tolerance


@dataclass(frozen=True)
class Verdict:
    objective: Objective
    status: str  # "pass", "breach" or "inconclusive"
    measured: float | None
    detail: str


def _entry(report: Mapping[str, Any], scope: str) -> Mapping[str, Any] | None:
    if scope == ALL:
        summary: Mapping[str, Any] = report["summary"]
        return summary
    endpoints: Mapping[str, Mapping[str, Any]] = report["endpoints"]
    if scope in endpoints:
        return endpoints[scope]
    # `GET /api/v1/items` is FastAPI's `GET /api/v1/items/`.
    return next((v for k, v in endpoints.items() if same_path(k, scope)), None)


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric == "error_rate":
        return f"{value:.2%}"
    if metric == "min_rps":
        return f"{value:.1f} req/s"
    return f"{value:.1f} ms"


def evaluate(
    report: Mapping[str, Any], objectives: Iterable[Objective]
) -> list[Verdict]:
    verdicts = []
    duration = float(report["parameters"]["duration_s"])
    for objective in objectives:
        entry = _entry(report, objective.scope)
        if entry is None or entry["requests"] == 0:
            verdicts.append(
                Verdict(
                    objective, "inconclusive", None, f"no requests to {objective.scope}"
                )
            )
            continue
        samples = int(entry["requests"])
        metric = objective.metric
        if latency := LATENCY.match(metric):
            q = float(latency.group(1))
            needed = min_samples_for(q)
            measured = histogram_of(entry).percentile(q)
            ok = measured is not None and measured <= objective.threshold
        elif metric == "max":
            needed, measured = 1, histogram_of(entry).max_us / 1000
            ok = measured <= objective.threshold
        elif metric == "error_rate":
            rate = objective.threshold
            # Zero failures in n requests bound the true rate below 3/n at 95%.
            needed = (
                math.ceil(math.log(0.05) / math.log(1 - rate)) if 0 < rate < 1 else 1
            )
            measured = entry["failures"] / samples
            ok = measured <= rate
        else:
            needed, measured = 1, samples / duration
            ok = measured >= objective.threshold
        if samples < needed:
            detail = f"{metric} needs at least {needed} requests to judge, the run has {samples}"
            verdicts.append(Verdict(objective, "inconclusive", measured, detail))
            continue
        comparison = ">=" if metric == "min_rps" else "<="
        detail = (
            f"measured {_fmt(metric, measured)}, objective {comparison} "
            f"{_fmt(metric, objective.threshold)} ({samples} requests)"
        )
        verdicts.append(
            Verdict(objective, "pass" if ok else "breach", measured, detail)
        )
    return verdicts


@dataclass(frozen=True)
class Delta:
    scope: str
    metric: str
    baseline: float
    current: float
    limit: float
    regressed: bool

    def describe(self) -> str:
        verb = "REGRESSED" if self.regressed else "ok"
        if self.metric == "rps":
            return (
                f"{verb:>9}  {self.scope} throughput {self.current:.1f} req/s vs "
                f"baseline {self.baseline:.1f} (floor {self.limit:.1f})"
            )
        unit = "%" if self.metric == "error_rate" else " ms"
        scale = 100 if self.metric == "error_rate" else 1
        return (
            f"{verb:>9}  {self.scope} {self.metric} {self.current * scale:.2f}{unit} vs "
            f"baseline {self.baseline * scale:.2f}{unit} (limit {self.limit * scale:.2f}{unit})"
        )


def incompatibilities(
    report: Mapping[str, Any], baseline: Mapping[str, Any]
) -> list[str]:
    """Why two runs cannot be compared; empty when they can."""
    ours, theirs = report["parameters"], baseline["parameters"]
    differences = []
    for key in COMPARABLE_PARAMETERS:
        if ours.get(key) != theirs.get(key):
            differences.append(
                f"{key}: baseline {theirs.get(key)!r}, this run {ours.get(key)!r}"
            )
    return differences


def compare(
    report: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float
) -> list[Delta]:
    """Percentiles, error rate and (closed model) throughput against the baseline."""
    deltas = []
    scopes = [ALL, *sorted(set(report["endpoints"]) & set(baseline["endpoints"]))]
    closed = report["parameters"].get("model") == "closed"
    for scope in scopes:
        ours, theirs = _entry(report, scope), _entry(baseline, scope)
        if ours is None or theirs is None:
            continue
        samples = min(int(ours["requests"]), int(theirs["requests"]))
        current_hist, base_hist = histogram_of(ours), histogram_of(theirs)
        for q in COMPARED_PERCENTILES:
            if samples < min_samples_for(q):
                continue
            base, current = base_hist.percentile(q), current_hist.percentile(q)
            if base is None or current is None:
                continue
            limit = base * (1 + tolerance) + LATENCY_FLOOR_MS
            deltas.append(
                Delta(scope, f"p{q:g}", base, current, limit, current > limit)
            )
        if samples:
            base, current = float(theirs["error_rate"]), float(ours["error_rate"])
            limit = base * (1 + tolerance) + ERROR_RATE_FLOOR
            deltas.append(
                Delta(scope, "error_rate", base, current, limit, current > limit)
            )
        if closed and samples:
            base, current = float(theirs["rps"]), float(ours["rps"])
            limit = base * (1 - tolerance)
            deltas.append(Delta(scope, "rps", base, current, limit, current < limit))
    return deltas
