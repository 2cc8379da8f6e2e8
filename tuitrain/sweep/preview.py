"""Where a distribution's draws land, before a trial runs: seeded draws and a small text histogram.

The draws follow the scales of :mod:`tuitrain.sweep.space` as Optuna's random sampler draws them
(a ``log_uniform`` value is ``exp`` of a uniform draw of the log; ``reverse_log`` draws ``1 - x`` so;
``log_int`` draws the log of ``[low - 0.5, high + 0.5]`` and rounds, as Optuna does), in plain Python
with :mod:`random`, so showing them costs nothing and imports nothing. The histogram bins them on an
axis the caller picks: drawing a learning rate uniformly from 1e-4 to 1 and showing it on a log axis
puts 18 of 20 draws in the top decade, which is the point of showing it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tuitrain.formatting import short
from tuitrain.sweep.space import Choice, LogInt, _IntRange, _Range

DRAWS = 20
"""Draws shown by default: few enough to read, enough to see a shape."""


def draws(dist: Any, count: int = DRAWS, seed: int = 0) -> list[Any]:
    """``count`` values drawn from ``dist`` (any distribution of :mod:`tuitrain.sweep.space`), seeded."""
    rng = random.Random(seed)
    if isinstance(dist, Choice):
        return [rng.choice(dist.values) for _ in range(count)]
    if isinstance(dist, _IntRange):
        if isinstance(dist, LogInt):
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            return [dist.from_internal(math.exp(rng.uniform(lo, hi))) for _ in range(count)]
        return [rng.randint(dist.low, dist.high) for _ in range(count)]
    if isinstance(dist, _Range):
        lo, hi = dist.internal_bounds()
        if dist.scale == "linear":
            return [dist.from_internal(rng.uniform(lo, hi)) for _ in range(count)]
        return [dist.from_internal(math.exp(rng.uniform(math.log(lo), math.log(hi)))) for _ in range(count)]
    raise TypeError(f"no draws for {type(dist).__name__}")


@dataclass(frozen=True)
class Bin:
    """One bar of a histogram: its label (a range of values, or a choice) and how many draws fell in it."""

    label: str
    count: int


def histogram(dist: Any, values: list[Any], axis: Any = None, bins: int = 5) -> list[Bin]:
    """The draws ``values`` of ``dist`` counted in ``bins`` equal steps of ``axis``'s scale (a choice: per value).

    ``axis`` is a distribution whose scale the bins follow (default ``dist`` itself); its range is
    ``dist``'s. On a log axis the bins are decades, or parts of decades.
    """
    if isinstance(dist, Choice):
        counts = Counter(Choice.label(v) for v in values)
        return [Bin(v if isinstance(v, str) else Choice.label(v), counts.get(Choice.label(v), 0)) for v in dist.values]
    axis = dist if axis is None else axis
    try:
        lo, hi = axis.to_scale(dist.low), axis.to_scale(dist.high)
    except (ValueError, ArithmeticError):  # e.g. a log axis for a range that reaches 0
        axis = dist
        lo, hi = axis.to_scale(dist.low), axis.to_scale(dist.high)
    decades = hi - lo
    if axis.scale != "linear" and abs(decades - round(decades)) < 1e-6 and 2 <= round(decades) <= 2 * bins:
        bins = round(decades)  # whole decades read best: 1e-4..1e-3, ..., 0.1..1
    if isinstance(dist, _IntRange):
        bins = max(1, min(bins, dist.high - dist.low + 1))
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for value in values:
        position = axis.to_scale(value)
        index = min(bins - 1, max(0, int((position - lo) / (hi - lo) * bins))) if hi > lo else 0
        counts[index] += 1
    whole = isinstance(dist, _IntRange)
    labels = [f"{axis_label(axis, edges[i], whole)}..{axis_label(axis, edges[i + 1], whole)}" for i in range(bins)]
    return [Bin(label, count) for label, count in zip(labels, counts, strict=True)]


def axis_label(axis: Any, position: float, whole: bool = False) -> str:
    """The value at ``position`` on ``axis``'s scale, as an axis label: ``0.001``, ``0.999``, ``64``."""
    value = axis.from_scale(position)
    if whole:
        return str(round(value))
    if axis.scale == "reverse_log":
        # 0.99, 0.999: as many digits as it takes to tell the 9s apart.
        digits = max(1, math.ceil(position + 1e-9) + 1)
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value < 1 else "1"
    return short(value)


def histogram_lines(bins: list[Bin], width: int = 24) -> list[str]:
    """The histogram as text, one bar of ``█`` per bin with its label and count (readable without colour)."""
    if not bins:
        return []
    most = max(b.count for b in bins) or 1
    label_width = max(len(b.label) for b in bins)
    lines = []
    for b in bins:
        bar = "█" * round(b.count / most * width) if b.count else ""
        lines.append(f"{b.label:>{label_width}} {bar}{' ' if bar else ''}{b.count}")
    return lines
