"""A learning-rate range test drawn on a plotext plot: loss against rate on a log axis, regimes marked.

The same drawing serves the CLI (plotext itself, printed as text) and the dashboard (a
``textual_plotext.PlotextPlot``'s ``plt``, which has plotext's interface): :func:`draw_lr_curve` takes
either. Without colour each regime still reads apart by its marker (``-`` too small, ``*`` good,
``~`` too large, ``x`` divergent) and the legend says which is which; the batch losses are dots and
the suggestion a vertical line.
"""

from __future__ import annotations

import math
from typing import Any

from tuitrain.analysis.lr_finder import REGIME_WORDS, LrFinderReport

REGIME_MARKERS = {"too_small": "-", "good": "*", "too_big": "~", "diverging": "x", "unknown": "?"}
REGIME_COLORS = {"too_small": "blue", "good": "green", "too_big": "orange", "diverging": "red", "unknown": "gray"}
LOSS_CLIP = 3.0
"""Batch losses above this many times the starting smoothed loss are drawn at that height (a blown-up
loss would flatten the rest of the chart)."""


def draw_lr_curve(plt: Any, report: LrFinderReport, *, color: bool = True) -> None:
    """Draw ``report`` on ``plt`` (plotext, or a PlotextPlot's ``plt``); the caller sizes and shows it."""
    plt.clear_data()
    plt.title(None)  # clear_data keeps an earlier drawing's title (a suggestion the report no longer has)
    finite = len(report.smoothed)
    rates = report.learning_rates[:finite]
    if not rates:
        # A log axis over no data breaks plotext's drawing (a test that failed before its first batch).
        plt.xscale("linear")
        plt.title("no batches recorded yet")
        return
    plt.xscale("log")
    top = LOSS_CLIP * max(report.smoothed[0], 1e-12)
    plt.scatter(rates, [min(v, top) for v in report.losses[:finite]], marker="·", **_color(color, "gray"))
    for span in report.regimes:
        points = [
            (r, s)
            for r, s in zip(rates, report.smoothed, strict=True)
            if r >= span.low and (span.high is None or r <= span.high)
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            plt.plot(
                list(xs),
                list(ys),
                marker=REGIME_MARKERS[span.regime],
                label=REGIME_WORDS[span.regime],
                **_color(color, REGIME_COLORS[span.regime]),
            )
    if report.suggestion is not None:
        plt.vline(report.suggestion.learning_rate, **_color(color, "green"))
        plt.title(f"suggested learning rate {report.suggestion.learning_rate:.3g} (the vertical line)")
    ticks = _decades(rates[0], rates[-1])
    plt.xticks(ticks, [f"{t:.0e}".replace("e-0", "e-").replace("e+0", "e") for t in ticks])
    plt.xlabel("learning rate (log scale)")
    plt.ylabel("loss")


def _decades(low: float, high: float) -> list[float]:
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    decades = [10.0**e for e in range(first, last + 1)]
    step = max(1, math.ceil(len(decades) / 6))  # at most ~6 labels: they must fit an 80-column chart
    return decades[::step] or [low, high]


def _color(enabled: bool, name: str) -> dict[str, str]:
    return {"color": name} if enabled else {}


def render_text(report: LrFinderReport, *, width: int = 80, height: int = 20, color: bool = True) -> str:
    """The chart as text for a terminal or a log (plotext itself; colour codes only when ``color``)."""
    import plotext

    plotext.clear_figure()
    plotext.plotsize(width, height)
    plotext.theme("clear")
    draw_lr_curve(plotext, report, color=color)
    text = plotext.build()
    plotext.clear_figure()
    return text if color else plotext.uncolorize(text)
