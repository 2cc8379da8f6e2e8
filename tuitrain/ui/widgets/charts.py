"""The dashboard's charts: a metric's curves with the analysis markers, and several runs overlaid.

:class:`Chart` owns its series. Changes go through :meth:`Chart.batch_update` (or single setters, each
its own batch); a change that leaves the data as it was does not bump the version, and the chart only
calls :meth:`Chart.replot` (and asks Textual to repaint) when the version or its size moved since the
last drawing. :class:`MetricChart` adds the markers of one run; :class:`CompareChart` overlays runs.
The arithmetic (downsampling, y range, clipping, ticks) is in :mod:`tuitrain.ui.chart_math`.

Everything reads without colour (``NO_COLOR``, monochrome tmux): train and validation curves use
different glyphs, each marker line its own glyph and a word label ("best", "stop"/"would stop",
"kept"), the overfitting region a strip of ``▁`` along the bottom labelled "overfitting", and the
first NaN/infinite value a ``✗`` with its epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tuitrain.analysis import ema_smooth
from tuitrain.formatting import short
from tuitrain.text import printable
from tuitrain.ui.chart_labels import (
    MarkerLabel,
    PlacedLabel,
    fit_legend,
    marker_label_texts,
    place_labels,
    place_strip_labels,
)
from tuitrain.ui.chart_math import (
    ChartMarkers,
    Series,
    as_values,
    clip_off_chart,
    downsample,
    epoch_ticks,
    focus_range,
    nice_ticks,
    plottable,
    same_series,
)
from tuitrain.ui.plot_strips import PlotStrips, Run, matrix_rows, strips_apply

TRAIN_MARKER = "braille"
VAL_MARKER = "•"
# Glyphs of compared runs (and their legend), in order; colours differ too, but glyphs must suffice.
COMPARE_MARKERS: tuple[str, ...] = ("•", "×", "+", "o", "*", "#", "@", "%")
COMPARE_COLORS: tuple[str, ...] = ("cyan", "orange", "green", "magenta", "yellow", "red", "blue", "white")
BEST_GLYPH, STOP_GLYPH, KEPT_GLYPH, BAND_GLYPH, BAD_GLYPH = "│", "┆", "┊", "▁", "✗"
# The overfitting strip's label, longest first: the longest that fits is drawn.
OVERFIT_FORMS = (" overfitting ", "overfitting", "overfit", "ovf")
# plotext's braille marker in a legend: a short horizontal stroke of dots.
_LEGEND_GLYPH = {"braille": "⠒"}

Curve = tuple[list[float], list[float], str, str | None]
"""(xs, ys, marker, colour) of one drawn series."""


class Chart(PlotextPlot):
    """A plotext chart of curves by epoch (``metric`` is the Keras log name) that redraws only on change.

    Subclasses say how a series looks (:meth:`_style`, :meth:`_label`) and may draw marks of their own
    (:meth:`marker_labels`, :meth:`_band`, :meth:`_draw_marker_lines`); this class draws none.
    """

    DEFAULT_CSS = """
    Chart {
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
        self.smoothing = smoothing
        self._series: dict[str, Series] = {}
        self._smoothed = False
        self._focused = True
        self._version = 0
        self._batch_depth = 0
        self._batch_changed = False
        self._drawn: tuple[int, int, int] | None = None  # (version, width, height) of the last replot
        self._zoomed = False
        self._picture: tuple[tuple[object, ...], list[list[Run]]] | None = None
        self._painter: PlotStrips | None = None
        self._strips: tuple[list[list[Run]], list[Strip] | None] | None = None  # (rows, their strips)
        self.build_count = 0
        """How many times plotext built the picture (for tests: no rebuild without a change)."""
        self.replot_count = 0
        """How many times the plot was rebuilt (for tests: no rebuild without a change)."""
        self.error: str | None = None
        """Why the last drawing failed (plotext raised), or None."""
        self.placed_labels: list[PlacedLabel] = []
        """Where the last drawing put the marker labels (columns of the canvas, for tests)."""
        self.placed_strip: list[PlacedLabel] = []
        """Where the last drawing put the labels along the bottom ("overfitting", the first NaN)."""

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
        """Show another metric: drops what was drawn of the old one (a no-op for the same metric)."""
        title = printable(title or metric.replace("_", " "))
        if metric == self.metric and title == self.title:
            return
        self.metric, self.title = metric, title
        self._drop_data()
        self._changed()

    def set_series(self, key: str, values: Iterable[float | None], label: str | None = None) -> None:
        """Replace (or add) the curve ``key``; None stands for a missing epoch."""
        # plotext's picture is read back as ANSI: a label from a file must carry no escape sequence.
        series = Series(key, printable(label or key), as_values(values))
        if not same_series(self._series.get(key), series):
            self._series[key] = series
            self._changed()

    def extend_series(self, key: str, values: Iterable[float | None], label: str | None = None) -> None:
        """Append epochs to the curve ``key`` (creating it if new)."""
        extra = as_values(values)
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
        """Drop every curve (and mark)."""
        if self._has_data():
            self._drop_data()
            self._changed()

    def _has_data(self) -> bool:
        return bool(self._series)

    def _drop_data(self) -> None:
        self._series.clear()

    # ------------------------------------------------------------------ how subclasses draw

    def _style(self, index: int, series: Series) -> tuple[str, str | None]:
        """(plotext marker, colour) of the ``index``-th series."""
        raise NotImplementedError

    def _label(self, series: Series) -> str:
        """The legend's word for ``series``."""
        return series.label

    def marker_labels(self) -> list[tuple[int, str]]:
        """(epoch, full label) of every marker line."""
        return [(label.epoch, label.full) for label in self._marker_label_texts()]

    def _marker_label_texts(self) -> list[MarkerLabel]:
        """The labels of the marker lines, full and short (none here)."""
        return []

    def _band(self, last: int) -> tuple[float, float] | None:
        """(first, last) epoch of a marked region along the bottom, or None (none here)."""
        return None

    def _draw_marker_lines(self, lo: float, hi: float) -> None:
        """Draw vertical marker lines before the curves (none here)."""

    # ------------------------------------------------------------------ drawing

    def render(self) -> RenderResult:
        """The picture as Rich text (plotext's ANSI picture read back), for where the strips do not apply.

        :meth:`render_line` normally draws the chart; Textual calls this when it does not (text selected
        in the chart, a wide glyph in a label, CSS that moves the content), or when plotext failed.
        """
        if self._build(self.size) is None:
            return self._error_text()
        return Text.from_ansi(self._plot.monitor.matrix.set_canvas())

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the picture, built from plotext's matrix without the ANSI round trip (see
        :mod:`tuitrain.ui.plot_strips`); Textual's own path (:meth:`render`) where that does not apply."""
        size = self.size  # Textual works it out anew on each call; this runs for every line
        rows = self._build(size)
        if rows is None or not strips_apply(self):
            return super().render_line(y)
        style, ansi_theme = self.visual_style, self.app.ansi_theme
        if self._painter is None or (self._painter.base, self._painter.ansi_theme) != (style, ansi_theme):
            self._painter = PlotStrips(style, ansi_theme)
            self._strips = None
        if self._strips is None or self._strips[0] is not rows:
            made = [self._painter.strip(runs, row, size.width) for row, runs in enumerate(rows)]
            # One row Textual would lay out otherwise (a wide glyph) moves every row below it.
            self._strips = (rows, None if any(strip is None for strip in made) else made)  # type: ignore[arg-type]
        strips = self._strips[1]
        if strips is None:
            return super().render_line(y)
        if y < len(strips):
            return strips[y]
        return Strip.blank(size.width, style.rich_style)

    def _build(self, size: Size) -> list[list[Run]] | None:
        """The picture's rows (top first) for the current data, size and theme; None when plotext failed.

        Rebuilds the plot when the data or the size changed since the last drawing, and has plotext build
        its matrix once per picture: Textual also re-renders for reasons that change nothing drawn (a
        notice over the chart, the screen coming back).
        """
        key = (self._version, size.width, size.height)
        if key != self._drawn:
            self._drawn = key
            self.replot()
        if self.error is not None:
            return None
        picture_key = (*key, self.app.theme)
        if self._picture is not None and self._picture[0] == picture_key:
            return self._picture[1]
        try:
            rows = self._build_matrix(size)
        except (ArithmeticError, ValueError, IndexError) as exc:
            # plotext has edge cases of its own; one bad frame must not take the dashboard down.
            self.error = f"{type(exc).__name__}: {exc}"
            return None
        self._picture = (picture_key, rows)
        self.build_count += 1
        return rows

    def _build_matrix(self, size: Size) -> list[list[Run]]:
        """Have plotext lay the figure out into its matrix (``build()`` without writing it out as ANSI)."""
        # What PlotextPlot.render does before plotext's build() (its size set twice, textual-plotext#5).
        width, height = size
        plot = self._plot
        plot.plotsize(width, height)
        plot._set_size(width, height)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        plot._set_sizes()
        plot._build_matrix()
        return matrix_rows(plot.monitor.matrix)

    def _error_text(self) -> Text:
        return Text(f"{self.title}: cannot draw this chart ({self.error})", no_wrap=False)

    def replot(self) -> None:
        """Clear the plotext figure and draw the current series and marks for the widget's size."""
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
        # neither is ever drawn over by a curve. Labels are placed by column (chart_labels), so they
        # neither overlap nor run past the canvas, which plotext would cut.
        x_right = max(last, 2)
        yticks = nice_ticks(lo, hi, max(2, (height - 4) // 2))
        ytick_labels = [short(t) for t in yticks]
        canvas = max(width - 2 - max((len(t) for t in ytick_labels), default=0), 1)
        texts = self._marker_label_texts()
        self.placed_labels = place_labels(texts, [_column(t.epoch, x_right, canvas) for t in texts], canvas)
        band = self._band(last)
        bad = self.first_bad_epoch
        strip = []
        if band is not None:
            middle = _column((band[0] + band[1]) / 2, x_right, canvas)
            strip.append((middle, OVERFIT_FORMS))
        if bad is not None:
            strip.append((_column(min(bad, x_right), x_right, canvas), (f"{BAD_GLYPH}NaN {bad}", f"{BAD_GLYPH}{bad}")))
        self.placed_strip = place_strip_labels(strip, canvas)
        head = max((p.row + 1 for p in self.placed_labels), default=0) or 0.5
        foot = 1.0 if strip else 0.0
        rows = max(height - 4, 2)
        unit = (hi - lo) / max(rows - head - foot, 1.0)
        top, bottom = hi + head * unit, lo - foot * unit
        plt.xlim(1, x_right)
        plt.ylim(bottom, top)
        plt.xticks(epoch_ticks(last, max(2, width // 7)))
        plt.yticks(yticks, ytick_labels)
        plt.title(self._title_text(curves, width))

        self._draw_marker_lines(lo, hi)
        for xs, ys, marker, color in curves:
            if xs:
                plt.plot(xs, clip_off_chart(ys, bottom, top), marker=marker, color=color)
        for placed in self.placed_labels:
            plt.text(placed.text, _epoch_at(placed.column, x_right, canvas), top - unit * placed.row, alignment="left")
        strip_y = bottom + unit * 0.25
        if band is not None:
            start, end = band
            plt.plot([start, end], [strip_y, strip_y], marker=BAND_GLYPH, color="red")
        for placed in self.placed_strip:
            color = "red" if placed.text in OVERFIT_FORMS else None
            plt.text(placed.text, _epoch_at(placed.column, x_right, canvas), strip_y, alignment="left", color=color)
        if not finite:
            plt.text("no values yet", (1 + x_right) / 2, (lo + hi) / 2, alignment="center")

    def _curves(self) -> list[Curve]:
        """(xs, ys, marker, colour) of each series: smoothed if asked, unplottable points removed, downsampled."""
        # About one point per column: braille has two dots a column, but plotext's cost grows with points.
        target = max(self.size.width // 2, 10)
        curves = []
        for index, series in enumerate(self._series.values()):
            values = self._smooth(series.values) if self._smoothed else series.values
            points = [(float(i), v) for i, v in enumerate(values, start=1) if plottable(v)]
            xs, ys = downsample([x for x, _ in points], [y for _, y in points], target)  # type: ignore[misc]
            marker, color = self._style(index, series)
            curves.append((xs, ys, marker, color))
        return curves

    def _smooth(self, values: Sequence[float | None]) -> list[float]:
        # ema_smooth passes NaN through and leaves it out of the average: missing and unplottable
        # epochs stay gaps and do not poison the epochs after them.
        values_or_nan = [v if plottable(v) else math.nan for v in values]
        return ema_smooth(values_or_nan, self.smoothing)  # type: ignore[arg-type]

    def _title_text(self, curves: list[Curve], width: int) -> str:
        """The chart title with its legend; parts that do not fit the width are left off, the legend last."""
        legend = []
        for (_, _, marker, _), series in zip(curves, self._series.values(), strict=True):
            glyph = _LEGEND_GLYPH.get(marker, marker)
            legend.append(f"{glyph} {self._label(series)}")
        head = self.title + (" (smoothed)" if self._smoothed else "")
        return fit_legend(head, legend, width - 2)


def _column(epoch: float, x_right: int, canvas: int) -> int:
    """The canvas column plotext draws ``epoch`` in (its own rounding, with the x range 1..``x_right``)."""
    return math.floor(round(0.5 + (canvas - 1) * (epoch - 1) / (x_right - 1), 8))


def _epoch_at(column: int, x_right: int, canvas: int) -> float:
    """The x value plotext draws in ``column`` (the inverse of :func:`_column`)."""
    return 1 + column * (x_right - 1) / max(canvas - 1, 1)


class MetricChart(Chart):
    """One run's ``metric`` (train and validation curves) with the analysis markers.

    ``metric`` is the Keras log name without ``val_`` ("loss", "accuracy", ...); ``learning_rate``
    draws a single series.
    """

    # Markers are immutable: the class default stands for "none" until set_markers replaces it.
    _markers = ChartMarkers()

    @property
    def markers(self) -> ChartMarkers:
        """The markers drawn."""
        return self._markers

    def set_markers(self, markers: ChartMarkers) -> None:
        """Set the analysis markers (a no-op when they are the same)."""
        if markers != self._markers:
            self._markers = markers
            self._changed()

    def _has_data(self) -> bool:
        return super()._has_data() or self._markers != ChartMarkers()

    def _drop_data(self) -> None:
        super()._drop_data()
        self._markers = ChartMarkers()

    def _style(self, index: int, series: Series) -> tuple[str, str | None]:
        if series.key.startswith("val_"):
            return VAL_MARKER, "orange"
        return TRAIN_MARKER, "cyan"

    def _label(self, series: Series) -> str:
        if series.key.startswith("val_"):
            return "val"
        if series.key == "learning_rate":
            return "learning rate"
        if series.key == self.metric:
            return "train"
        return series.label

    def _marker_label_texts(self) -> list[MarkerLabel]:
        """Labels merged where markers share an epoch ("best/kept 4")."""
        return marker_label_texts(self._markers)

    def _band(self, last: int) -> tuple[float, float] | None:
        """(first, last) epoch of the overfitting region, or None."""
        start = self._markers.overfitting_from
        if start is None or start > last:
            return None
        return float(start), float(max(last, start))

    def _draw_marker_lines(self, lo: float, hi: float) -> None:
        # Lines are drawn as data (before the curves, so curves stay on top): plotext's own vertical_line
        # belongs to the frame layer, which any data drawn later hides.
        m = self._markers
        lines = []
        if m.best_epoch is not None:
            lines.append((m.best_epoch, BEST_GLYPH, "green"))
        if m.stop_epoch is not None:
            lines.append((m.stop_epoch, STOP_GLYPH, "yellow"))
        if m.kept_epoch is not None and m.kept_epoch not in (m.best_epoch, m.stop_epoch):
            lines.append((m.kept_epoch, KEPT_GLYPH, "green"))
        for epoch, glyph, color in lines:
            self.plt.plot([epoch, epoch], [lo, hi], marker=glyph, color=color)


class CompareChart(Chart):
    """Several runs' curves of one metric overlaid (one :meth:`set_series` per run, keyed by run), with a legend."""

    def _style(self, index: int, series: Series) -> tuple[str, str | None]:
        return COMPARE_MARKERS[index % len(COMPARE_MARKERS)], COMPARE_COLORS[index % len(COMPARE_COLORS)]
