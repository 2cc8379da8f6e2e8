"""Snapshot of chart labels where they used to collide or be cut: neighbouring markers and markers at the edges.

At 80x24 two charts side by side are 40 columns each: "kept 4best 11" and "overfitt" were drawn there.
Update with ``pytest tests/snapshots --snapshot-update`` after looking at the report of what changed.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal

from tuitrain.ui.chart_math import ChartMarkers
from tuitrain.ui.widgets.charts import MetricChart

EPOCHS = 19


class TwoCharts(App[None]):
    """Two loss charts of one 19-epoch run: markers on neighbouring epochs, and at both edges."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield MetricChart("loss", id="neighbours")
            yield MetricChart("loss", id="edges")

    def on_mount(self) -> None:
        train = [1.0 / e for e in range(1, EPOCHS + 1)]
        val = [0.8 / e + 0.02 * e**1.5 for e in range(1, EPOCHS + 1)]
        cases = {
            "#neighbours": ChartMarkers(
                best_epoch=11, stop_epoch=12, would_stop=True, kept_epoch=10, overfitting_from=18
            ),
            "#edges": ChartMarkers(best_epoch=1, stop_epoch=EPOCHS, kept_epoch=2, overfitting_from=EPOCHS),
        }
        for selector, markers in cases.items():
            chart = self.query_one(selector, MetricChart)
            with chart.batch_update():
                chart.set_series("loss", train)
                chart.set_series("val_loss", val)
                chart.set_markers(markers)


def test_chart_labels_80x24(snap_compare) -> None:
    assert snap_compare(TwoCharts(), terminal_size=(80, 24))
