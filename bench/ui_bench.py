"""How fast the dashboard starts and how long a chart of a long run takes to redraw.

    python bench/ui_bench.py [--repeats 5] [--epochs 1000]

Startup: wall time from starting a fresh ``python`` process to the app's first frame (it imports the
app and mounts the setup screen headless, ``App.run_test``), against a fresh process that only runs
``import tensorflow``: the cost the dashboard avoids by leaving TensorFlow to the trainer process.
Median of ``--repeats``, alternating.

Redraw: the monitor's two charts (train and validation curves, best/stop markers, the overfitting
strip) rebuilt for a ``--epochs``-epoch history at the size they have in a 200x60 terminal, against
plotext drawing the same raw curves at the same sizes with nothing else: what plain plotext costs. Both are
printed with the 30 fps frame budget (33 ms) they must stay well under.

Sweep: the sweep screen's UI time per refresh (once a second) on a sweep of ``--trials`` trials, against
plain plotext drawing the same charts (:mod:`sweep_ui_bench`, also runnable alone); the goal is at most
one frame of UI time per second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

FIRST_FRAME = """
import asyncio, time
from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing
from pathlib import Path
import tempfile

async def main():
    path = presets.find("digits-overfit")
    source = LocalRunsSource(Path(tempfile.mkdtemp()))
    app = TuitrainApp(source=source, initial=read_for_editing(path), preset_name=path.stem)
    async with app.run_test(size=(120, 40)):
        print(time.time())  # the setup screen is mounted and painted
        assert "tensorflow" not in __import__("sys").modules

asyncio.run(main())
"""


def wall(code: str) -> float:
    """Seconds from starting ``python -c code`` to the time it prints, or to its exit when it prints none."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return (float(out.split()[-1]) if out.strip() else time.time()) - start


def startup(repeats: int) -> tuple[float, float]:
    ui, tf = [], []
    for _ in range(repeats):
        ui.append(wall(FIRST_FRAME))
        tf.append(wall("import tensorflow"))
    return statistics.median(ui), statistics.median(tf)


def history(epochs: int) -> tuple[list[float], list[float]]:
    train = [1.0 / (1 + 0.05 * e) for e in range(epochs)]
    val = [0.8 / (1 + 0.05 * e) + 0.0004 * e + 0.01 * ((e * 7919) % 13) / 13 for e in range(epochs)]
    return train, val


async def redraw(epochs: int, repeats: int) -> tuple[float, float]:
    """Seconds to rebuild the monitor's two charts after an epoch, and plain plotext's for the same curves."""
    import plotext
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal

    from tuitrain.ui.chart_math import ChartMarkers
    from tuitrain.ui.widgets.charts import MetricChart

    charts = [MetricChart("loss"), MetricChart("accuracy")]

    class ChartsApp(App[None]):
        def compose(self) -> ComposeResult:
            with Horizontal():
                yield from charts

    train, val = history(epochs)
    best = min(range(epochs), key=val.__getitem__) + 1
    markers = ChartMarkers(
        best_epoch=best, stop_epoch=best + 3, would_stop=True, kept_epoch=best, overfitting_from=best
    )
    # The monitor in a 200x60 terminal gives each chart 100x47 (measured); its panels take the rest.
    async with ChartsApp().run_test(size=(200, 47)) as pilot:
        for chart in charts:
            chart.set_series(chart.metric, train)
            chart.set_series(f"val_{chart.metric}", val)
            chart.set_markers(markers)
        await pilot.pause()
        sizes = [(chart.size.width, chart.size.height) for chart in charts]
        ours = []
        for _ in range(repeats * 10):
            start = time.perf_counter()
            for chart in charts:
                chart.replot()
                chart.plt.build()
            ours.append(time.perf_counter() - start)

    xs = list(range(1, epochs + 1))
    raw = []
    for _ in range(repeats * 10):
        start = time.perf_counter()
        for width, height in sizes:
            plotext.clear_figure()
            plotext.plotsize(width, height)
            plotext.plot(xs, train)
            plotext.plot(xs, val)
            plotext.build()
        raw.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=200, help="trials of the sweep screen's sweep")
    parser.add_argument("--refreshes", type=int, default=30, help="sweep screen refreshes timed")
    args = parser.parse_args()

    ui, tf = startup(args.repeats)
    print(f"startup to first frame: dashboard {ui:.2f} s   import tensorflow alone {tf:.2f} s")
    print(f"  ratio dashboard / tensorflow import: {ui / tf:.2f} (goal: well under 1 s)")

    ours, raw = asyncio.run(redraw(args.epochs, args.repeats))
    print(
        f"redraw of the monitor's two charts (100x47 each in a 200x60 terminal) after epoch {args.epochs}: "
        f"tuitrain {ours * 1000:.1f} ms   plain plotext, curves only {raw * 1000:.1f} ms"
    )
    print(f"  ratio tuitrain / plain plotext: {ours / raw:.2f}; share of a 30 fps frame: {ours / (1 / 30):.0%}")

    from sweep_ui_bench import report  # bench/ is the script's folder: on sys.path

    report(args.trials, args.refreshes)


if __name__ == "__main__":
    main()
