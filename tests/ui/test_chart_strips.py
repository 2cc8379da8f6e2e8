"""Charts drawn straight from plotext's matrix: the same strips Textual made from plotext's ANSI picture.

Every chart used to be shown as ``Text.from_ansi(plot.build())``, which Textual turned into strips; now
:meth:`Chart.render_line` builds the strips from plotext's matrix. Each test draws real charts (the
monitor's, with markers, labels, the overfitting strip and a NaN; the sweep screen's scatter on a log
axis and its trial curves with dimmed ones) at two sizes and in a dark and a light theme, and compares
every segment (text, style with its selection offset, control) with what the old path gives.
"""

from __future__ import annotations

import math

import pytest
from rich.text import Text
from runfiles import ScreenApp, raced_sweep, wait_until
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, visualize

from tuitrain.ui.chart_math import ChartMarkers
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.ui.widgets.charts import Chart, CompareChart, MetricChart

SIZES = [(100, 30), (64, 22)]
THEMES = ["textual-dark", "textual-light"]


def ansi_path(chart: Chart) -> list[Strip]:
    """The strips Textual made of the chart before: plotext's ANSI picture read by ``Text.from_ansi``."""
    width, height = chart.size
    text = Text.from_ansi(chart.plt.build())
    return Visual.to_strips(chart, visualize(chart, text), width, height, chart.visual_style)


def segments(strips: list[Strip]) -> list[list[tuple[object, ...]]]:
    return [[(s.text, s.style, s.control) for s in strip] for strip in strips]


def assert_same_as_ansi_path(chart: Chart) -> None:
    drawn = [chart.render_line(y) for y in range(chart.size.height)]
    expected = ansi_path(chart)
    assert ["".join(s.text for s in strip) for strip in drawn] == ["".join(s.text for s in strip) for strip in expected]
    assert segments(drawn) == segments(expected)
    assert all(strip.cell_length == chart.size.width for strip in drawn)


@pytest.fixture
def text_path_calls(monkeypatch: pytest.MonkeyPatch) -> list[Chart]:
    """The charts Textual had to draw from Rich text (Chart.render) instead of their strips."""
    calls: list[Chart] = []
    render = Chart.render

    def counted(self: Chart):  # type: ignore[no-untyped-def]
        calls.append(self)
        return render(self)

    monkeypatch.setattr(Chart, "render", counted)
    return calls


class ChartsApp(App[None]):
    def __init__(self, *charts: Chart) -> None:
        super().__init__()
        self.charts = charts

    def compose(self) -> ComposeResult:
        yield from self.charts


def monitor_chart() -> MetricChart:
    """The live run's loss chart: train and validation, best/stop/kept lines, overfitting, a NaN."""
    chart = MetricChart("loss")
    train = [1.0 / e for e in range(1, 31)]
    val = [0.8 / e + 0.002 * e**1.5 for e in range(1, 30)] + [math.nan]
    chart.set_series("loss", train)
    chart.set_series("val_loss", val)
    chart.set_markers(ChartMarkers(best_epoch=9, stop_epoch=14, would_stop=True, kept_epoch=9, overfitting_from=10))
    return chart


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
async def test_monitor_charts_are_the_strips_of_the_ansi_picture(size, theme, text_path_calls) -> None:
    loss, compare = monitor_chart(), CompareChart("loss")
    for run in range(3):
        compare.set_series(f"run{run}", [1.0 / (e + run) for e in range(1, 20)], label=f"run {run}")
    app = ChartsApp(loss, compare)
    async with app.run_test(size=size) as pilot:
        app.theme = theme
        await pilot.pause()
        assert loss.first_bad_epoch == 30 and loss.placed_labels and loss.placed_strip  # all of it is drawn
        for chart in (loss, compare):
            assert_same_as_ansi_path(chart)
        loss.smoothed = True  # a change: rebuilt, and still the same
        await pilot.pause()
        assert_same_as_ansi_path(loss)
    assert text_path_calls == []


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", [(160, 40), (120, 34)])
async def test_sweep_charts_are_the_strips_of_the_ansi_picture(size, theme, text_path_calls) -> None:
    source, sweep_dir = raced_sweep()
    screen = SweepScreen(sweep_dir, source, refresh_seconds=None, clock=lambda: 1600.0, build_clock=lambda: 0.0)
    app = ScreenApp(screen)
    async with app.run_test(size=size) as pilot:
        app.theme = theme
        await wait_until(pilot, lambda: bool(screen.dists) and screen.curves.series and screen.scatter.data)
        await pilot.pause()
        assert screen.scatter.data.scale == "log" and screen.curves.dimmed  # a log axis; a pruned trial dimmed
        for chart in (screen.scatter, screen.curves):
            assert chart.error is None
            assert_same_as_ansi_path(chart)
    assert text_path_calls == []


async def test_a_repaint_without_a_change_reuses_the_strips() -> None:
    chart = monitor_chart()
    async with ChartsApp(chart).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        built, first = chart.build_count, [chart.render_line(y) for y in range(24)]
        chart.refresh()  # Textual repaints for reasons that change nothing drawn
        await pilot.pause()
        assert chart.build_count == built
        assert all(chart.render_line(y) is strip for y, strip in enumerate(first))


async def test_selected_text_takes_textuals_own_path_and_shows_the_selection(text_path_calls) -> None:
    chart = monitor_chart()
    async with ChartsApp(chart).run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        assert text_path_calls == []
        chart.screen.selections = {chart: Selection.from_offsets(Offset(2, 1), Offset(30, 4))}
        await pilot.pause()
        assert text_path_calls and text_path_calls[-1] is chart
        assert_same_as_ansi_path(chart)  # the reference applies the selection style too
        selected, _ = chart.get_selection(chart.text_selection)  # what a copy takes: the chart's characters
        assert selected.splitlines()[0] == str(chart.render()).splitlines()[1][2:]
        chart.screen.selections = {}
        await pilot.pause()
        calls = len(text_path_calls)
        assert_same_as_ansi_path(chart)
        assert len(text_path_calls) == calls  # back to the strips


async def test_a_row_with_wide_glyphs_takes_textuals_own_path(text_path_calls) -> None:
    chart = CompareChart("loss")
    async with ChartsApp(chart).run_test(size=(80, 20)) as pilot:
        # A label of double-width characters: Textual lays such a row out its own way (it wraps it).
        chart.set_series("a", [3.0, 2.0, 1.0], label="学习率")
        await pilot.pause()
        assert text_path_calls and text_path_calls[-1] is chart
        assert_same_as_ansi_path(chart)


async def test_a_plotext_failure_is_one_line_not_a_crash(monkeypatch) -> None:
    import plotext._figure

    def broken(self):  # type: ignore[no-untyped-def]
        raise ValueError("no room")

    chart = monitor_chart()
    async with ChartsApp(chart).run_test(size=(80, 20)) as pilot:
        monkeypatch.setattr(plotext._figure._figure_class, "_build_matrix", broken)
        chart.set_series("loss", [1.0, 0.5])
        await pilot.pause()
        assert chart.error == "ValueError: no room"
        first = "".join(s.text for s in chart.render_line(0))
        assert first.startswith("loss: cannot draw this chart (ValueError: no room)")
