"""The plain arithmetic behind the charts: series, markers, downsampling, y ranges, clipping and ticks.

No Textual and no plotext here: :mod:`tuitrain.ui.widgets.charts` draws what these functions work out,
and :mod:`tuitrain.ui.live_run` computes :class:`ChartMarkers` without importing a widget.

plotext cannot draw NaN, infinities or numbers near the float limit (its tick code raises), so such
points are left out of the drawing (:func:`plottable`) and reported instead; long histories are reduced
to the min and max of each column's worth of epochs (:func:`downsample`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

PLOTTABLE_LIMIT = 1e100
"""Values beyond this magnitude are treated like infinities: plotext's axis code overflows on them."""


@dataclass(frozen=True)
class ChartMarkers:
    """Epochs the analysis marks on a chart (1-based; None = no marker).

    ``would_stop`` says the stop is hypothetical (early stopping was off), so its label reads
    "would stop". ``overfitting_from`` starts the marked region, which runs to the last epoch.
    """

    best_epoch: int | None = None
    stop_epoch: int | None = None
    would_stop: bool = False
    kept_epoch: int | None = None
    overfitting_from: int | None = None


@dataclass(frozen=True)
class Series:
    """One curve: its key (log name or run name), legend label, values by epoch (None = missing)."""

    key: str
    label: str
    values: tuple[float | None, ...]

    @cached_property
    def first_bad_epoch(self) -> int | None:
        """The first epoch whose value is NaN, infinite or beyond :data:`PLOTTABLE_LIMIT` (None if none)."""
        for epoch, value in enumerate(self.values, start=1):
            if value is not None and not plottable(value):
                return epoch
        return None


def plottable(value: float | None) -> bool:
    """True for a value plotext can draw: a finite number within :data:`PLOTTABLE_LIMIT`."""
    return value is not None and math.isfinite(value) and abs(value) < PLOTTABLE_LIMIT


def same_series(old: Series | None, new: Series) -> bool:
    """Equal, with NaN equal to NaN (a diverged run re-sent unchanged is no change)."""
    if old is None or old.key != new.key or old.label != new.label or len(old.values) != len(new.values):
        return False
    return all(
        a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))
        for a, b in zip(old.values, new.values, strict=True)
    )


def as_values(values: Iterable[float | None]) -> tuple[float | None, ...]:
    """``values`` as floats, with None (and anything that is not a number) for a missing epoch."""
    out: list[float | None] = []
    for value in values:
        try:
            out.append(None if value is None else float(value))
        except (TypeError, ValueError):
            out.append(None)  # not a number at all: treat as missing
    return tuple(out)


def downsample(xs: Sequence[float], ys: Sequence[float], target: int) -> tuple[list[float], list[float]]:
    """At most about ``2 * target`` points: each bucket of epochs keeps its lowest and highest point.

    The first and last points are always kept, so the curve's ends and every spike stay visible.
    """
    n = len(xs)
    if n <= 2 * max(target, 1):
        return list(xs), list(ys)
    size = math.ceil(n / target)
    out_x: list[float] = []
    out_y: list[float] = []
    for start in range(0, n, size):
        stop = min(start + size, n)
        lo = min(range(start, stop), key=ys.__getitem__)
        hi = max(range(start, stop), key=ys.__getitem__)
        for i in sorted({lo, hi}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    if out_x[0] != xs[0]:
        out_x.insert(0, xs[0])
        out_y.insert(0, ys[0])
    if out_x[-1] != xs[-1]:
        out_x.append(xs[-1])
        out_y.append(ys[-1])
    return out_x, out_y


FOCUS_MIN_POINTS = 16
"""Fewer values than this are always drawn whole: there is nothing to zoom past."""
FOCUS_QUANTILE = 0.05
"""The share of values at each end that may fall outside a focused chart (TensorBoard's "ignore outliers")."""


def focus_range(values: Sequence[float]) -> tuple[float, float] | None:
    """A y range that leaves out the most extreme values, or None when drawing everything is as good.

    The first epochs' loss is often several times anything after it, which flattens the part that
    matters (validation loss turning up by 30% near the bottom). Like TensorBoard's "ignore outliers
    in chart scaling", the range runs from the 5th to the 95th percentile of all plotted values (plus
    a margin); curves leave the chart at its edge. Used only when it is at most 70% of the full range.
    """
    if len(values) < FOCUS_MIN_POINTS:
        return None
    ordered = sorted(values)
    last = len(ordered) - 1
    lo_q, hi_q = ordered[round(last * FOCUS_QUANTILE)], ordered[round(last * (1 - FOCUS_QUANTILE))]
    full = ordered[-1] - ordered[0]
    if hi_q <= lo_q or (hi_q - lo_q) > 0.7 * full:
        return None
    margin = (hi_q - lo_q) * 0.1
    return max(ordered[0], lo_q - margin), min(ordered[-1], hi_q + margin)


OFF_CHART_SPANS = 8.0
"""How far outside the visible y range a point is drawn: at most this many chart heights beyond it."""


def clip_off_chart(ys: Sequence[float], bottom: float, top: float) -> list[float]:
    """``ys`` with values far outside ``[bottom, top]`` pulled in to :data:`OFF_CHART_SPANS` heights beyond it.

    plotext draws a line between two points through every pixel row between them, visible or not: one
    outlier a million chart heights off (a first epoch's loss of 2e8 on a chart zoomed to 0..50) made it
    build lists of millions of points and ran the dashboard out of memory. Clipped this far out, a line to
    the outlier still leaves the chart at the same place, nearly as steeply.
    """
    span = (top - bottom) * OFF_CHART_SPANS
    low, high = bottom - span, top + span
    return [min(max(y, low), high) for y in ys]


def nice_ticks(lo: float, hi: float, most: int) -> list[float]:
    """Round tick positions (1, 2 or 5 times a power of ten apart) covering [lo, hi], at most ``most``."""
    most = max(most, 2)
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    raw = span / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    # Multiples of the step, rounded to its precision so labels read 0.6, not 0.6000000000000001.
    digits = max(0, 1 - math.floor(math.log10(step)))
    ticks = [round(i * step, digits) + 0.0 for i in range(first, last + 1)]
    return ticks[: most + 1] or [lo]


def epoch_ticks(last: int, most: int) -> list[int]:
    """Whole-epoch ticks from 1 to ``last``: every epoch when they fit, else round steps (1, 2, 5, 10, ...)."""
    if last <= 1:
        return [1]
    most = max(most, 2)
    step = 1
    for power in range(12):
        candidates = [m * 10**power for m in (1, 2, 5)]
        fitting = [c for c in candidates if last / c <= most - 1]
        if fitting:
            step = fitting[0]
            break
    ticks = [1, *range(step, last + 1, step)] if step > 1 else list(range(1, last + 1))
    ticks = sorted(set(ticks))
    # Drop a tick crowding 1 (e.g. 1 and 2 with a step of 2 on a narrow axis) but keep the last epoch visible.
    if step > 1 and len(ticks) > 1 and ticks[1] - 1 < step / 2:
        ticks.pop(1)
    return ticks
