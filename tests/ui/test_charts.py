"""The chart widget: series, markers, redraw only on change, NaN/inf, long histories, compare view."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import App, ComposeResult

from tuitrain.ui.chart_math import ChartMarkers
from tuitrain.ui.widgets.charts import Chart, CompareChart, MetricChart


class ChartApp(App[None]):
    """One chart filling the screen."""

    def __init__(self, chart: Chart) -> None:
        super().__init__()
        self.chart = chart

    def compose(self) -> ComposeResult:
        yield self.chart


def picture(chart: Chart) -> str:
    """What the chart shows, as plain text."""
    return Text.from_ansi(chart.plt.build()).plain


def overfit_curves(n: int) -> tuple[list[float], list[float]]:
    train = [1.0 / e for e in range(1, n + 1)]
    val = [0.8 / e + 0.02 * e**1.5 for e in range(1, n + 1)]
    return train, val


async def test_chart_draws_series_and_labelled_markers() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(100, 24)) as pilot:
        train, val = overfit_curves(12)
        with chart.batch_update():
            chart.set_series("loss", train)
            chart.set_series("val_loss", val)
            chart.set_markers(
                ChartMarkers(best_epoch=4, stop_epoch=6, would_stop=True, kept_epoch=4, overfitting_from=4)
            )
        await pilot.pause()
        assert chart.epochs == 12
        assert chart.series["val_loss"].values[3] == val[3]
        assert chart.marker_labels() == [(4, "best/kept 4"), (6, "would stop 6")]
        text = picture(chart)
        assert "best/kept 4" in text
        assert "would stop 6" in text
        assert "overfitting" in text
        assert "▁" in text  # the overfitting strip, readable without colour
        assert "train" in text and "val" in text  # legend in the title
        assert chart.error is None


async def test_actual_stop_and_separate_kept_epoch() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(100, 24)) as pilot:
        _, val = overfit_curves(8)
        chart.set_series("val_loss", val)
        chart.set_markers(ChartMarkers(best_epoch=3, stop_epoch=6, would_stop=False, kept_epoch=6))
        await pilot.pause()
        assert chart.marker_labels() == [(3, "best 3"), (6, "stop/kept 6")]
        assert "stop/kept 6" in picture(chart)


async def test_redraws_only_when_data_changed() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(80, 20)) as pilot:
        train, val = overfit_curves(10)
        with chart.batch_update():
            chart.set_series("loss", train)
            chart.set_series("val_loss", val)
        await pilot.pause()
        drawn, built, version = chart.replot_count, chart.build_count, chart.version

        # The same data again (NaN included), the same markers, the same mode: nothing to redraw.
        with chart.batch_update():
            chart.set_series("loss", list(train))
            chart.set_series("val_loss", list(val))
            chart.set_markers(ChartMarkers())
            chart.smoothed = False
        chart.refresh()  # even a forced repaint neither replots nor rebuilds the picture
        await pilot.pause()
        assert (chart.replot_count, chart.build_count, chart.version) == (drawn, built, version)

        # One new epoch: one rebuild, however many setters ran in the batch.
        with chart.batch_update():
            chart.extend_series("loss", [0.05])
            chart.extend_series("val_loss", [0.9])
            chart.set_markers(ChartMarkers(best_epoch=3))
        await pilot.pause()
        assert chart.replot_count == drawn + 1
        assert chart.build_count == built + 1
        assert chart.epochs == 11


async def test_nan_and_infinite_values_are_marked_not_fatal() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(80, 20)) as pilot:
        chart.set_series("loss", [2.3, 1.9, math.nan, math.nan])
        chart.set_series("val_loss", [2.2, 1e308, math.inf, None])
        await pilot.pause()
        assert chart.first_bad_epoch == 2  # 1e308 is beyond what plotext can draw
        assert chart.error is None
        assert "✗NaN 2" in picture(chart)

        # Re-sending identical NaNs is no change.
        version = chart.version
        chart.set_series("loss", [2.3, 1.9, math.nan, math.nan])
        assert chart.version == version

        chart.smoothed = True  # smoothing skips the bad points instead of spreading NaN
        await pilot.pause()
        assert chart.error is None


async def test_all_values_missing_and_single_point() -> None:
    chart = MetricChart("accuracy")
    async with ChartApp(chart).run_test(size=(60, 15)) as pilot:
        await pilot.pause()
        assert "no values yet" in picture(chart)
        chart.set_series("accuracy", [0.5])
        chart.set_series("val_accuracy", [0.5])
        await pilot.pause()
        assert chart.error is None
        assert chart.epochs == 1


async def test_thousand_epochs_are_downsampled() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(120, 30)) as pilot:
        train, val = overfit_curves(1000)
        with chart.batch_update():
            chart.set_series("loss", train)
            chart.set_series("val_loss", val)
            chart.set_markers(ChartMarkers(best_epoch=5, stop_epoch=12, would_stop=True, kept_epoch=5))
        await pilot.pause()
        assert chart.error is None
        curves = chart._curves()
        assert all(len(xs) <= 2 * chart.size.width for xs, *_ in curves)
        text = picture(chart)
        assert "1000" in text  # the last epoch is on the axis


async def test_smoothing_toggle_changes_the_curve_not_the_data() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(80, 20)) as pilot:
        chart.set_series("loss", [1.0, 0.2, 0.9, 0.1, 0.8])
        await pilot.pause()
        raw = chart._curves()[0][1]
        chart.smoothed = True
        await pilot.pause()
        smooth = chart._curves()[0][1]
        assert raw != smooth
        assert max(smooth) - min(smooth) < max(raw) - min(raw)
        assert chart.series["loss"].values == (1.0, 0.2, 0.9, 0.1, 0.8)
        assert "smoothed" in picture(chart)


async def test_compare_overlays_runs_with_a_legend() -> None:
    chart = CompareChart("val_loss", title="val loss")
    async with ChartApp(chart).run_test(size=(100, 24)) as pilot:
        chart.set_series("run-a", [1.0, 0.8, 0.7], label="run-a")
        chart.set_series("run-b", [1.1, 0.9, 0.6, 0.5, 0.45], label="run-b")
        await pilot.pause()
        text = picture(chart)
        assert "• run-a" in text and "× run-b" in text
        assert chart.epochs == 5
        assert chart.marker_labels() == [] and "overfitting" not in text  # no markers on a comparison


async def test_focused_chart_clips_outliers_and_the_toggle_shows_them() -> None:
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(80, 24)) as pilot:
        chart.set_series("loss", [9.0] + [1.0 / e for e in range(1, 40)])
        chart.set_series("val_loss", [8.0] + [0.5 + 0.01 * e for e in range(1, 40)])
        await pilot.pause()
        assert chart.focused and chart.zoomed
        assert max(y_ticks(chart)) < 2
        chart.focused = False
        await pilot.pause()
        assert not chart.zoomed
        assert max(y_ticks(chart)) >= 8


def y_ticks(chart: Chart) -> list[float]:
    labels = [line.split("┤")[0].strip() for line in picture(chart).splitlines() if "┤" in line]
    return [float(label) for label in labels if label]


async def test_an_outlier_millions_of_heights_off_the_chart_is_drawn_cheaply(monkeypatch) -> None:
    # rmsprop at learning rate 100: epoch 1's loss 2.4e8, then ~25. Zoomed to 22..31, plotext would
    # walk a line through every pixel row up to the outlier: lists of millions of points, out of memory.
    import plotext._utility as plotext_utility

    longest = [0]
    linspace = plotext_utility.linspace

    def measured(lower, upper, length=10):
        longest[0] = max(longest[0], length)
        assert length < 100_000, f"plotext asked for a line of {length:,} points"  # fail, don't exhaust memory
        return linspace(lower, upper, length)

    monkeypatch.setattr(plotext_utility, "linspace", measured)
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(80, 24)) as pilot:
        chart.set_series("loss", [2.4e8, 30.8, 27.5, 26.3, 25.7, 24.8, 25.3, 22.8, 25.2, 25.2])
        chart.set_series("val_loss", [69.6, 47.8, 38.3, 29.2, 20.1, 11.5, 2.5, 33.6, 42.9, 44.5])
        await pilot.pause()
        assert chart.zoomed and chart.error is None
        assert max(y_ticks(chart)) < 100  # the outlier is left out of the range...
        assert 0 < longest[0] < 2_000  # ...and the line towards it stays short


async def test_labels_of_neighbouring_markers_and_at_the_edges_are_whole() -> None:
    """At 40 columns "kept 4best 11" and "overfitt" (cut at the right edge) were drawn: every label is whole now."""
    chart = MetricChart("loss")
    async with ChartApp(chart).run_test(size=(40, 16)) as pilot:
        train, val = overfit_curves(19)
        with chart.batch_update():
            chart.set_series("loss", train)
            chart.set_series("val_loss", val)
            chart.set_markers(ChartMarkers(best_epoch=11, stop_epoch=19, kept_epoch=10, overfitting_from=18))
        await pilot.pause()
        text = picture(chart)
        lines = text.splitlines()
        for placed in [*chart.placed_labels, *chart.placed_strip]:
            assert any(placed.text in line for line in lines), (placed, text)
        shown = " ".join(p.text for p in chart.placed_labels)
        for word in ("10", "11", "19"):
            assert word in shown.split()
        assert "overfit" in " ".join(p.text for p in chart.placed_strip)
        # Nothing cut: no label runs into the chart's right frame.
        assert not any(line.rstrip().endswith("overfitt") for line in lines)
