"""What every benchmark module shares: the figure it reports, the options it runs with, and the
table the figures are printed in.

A benchmark module exposes ``run(options: Options) -> list[Figure]`` and is named once in
``benchmarks.__main__.BENCHMARKS``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    notes: str = ""


@dataclass(frozen=True)
class Options:
    # Seconds each throughput measurement runs for (after its clients have warmed up).
    duration: float = 3.0
    # Concurrent clients of the throughput measurements, one measurement per count.
    clients: tuple[int, ...] = (1, 4, 8)
    # Repetitions of a one-shot measurement (a cold start); the median is reported.
    repeats: int = 5


Benchmark = Callable[[Options], list[Figure]]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _format_value(value: float) -> str:
    if value != value:  # NaN: nothing measured
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: Sequence[Figure]) -> str:
    """The figures as an aligned plain-text table: name, value, unit, notes."""
    rows = [("name", "value", "unit", "notes")]
    rows += [(f.name, _format_value(f.value), f.unit, f.notes) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for index, (name, value, unit, notes) in enumerate(rows):
        lines.append(f"{name:<{widths[0]}}  {value:>{widths[1]}}  {unit:<{widths[2]}}  {notes}".rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths) + "  -----")
    return "\n".join(lines)
