"""The sweep screen's charts: the objective against a searched parameter, and trials' curves overlaid.

Both are :class:`~tuitrain.ui.widgets.charts.Chart` subclasses, so they redraw only when what they show
changed (or their size did), and measure what their last build cost (:attr:`MeteredChart.build_seconds`),
which the screen's :class:`~tuitrain.ui.redraw_pacer.RedrawPacer` paces them by. What they draw is
worked out in :mod:`tuitrain.ui.sweep_view`; every group of points and every dimmed curve has its own
glyph, so the charts read without colour.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from textual.geometry import Region
from textual.strip import Strip

from tuitrain.formatting import short
from tuitrain.text import printable
from tuitrain.ui.chart_math import Series, clip_off_chart, focus_range, nice_ticks
from tuitrain.ui.sweep_view import ScatterData
from tuitrain.ui.widgets.charts import COMPARE_COLORS, COMPARE_MARKERS, Chart

POINT_STYLE: dict[str, tuple[str, str, str]] = {
    # group -> (plotext marker, colour, legend word)
    "pruned": ("·", "gray", "pruned"),
    "trial": ("•", "cyan", "trial"),
    "running": ("+", "orange", "training"),
    "best": ("★", "green", "best"),
}
DIM_MARKER, DIM_COLOR = "·", "gray"


class MeteredChart(Chart):
    """A chart that measures the CPU time of its last build: plotext's matrix and the strips made of it.

    ``cpu_clock`` is the UI thread's CPU clock (tests replace it to make builds look cheap or dear).
    """

    cpu_clock: Callable[[], float] = staticmethod(time.thread_time)
    build_seconds = 0.0
    """CPU seconds the last paint that rebuilt the chart took (0.0 before the first)."""

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint the chart; when this paint rebuilt it, note what that cost."""
        builds, start = self.build_count, self.cpu_clock()
        lines = super().render_lines(crop)
        if self.build_count != builds:
            self.build_seconds = self.cpu_clock() - start
        return lines


class ScatterChart(MeteredChart):
    """The objective of every trial against one searched parameter, on that parameter's own scale."""

    _data: ScatterData | None = None

    @property
    def data(self) -> ScatterData | None:
        """What is drawn."""
        return self._data

    def set_data(self, data: ScatterData) -> None:
        """Show ``data`` (a no-op when it is what is drawn)."""
        if data != self._data:
            self._data = data
            self._changed()

    def _has_data(self) -> bool:
        return self._data is not None

    def _drop_data(self) -> None:
        self._data = None

    def replot(self) -> None:
        """Clear the plotext figure and draw the points, with the x axis labelled in the parameter's values."""
        self.replot_count += 1
        self.error = None
        plt = self.plt
        plt.clear_data()
        width, height = max(self.size.width, 20), max(self.size.height, 5)
        data = self._data
        if data is None or not data.count:
            plt.title(self.title)
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            plt.xticks([])
            plt.yticks([])
            plt.text("no trial with an objective yet", 0.5, 0.5, alignment="center")
            return
        ys = [y for pts in data.points.values() for _, y in pts]
        lo, hi = min(ys), max(ys)
        focus = focus_range(ys) if self._focused else None
        self._zoomed = focus is not None
        if focus is not None:
            lo, hi = focus
        if hi - lo <= abs(hi) * 1e-9:
            pad = abs(hi) * 0.05 or 0.5
            lo, hi = lo - pad, hi + pad
        x_lo, x_hi = data.x_range
        margin = (x_hi - x_lo) * 0.03 or 0.5
        plt.xlim(x_lo - margin, x_hi + margin)
        plt.ylim(lo, hi)
        ticks = [t for t in data.xticks if x_lo - margin <= t[0] <= x_hi + margin]
        # Names from sweep.json are made printable first, so an escape sequence in them is shown, not
        # obeyed; a choice's label is cut to its share of the axis (with a gap), so labels never run together.
        labels = [printable(label) for _, label in ticks]
        if data.scale == "choice" and ticks:
            room = max(3, (width - 8) // len(ticks) - 1)
            labels = [label if len(label) <= room else label[: room - 1] + "…" for label in labels]
        plt.xticks([p for p, _ in ticks], labels)
        yticks = nice_ticks(lo, hi, max(2, (height - 4) // 2))
        plt.yticks(yticks, [short(t) for t in yticks])
        legend = []
        for kind in POINT_STYLE:
            points = data.points.get(kind)
            if not points:
                continue
            marker, color, word = POINT_STYLE[kind]
            xs = [x for x, _ in points]
            plt.scatter(xs, clip_off_chart([y for _, y in points], lo, hi), marker=marker, color=color)
            legend.append(f"{marker} {word}")
        head = printable(f"{data.metric} by {data.param.rsplit('.', 1)[-1]} ({data.scale})")
        text = head
        for part in legend:
            if len(text) + 2 + len(part) > width - 2:
                break
            text = f"{text}  {part}"
        plt.title(text)


class TrialCurves(MeteredChart):
    """Trials' curves of one metric overlaid, one glyph each; dimmed ones (pruned trials) in grey dots."""

    def __init__(self, metric: str, **kwargs: object) -> None:
        super().__init__(metric, **kwargs)  # type: ignore[arg-type]
        self._dimmed: frozenset[str] = frozenset()

    def set_dimmed(self, keys: Iterable[str]) -> None:
        """Draw the series ``keys`` dimmed (a no-op when they already are)."""
        dimmed = frozenset(keys)
        if dimmed != self._dimmed:
            self._dimmed = dimmed
            self._changed()

    @property
    def dimmed(self) -> frozenset[str]:
        """Keys of the series drawn dimmed."""
        return self._dimmed

    def _style(self, index: int, series: Series) -> tuple[str, str | None]:
        if series.key in self._dimmed:
            return DIM_MARKER, DIM_COLOR
        bright = [key for key in self._series if key not in self._dimmed]
        i = bright.index(series.key)
        return COMPARE_MARKERS[i % len(COMPARE_MARKERS)], COMPARE_COLORS[i % len(COMPARE_COLORS)]
