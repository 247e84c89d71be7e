"""latency-histogram.png and timeline.png from a report (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .histogram import Histogram
from .report import ALL, histogram_of
from .stages import RateProfile, parse_stages

BINS_PER_DECADE = 20


def write_plots(
    report: Mapping[str, Any],
    out_dir: Path,
    thresholds_ms: Sequence[tuple[str, float]] = (),
) -> list[Path]:
    """Draw both charts; ``thresholds_ms`` are (label, ms) SLO lines to show."""
    import matplotlib  # slow to import, only needed here

    # No display on CI machines and servers: render straight to files.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    out_dir.mkdir(parents=True, exist_ok=True)
    title = _title(report)

    figure, (counts_axis, cdf_axis) = plt.subplots(
        2, 1, figsize=(10, 8), sharex=True, height_ratios=(1, 1.6)
    )
    overall = histogram_of(report["summary"])
    if overall.total:
        edges, counts = _log_bins(overall)
        counts_axis.stairs(counts, edges, fill=True, color="tab:blue", alpha=0.7)
    counts_axis.set_ylabel("requests per bin")
    counts_axis.set_title(f"Latency from intended send time: {title}")
    series = [(ALL, report["summary"]), *report["endpoints"].items()]
    for name, entry in series:
        histogram = histogram_of(entry)
        if not histogram.total:
            continue
        values, cumulative, seen = [], [], 0
        for value, count in histogram.items_ms():
            seen += count
            values.append(max(value, 0.001))
            cumulative.append(100 * seen / histogram.total)
        cdf_axis.step(
            values,
            cumulative,
            where="post",
            linewidth=2.2 if name == ALL else 1.2,
            label=f"{name} ({histogram.total} requests)",
        )
    for axis in (counts_axis, cdf_axis):
        for _, value in thresholds_ms:
            axis.axvline(value, color="red", linestyle="--", linewidth=1)
    for position, (label, value) in enumerate(thresholds_ms):
        # One label under another: objectives at nearby values stay readable.
        counts_axis.annotate(
            f"SLO {label}",
            (value, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12 - 11 * position),
            textcoords="offset points",
            color="red",
            fontsize=8,
        )
    for q in (50, 90, 99):
        cdf_axis.axhline(q, color="grey", linewidth=0.5)
    cdf_axis.set_xscale("log")
    cdf_axis.xaxis.set_major_formatter(plain)
    cdf_axis.set_xlabel("latency (ms, log scale)")
    cdf_axis.set_ylabel("requests at or below (%)")
    cdf_axis.set_ylim(0, 100.5)
    cdf_axis.legend(fontsize=8, loc="lower right")
    cdf_axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    histogram_path = out_dir / "latency-histogram.png"
    figure.savefig(histogram_path, dpi=110)
    plt.close(figure)

    timeline = report["timeline"]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    seconds = [row["second"] for row in timeline]
    ok = [row["requests"] - row["failures"] for row in timeline]
    failed = [row["failures"] for row in timeline]
    top.bar(seconds, ok, color="tab:blue", label="answered")
    top.bar(seconds, failed, bottom=ok, color="tab:red", label="failed")
    params = report["parameters"]
    rate = params.get("rate")
    if params.get("stages"):
        profile = RateProfile(parse_stages(params["stages"]))
        warmup = float(params["warmup_s"])
        top.plot(
            seconds,
            [profile.rate_at(warmup + second + 0.5) for second in seconds],
            color="black",
            linestyle="--",
            linewidth=1,
            label="target (stages)",
        )
    elif rate:
        top.axhline(rate, color="black", linestyle="--", linewidth=1, label="target")
    top.set_ylabel("requests per second")
    top.legend(fontsize=8, loc="lower right")
    top.set_title(f"Timeline: {title}")
    for key, style in (("p50", "-"), ("p90", "--"), ("p99", "-"), ("max", ":")):
        points = [row["latency_ms"].get(key) or None for row in timeline]
        bottom.plot(seconds, points, style, marker=".", label=key)
    for label, value in thresholds_ms:
        bottom.axhline(value, color="red", linestyle="--", linewidth=1)
        bottom.annotate(
            f"SLO {label}",
            (0, value),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            color="red",
            fontsize=8,
        )
    bottom.set_yscale("log")
    bottom.yaxis.set_major_formatter(plain)
    bottom.yaxis.set_minor_formatter(plain)
    bottom.set_ylabel("latency (ms, log scale)")
    bottom.set_xlabel("second of the measured window (by intended send time)")
    bottom.legend(fontsize=8, loc="upper right")
    bottom.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    timeline_path = out_dir / "timeline.png"
    figure.savefig(timeline_path, dpi=110)
    plt.close(figure)
    return [histogram_path, timeline_path]


def _log_bins(histogram: Histogram) -> tuple[list[float], list[int]]:
    """Counts in bins of equal width on a log scale, from the raw buckets."""
    values = [max(value, 0.001) for value, _ in histogram.items_ms()]
    low = math.floor(math.log10(min(values)) * BINS_PER_DECADE)
    high = math.floor(math.log10(max(values)) * BINS_PER_DECADE) + 1
    edges = [10 ** (step / BINS_PER_DECADE) for step in range(low, high + 1)]
    counts = [0] * (len(edges) - 1)
    for value, count in histogram.items_ms():
        index = math.floor(math.log10(max(value, 0.001)) * BINS_PER_DECADE) - low
        counts[min(index, len(counts) - 1)] += count
    return edges, counts


def _title(report: Mapping[str, Any]) -> str:
    params = report["parameters"]
    if params.get("model") == "open" and params.get("stages"):
        load = f"open model, stages {params['stages']}"
    elif params.get("model") == "open":
        load = f"open model, {params['rate']:g} req/s"
    else:
        load = f"closed model, {params['users']} users"
    valid = "" if report["validity"]["valid"] else " [INVALID RUN]"
    return f"{report['run']['host']} ({load}, {params['duration_s']:g} s){valid}"
