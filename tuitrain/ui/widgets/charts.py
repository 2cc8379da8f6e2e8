"""The one chart widget of the dashboard: a metric's curves with the analysis markers, or several runs overlaid.

:class:`MetricChart` owns its series and markers. Changes go through :meth:`MetricChart.batch_update`
(or single setters, each its own batch); a change that leaves the data as it was does not bump the
version, and the chart only calls :meth:`MetricChart.replot` (and asks Textual to repaint) when the
version or its size moved since the last drawing.

Everything reads without colour (``NO_COLOR``, monochrome tmux): train and validation curves use
different glyphs, each marker line its own glyph and a word label ("best", "stop"/"would stop",
"kept"), the overfitting region a strip of ``▁`` along the bottom labelled "overfitting", and the
first NaN/infinite value a ``✗`` with its epoch.

plotext cannot draw NaN, infinities or numbers near the float limit (its tick code raises), so those
points are left out of the drawing and reported instead; long histories are reduced to the min and
max of each column's worth of epochs, so a 1,000-epoch run draws as fast as a 100-epoch one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tuitrain.analysis import ema_smooth
from tuitrain.text import printable

PLOTTABLE_LIMIT = 1e100
"""Values beyond this magnitude are treated like infinities: plotext's axis code overflows on them."""

TRAIN_MARKER = "braille"
VAL_MARKER = "•"
# Glyphs of compared runs (and their legend), in order; colours differ too, but glyphs must suffice.
COMPARE_MARKERS: tuple[str, ...] = ("•", "×", "+", "o", "*", "#", "@", "%")
COMPARE_COLORS: tuple[str, ...] = ("cyan", "orange", "green", "magenta", "yellow", "red", "blue", "white")
BEST_GLYPH, STOP_GLYPH, KEPT_GLYPH, BAND_GLYPH, BAD_GLYPH = "│", "┆", "┊", "▁", "✗"
# plotext's braille marker in a legend: a short horizontal stroke of dots.
_LEGEND_GLYPH = {"braille": "⠒"}


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
            if value is not None and not _plottable(value):
                return epoch
        return None


def _plottable(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and abs(value) < PLOTTABLE_LIMIT


def _same_series(old: Series | None, new: Series) -> bool:
    """Equal, with NaN equal to NaN (a diverged run re-sent unchanged is no change)."""
    if old is None or old.key != new.key or old.label != new.label or len(old.values) != len(new.values):
        return False
    return all(
        a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))
        for a, b in zip(old.values, new.values, strict=True)
    )


def _as_values(values: Iterable[float | None]) -> tuple[float | None, ...]:
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


def fmt_tick(value: float) -> str:
    """A short y-axis label: 3 significant digits, scientific notation only when needed."""
    if value == 0:
        return "0"
    return f"{value:.3g}"


class MetricChart(PlotextPlot):
    """A plotext chart of one metric (train and validation) with the analysis markers.

    ``metric`` is the Keras log name without ``val_`` ("loss", "accuracy", ...); ``learning_rate``
    draws a single series. With ``compare=True`` the chart overlays several runs' validation curves
    (one :meth:`set_series` per run, keyed by run name) with a legend, and draws no markers.
    """

    DEFAULT_CSS = """
    MetricChart {
        width: 1fr;
        height: 1fr;
        min-height: 5;
        min-width: 20;
    }
    """

    def __init__(
        self,
        metric: str,
        *,
        title: str | None = None,
        compare: bool = False,
        smoothing: float = 0.6,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # plotext's "clear" theme leaves background and text colour to the terminal, so the chart takes
        # the widget's own (any Textual theme, NO_COLOR) and plotext emits a third of the escape codes
        # that Rich then has to decode: the whole redraw is about twice as fast as with "auto".
        self.theme = "clear"
        self.metric = metric
        self.title = printable(title or metric.replace("_", " "))
        self.compare = compare
        self.smoothing = smoothing
        self._series: dict[str, Series] = {}
        self._markers = ChartMarkers()
        self._smoothed = False
        self._focused = True
        self._version = 0
        self._batch_depth = 0
        self._batch_changed = False
        self._drawn: tuple[int, int, int] | None = None  # (version, width, height) of the last replot
        self._zoomed = False
        self._picture: tuple[tuple[object, ...], RenderResult] | None = None
        self.build_count = 0
        """How many times plotext built the picture (for tests: no rebuild without a change)."""
        self.replot_count = 0
        """How many times the plot was rebuilt (for tests: no rebuild without a change)."""
        self.error: str | None = None
        """Why the last drawing failed (plotext raised), or None."""

    # ------------------------------------------------------------------ state

    @property
    def version(self) -> int:
        """Bumped by every change of data, markers or mode; unchanged by a no-op update."""
        return self._version

    @property
    def series(self) -> Mapping[str, Series]:
        """The curves by key, in drawing order."""
        return dict(self._series)

    @property
    def markers(self) -> ChartMarkers:
        """The markers drawn (ignored on a compare chart)."""
        return self._markers

    @property
    def smoothed(self) -> bool:
        """True when curves are drawn smoothed (TensorBoard's moving average), False for raw values."""
        return self._smoothed

    @smoothed.setter
    def smoothed(self, value: bool) -> None:
        if value != self._smoothed:
            self._smoothed = value
            self._changed()

    @property
    def focused(self) -> bool:
        """True when the y range leaves out outliers (see :func:`focus_range`), False to show every value."""
        return self._focused

    @focused.setter
    def focused(self, value: bool) -> None:
        if value != self._focused:
            self._focused = value
            self._changed()

    @property
    def zoomed(self) -> bool:
        """True when the last drawing actually left values outside the y range."""
        return self._zoomed

    @property
    def epochs(self) -> int:
        """The longest series' length."""
        return max((len(s.values) for s in self._series.values()), default=0)

    @property
    def first_bad_epoch(self) -> int | None:
        """The earliest epoch at which a curve became NaN/infinite (a diverged run), or None."""
        bad = [e for s in self._series.values() if (e := s.first_bad_epoch) is not None]
        return min(bad, default=None)

    @contextmanager
    def batch_update(self) -> Iterator[None]:
        """Apply several changes with at most one repaint at the end (nested batches are fine)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._batch_changed:
                self._batch_changed = False
                self.refresh()

    def _changed(self) -> None:
        self._version += 1
        if self._batch_depth:
            self._batch_changed = True
        else:
            self.refresh()

    def set_metric(self, metric: str, title: str | None = None) -> None:
        """Show another metric: drops the curves and markers of the old one (a no-op for the same metric)."""
        title = printable(title or metric.replace("_", " "))
        if metric == self.metric and title == self.title:
            return
        self.metric, self.title = metric, title
        self._series.clear()
        self._markers = ChartMarkers()
        self._changed()

    def set_series(self, key: str, values: Iterable[float | None], label: str | None = None) -> None:
        """Replace (or add) the curve ``key``; None stands for a missing epoch."""
        # plotext's picture is read back as ANSI: a label from a file must carry no escape sequence.
        series = Series(key, printable(label or key), _as_values(values))
        if not _same_series(self._series.get(key), series):
            self._series[key] = series
            self._changed()

    def extend_series(self, key: str, values: Iterable[float | None], label: str | None = None) -> None:
        """Append epochs to the curve ``key`` (creating it if new)."""
        extra = _as_values(values)
        old = self._series.get(key)
        if not extra and old is not None:
            return
        base = old.values if old is not None else ()
        self._series[key] = Series(key, printable(label or (old.label if old else key)), base + extra)
        self._changed()

    def remove_series(self, key: str) -> None:
        """Drop the curve ``key`` if it is there."""
        if self._series.pop(key, None) is not None:
            self._changed()

    def clear(self) -> None:
        """Drop every curve and marker."""
        if self._series or self._markers != ChartMarkers():
            self._series.clear()
            self._markers = ChartMarkers()
            self._changed()

    def set_markers(self, markers: ChartMarkers) -> None:
        """Set the analysis markers (a no-op when they are the same)."""
        if markers != self._markers:
            self._markers = markers
            self._changed()

    # ------------------------------------------------------------------ drawing

    def render(self) -> RenderResult:
        """Rebuild the plot when the data or the size changed since the last drawing, then draw it."""
        key = (self._version, self.size.width, self.size.height)
        if key != self._drawn:
            self._drawn = key
            self.replot()
        if self.error is not None:
            return Text(f"{self.title}: cannot draw this chart ({self.error})", no_wrap=False)
        # plotext's build costs ~10 ms for a 100x47 chart; Textual also re-renders for reasons that
        # change nothing drawn (a notice over the chart, the screen coming back), so reuse the picture.
        picture_key = (*key, self.app.theme)
        if self._picture is not None and self._picture[0] == picture_key:
            return self._picture[1]
        try:
            picture = super().render()
        except (ArithmeticError, ValueError, IndexError) as exc:
            # plotext has edge cases of its own; one bad frame must not take the dashboard down.
            self.error = f"{type(exc).__name__}: {exc}"
            return Text(f"{self.title}: cannot draw this chart ({self.error})", no_wrap=False)
        self._picture = (picture_key, picture)
        self.build_count += 1
        return picture

    def replot(self) -> None:
        """Clear the plotext figure and draw the current series and markers for the widget's size."""
        self.replot_count += 1
        self.error = None
        plt = self.plt
        plt.clear_data()
        width, height = max(self.size.width, 20), max(self.size.height, 5)
        curves = self._curves()
        last = max(self.epochs, 1)
        finite = [y for _, ys, _, _ in curves for y in ys]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        focus = focus_range(finite) if self._focused else None
        self._zoomed = focus is not None
        if focus is not None:
            lo, hi = focus
        if hi - lo <= abs(hi) * 1e-9:
            pad = abs(hi) * 0.05 or 0.5
            lo, hi = lo - pad, hi + pad
        # Rows above the curves for the marker labels, one below them for the overfitting strip, so
        # neither is ever drawn over by a curve.
        labels = [] if self.compare else self.marker_labels()
        band = None if self.compare else self._band(last)
        head = min(len(labels), 2) or 0.5
        foot = 1.0 if band is not None or self.first_bad_epoch is not None else 0.0
        rows = max(height - 4, 2)
        unit = (hi - lo) / max(rows - head - foot, 1.0)
        top, bottom = hi + head * unit, lo - foot * unit
        x_right = max(last, 2)
        plt.xlim(1, x_right)
        plt.ylim(bottom, top)
        plt.xticks(epoch_ticks(last, max(2, width // 7)))
        yticks = nice_ticks(lo, hi, max(2, (height - 4) // 2))
        plt.yticks(yticks, [fmt_tick(t) for t in yticks])
        plt.title(self._title_text(curves, width))

        if not self.compare:
            self._draw_marker_lines(lo, hi)
        for xs, ys, marker, color in curves:
            if xs:
                plt.plot(xs, clip_off_chart(ys, bottom, top), marker=marker, color=color)
        for i, (epoch, label) in enumerate(labels):
            # Alternate rows, so labels of nearby epochs do not overwrite each other.
            align = "right" if epoch > (1 + x_right) / 2 else "left"
            plt.text(label, epoch, top - unit * (i % 2), alignment=align)
        strip_y = bottom + unit * 0.25
        if band is not None:
            start, end = band
            plt.plot([start, end], [strip_y, strip_y], marker=BAND_GLYPH, color="red")
            plt.text(" overfitting ", (start + end) / 2, strip_y, alignment="center", color="red")
        bad = self.first_bad_epoch
        if bad is not None:
            align = "right" if bad > (1 + x_right) / 2 else "left"
            plt.text(f"{BAD_GLYPH}NaN {bad}", min(bad, x_right), strip_y, alignment=align)
        if not finite:
            plt.text("no values yet", (1 + x_right) / 2, (lo + hi) / 2, alignment="center")

    def _band(self, last: int) -> tuple[float, float] | None:
        """(first, last) epoch of the overfitting region, or None."""
        start = self._markers.overfitting_from
        if start is None or start > last:
            return None
        return float(start), float(max(last, start))

    def _curves(self) -> list[tuple[list[float], list[float], str, str | None]]:
        """(xs, ys, marker, colour) of each series: smoothed if asked, unplottable points removed, downsampled."""
        # About one point per column: braille has two dots a column, but plotext's cost grows with points.
        target = max(self.size.width // 2, 10)
        curves = []
        for index, series in enumerate(self._series.values()):
            values = self._smooth(series.values) if self._smoothed else series.values
            points = [(float(i), v) for i, v in enumerate(values, start=1) if _plottable(v)]
            xs, ys = downsample([x for x, _ in points], [y for _, y in points], target)  # type: ignore[misc]
            marker, color = self._style(index, series)
            curves.append((xs, ys, marker, color))
        return curves

    def _smooth(self, values: Sequence[float | None]) -> list[float]:
        # ema_smooth passes NaN through and leaves it out of the average: missing and unplottable
        # epochs stay gaps and do not poison the epochs after them.
        plottable = [v if _plottable(v) else math.nan for v in values]
        return ema_smooth(plottable, self.smoothing)  # type: ignore[arg-type]

    def _style(self, index: int, series: Series) -> tuple[str, str | None]:
        if self.compare:
            return COMPARE_MARKERS[index % len(COMPARE_MARKERS)], COMPARE_COLORS[index % len(COMPARE_COLORS)]
        if series.key.startswith("val_"):
            return VAL_MARKER, "orange"
        return TRAIN_MARKER, "cyan"

    def _title_text(self, curves: list[tuple[list[float], list[float], str, str | None]], width: int) -> str:
        """The chart title with its legend; parts that do not fit the width are left off, the legend last."""
        legend = []
        for (_, _, marker, _), series in zip(curves, self._series.values(), strict=True):
            glyph = _LEGEND_GLYPH.get(marker, marker)
            legend.append(f"{glyph} {self._label(series)}")
        head = self.title + (" (smoothed)" if self._smoothed else "")
        parts = [head, *legend]
        text = parts[0]
        for part in parts[1:]:
            if len(text) + 2 + len(part) > width - 2:
                break
            text = f"{text}  {part}"
        return text

    def _label(self, series: Series) -> str:
        if self.compare:
            return series.label
        if series.key.startswith("val_"):
            return "val"
        if series.key == self.metric:
            return "train"
        return series.label

    def _draw_marker_lines(self, lo: float, hi: float) -> None:
        # Lines are drawn as data (before the curves, so curves stay on top): plotext's own vertical_line
        # belongs to the frame layer, which any data drawn later hides.
        for epoch, glyph, color in self._marker_epochs():
            self.plt.plot([epoch, epoch], [lo, hi], marker=glyph, color=color)

    def _marker_epochs(self) -> list[tuple[int, str, str]]:
        m = self._markers
        out = []
        if m.best_epoch is not None:
            out.append((m.best_epoch, BEST_GLYPH, "green"))
        if m.stop_epoch is not None:
            out.append((m.stop_epoch, STOP_GLYPH, "yellow"))
        if m.kept_epoch is not None and m.kept_epoch not in (m.best_epoch, m.stop_epoch):
            out.append((m.kept_epoch, KEPT_GLYPH, "green"))
        return out

    def marker_labels(self) -> list[tuple[int, str]]:
        """(epoch, label) of every marker line, labels merged where markers share an epoch."""
        m = self._markers
        words: dict[int, list[str]] = {}
        if m.best_epoch is not None:
            words.setdefault(m.best_epoch, []).append("best")
        if m.stop_epoch is not None:
            words.setdefault(m.stop_epoch, []).append("would stop" if m.would_stop else "stop")
        if m.kept_epoch is not None:
            words.setdefault(m.kept_epoch, []).append("kept")
        return [(epoch, "/".join(parts) + f" {epoch}") for epoch, parts in sorted(words.items())]
