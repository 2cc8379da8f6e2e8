"""Reading a learning-rate range test: the four regimes along the rate axis, and a rate to use.

The range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017; the "LR finder"
of fastai) trains for a few hundred batches while the learning rate rises exponentially, and records
each batch's loss. Smoothed, the curve shows the classic regimes from left to right:

* too small: the loss barely moves (the first :data:`MOVE_SHARE` of its whole fall is not done yet);
* good: it falls fast, down to its lowest point;
* too large but converging: past the lowest point it climbs back, bouncing, though still below where
  it started (a run at such a rate still learns, wastefully);
* divergent: the loss blows up: back above where it started, or :data:`BLOW_UP_FACTOR` times its
  lowest (where the range test stops), or no longer a number.

The suggestion: the rate where the smoothed loss falls fastest per factor of rate (its steepest
descent, measured on the log axis over a window of :data:`SLOPE_WINDOW` of the points), unless that
lies above a tenth of the rate of the lowest loss, the classic safe choice; then the safe choice. Both
are reported with where they come from.

The whole curve is read at once, so it is smoothed with a centered moving average (each point the mean
of the batch losses :data:`HALF_WINDOW` of the points either side): it has no lag. The moving average
the test records as it runs (and stops by) can only look back, and lags: with fastai's weight 0.98 over
300 batches spread across 8 decades of rate, its lowest point came 1.3 decades late on digits.

Pure Python: the trainer, the CLI and the dashboard read the same curve the same way.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from tuitrain.analysis._numbers import fmt
from tuitrain.analysis.lr_regime import LrRegime

HALF_WINDOW = 0.04
"""The centered average spans this share of the points on each side (at least 2)."""
MOVE_SHARE = 0.1
"""The 'too small' regime ends where the smoothed loss has done this share of its whole fall."""
SAFE_DIVISOR = 10.0
"""The safe rate is the rate of the lowest smoothed loss divided by this."""
SLOPE_WINDOW = 0.05
"""The steepest descent is measured over this share of the points (at least 1 on each side)."""
MIN_POINTS = 10
"""Fewer finite points than this are too few to read."""
START_SHARE = 0.05
"""The starting loss is the mean of the first this share of the batch losses (at least 3)."""
MIN_FALL = 0.05
"""A smoothed loss that never falls this share below its start shows no good regime."""
BLOW_UP_FACTOR = 4.0
"""The divergent regime starts where the smoothed loss is this many times its lowest (or above its
start, if that comes first); the range test stops there too (its ``stop_factor``)."""

REGIME_WORDS: dict[LrRegime, str] = {
    "too_small": "too small",
    "good": "good",
    "too_big": "too large but converging",
    "diverging": "divergent",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class RegimeSpan:
    """One regime's stretch of learning rates, ``low`` to ``high`` (``high`` None: to the end and beyond)."""

    regime: LrRegime
    low: float
    high: float | None
    sentence: str


@dataclass(frozen=True)
class LrSuggestion:
    """The rate to use, the two candidates it was chosen from, and one sentence on where it comes from."""

    learning_rate: float
    steepest: float | None
    safe: float
    lowest_loss_rate: float
    source: str


@dataclass(frozen=True)
class LrFinderReport:
    """What a range test shows: the smoothed curve, the regimes, and a suggestion (None: why not)."""

    learning_rates: list[float]
    losses: list[float]
    smoothed: list[float]
    regimes: list[RegimeSpan]
    suggestion: LrSuggestion | None
    problem: str | None = None

    def lines(self) -> list[str]:
        """The report in sentences: the suggestion (or why there is none), then each regime."""
        head = [self.suggestion.source] if self.suggestion else [self.problem or "no suggestion"]
        return head + [span.sentence for span in self.regimes]


def analyze_lr_range(
    learning_rates: Sequence[float],
    losses: Sequence[float],
    *,
    blow_up_factor: float = BLOW_UP_FACTOR,
) -> LrFinderReport:
    """Read a range test: ``losses[i]`` is the loss of the batch trained at ``learning_rates[i]``.

    The rates must rise. The curve is cut at its first non-finite loss (the divergent end).
    ``blow_up_factor`` is the test's own stop rule (its ``stop_factor``).
    """
    rates = [float(r) for r in learning_rates]
    values = [float(v) for v in losses]
    if len(rates) != len(values):
        raise ValueError(f"{len(rates)} learning rates but {len(values)} losses")
    if any(r <= 0 or not math.isfinite(r) for r in rates):
        raise ValueError("learning rates must be positive numbers")
    if any(b < a for a, b in itertools.pairwise(rates)):
        raise ValueError("learning rates must rise from batch to batch")
    cut = next((i for i, v in enumerate(values) if not math.isfinite(v)), len(values))
    rates_ok, values_ok = rates[:cut], values[:cut]
    smoothed = centered_average(values_ok)
    if len(values_ok) < MIN_POINTS:
        problem = (
            f"only {len(values_ok)} batches before the loss stopped being a number: start lower "
            "(--min-lr) or run more steps"
            if cut < len(values)
            else f"only {len(values_ok)} batches: run at least {MIN_POINTS} steps"
        )
        return LrFinderReport(rates, values, smoothed, [], None, problem)

    head = values_ok[: max(3, int(START_SHARE * len(values_ok)))]
    start = sum(head) / len(head)
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__)
    fall = start - smoothed[lowest]
    diverged_at = rates[cut] if cut < len(rates) else None
    if fall <= MIN_FALL * abs(start):
        problem = (
            f"the smoothed loss never fell more than {MIN_FALL:.0%} below its start ({fmt(start)}) between "
            f"{fmt(rates_ok[0])} and {fmt(rates_ok[-1])}: no good learning rate in this range (scale the "
            "inputs, or test a wider range)"
        )
        sentence = f"{fmt(rates_ok[0])} to {fmt(rates_ok[-1])}: the loss barely moves"
        spans = [RegimeSpan("too_small", rates_ok[0], rates_ok[-1], sentence)]
        return LrFinderReport(rates, values, smoothed, spans, None, problem)

    moved = next(i for i in range(lowest + 1) if smoothed[i] <= start - MOVE_SHARE * fall)
    # Blowing up: back above the start, or as far above the lowest point as the test's stop rule.
    ceiling = min(start, blow_up_factor * smoothed[lowest])
    back_up = next((i for i in range(lowest, len(smoothed)) if smoothed[i] >= ceiling), None)
    steepest = _steepest(rates_ok, smoothed, moved, lowest)
    spans = _spans(rates_ok, smoothed, ceiling, moved, lowest, back_up, diverged_at, steepest)
    safe = rates_ok[lowest] / SAFE_DIVISOR
    return LrFinderReport(rates, values, smoothed, spans, _suggest(steepest, safe, rates_ok[lowest]))


def centered_average(values: Sequence[float], half_window: float = HALF_WINDOW) -> list[float]:
    """Each point replaced by the mean of the points ``half_window`` of the series either side of it
    (fewer at the ends): a smoothing without lag, for a curve that is complete."""
    n = len(values)
    k = max(2, round(half_window * n))
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    out = []
    for i in range(n):
        a, b = max(0, i - k), min(n, i + k + 1)
        out.append((sums[b] - sums[a]) / (b - a))
    return out


def _steepest(rates: list[float], smoothed: list[float], first: int, last: int) -> float | None:
    """The rate between points ``first`` and ``last`` where the smoothed loss falls fastest per log-rate."""
    k = max(1, int(SLOPE_WINDOW * len(rates)))
    best: tuple[float, int] | None = None
    for i in range(max(first, k), min(last, len(rates) - 1 - k) + 1):
        run = math.log(rates[i + k]) - math.log(rates[i - k])
        if run <= 0:
            continue
        slope = (smoothed[i + k] - smoothed[i - k]) / run
        if best is None or slope < best[0]:
            best = (slope, i)
    if best is None or best[0] >= 0:
        return None
    return rates[best[1]]


def _suggest(steepest: float | None, safe: float, lowest_rate: float) -> LrSuggestion:
    where_lowest = f"a tenth of {fmt(lowest_rate)}, where the smoothed loss is lowest"
    if steepest is not None and steepest <= safe:
        source = (
            f"suggested learning rate {fmt(steepest)}: where the smoothed loss falls fastest (its steepest "
            f"descent); the safe value is {fmt(safe)}, {where_lowest}"
        )
        return LrSuggestion(steepest, steepest, safe, lowest_rate, source)
    steep = (
        f"; the loss falls fastest at {fmt(steepest)}, less than a decade below that lowest point: too near the edge"
        if steepest is not None
        else ""
    )
    source = f"suggested learning rate {fmt(safe)}: the safe value, {where_lowest}{steep}"
    return LrSuggestion(safe, steepest, safe, lowest_rate, source)


def _spans(
    rates: list[float],
    smoothed: list[float],
    ceiling: float,
    moved: int,
    lowest: int,
    back_up: int | None,
    diverged_at: float | None,
    steepest: float | None,
) -> list[RegimeSpan]:
    spans: list[RegimeSpan] = []
    if moved > 0:
        spans.append(
            RegimeSpan(
                "too_small",
                rates[0],
                rates[moved],
                f"{fmt(rates[0])} to {fmt(rates[moved])}: too small, the loss barely moves",
            )
        )
    fastest = f", fastest at {fmt(steepest)}" if steepest is not None else ""
    spans.append(
        RegimeSpan(
            "good",
            rates[moved],
            rates[lowest],
            f"{fmt(rates[moved])} to {fmt(rates[lowest])}: good, the loss falls fast{fastest}, down to its "
            f"lowest ({fmt(smoothed[lowest])})",
        )
    )
    end = rates[back_up] if back_up is not None else diverged_at
    if end is None or end > rates[lowest]:
        spans.append(
            RegimeSpan(
                "too_big",
                rates[lowest],
                end,
                f"{fmt(rates[lowest])} to {fmt(end) if end is not None else fmt(rates[-1]) + ' (the end of the test)'}"
                ": too large but converging, the loss climbs back from its lowest, bouncing",
            )
        )
    if end is not None:
        why = f"up at {fmt(ceiling)}" if back_up is not None else "no longer a number"
        spans.append(RegimeSpan("diverging", end, None, f"from {fmt(end)}: divergent, the loss is {why} and blows up"))
    return spans
