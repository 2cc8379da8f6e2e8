"""The chart of a learning-rate range test: loss against rate on a log axis, the regimes marked.

The drawing is :func:`tuitrain.lr_chart.draw_lr_curve`, the one the CLI prints; this widget owns the
report it shows and redraws only when that or its size changed.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tuitrain.analysis.lr_finder import LrFinderReport
from tuitrain.lr_chart import draw_lr_curve


class LrCurveChart(PlotextPlot):
    """Shows one :class:`~tuitrain.analysis.lr_finder.LrFinderReport` (set with :meth:`show`)."""

    DEFAULT_CSS = """
    LrCurveChart {
        width: 1fr;
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # As the other charts: the terminal's own colours, and plotext emits fewer escape codes.
        self.theme = "clear"
        self.report: LrFinderReport | None = None
        self._version = 0
        self._drawn: tuple[int, int, int] | None = None
        self.replot_count = 0
        """How many times the plot was rebuilt (for tests: no rebuild without a change)."""

    def show(self, report: LrFinderReport) -> None:
        """Draw ``report`` from now on."""
        self.report = report
        self._version += 1
        self.refresh()

    def replot(self) -> None:
        """Clear the figure and draw the current report (or say that there is none yet)."""
        self.replot_count += 1
        self.plt.clear_data()
        if self.report is None:
            self.plt.title("waiting for the first batches")
            return
        draw_lr_curve(self.plt, self.report)

    def render(self) -> RenderResult:
        """Rebuild the plot when the report or the size changed since the last drawing."""
        key = (self._version, self.size.width, self.size.height)
        if key != self._drawn:
            self._drawn = key
            self.replot()
        return super().render()
