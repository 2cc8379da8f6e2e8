"""How fast the dashboard starts and how long a chart of a long run takes to redraw.

    python bench/ui_bench.py [--repeats 5] [--epochs 1000] [--against TREE] [--no-tensorflow]

Startup: wall and CPU time from starting a fresh ``python`` process to the app's first frame (it imports
the app and mounts the setup screen headless, ``App.run_test``, at 80x24 and at 120x40, and waits until
the app is idle: Textual's own first frame can come before the form's fields are laid out), with the
modules' bytecode cached as after an install (one untimed run first), against, in the same run and
alternating (median of ``--repeats``):

- a bare Textual app with a header (the floor any Textual dashboard pays, on this machine now);
- with ``--against TREE``, the same first frame of another checkout of tuitrain (e.g. ``git worktree
  add /tmp/main main``): what a change saved, measured under the same load (each process runs in
  the checkout it times, which it checks: run from a checkout, ``python -c`` would import that one);
- a fresh process that only runs ``import tensorflow`` (unless ``--no-tensorflow``): the cost the
  dashboard avoids by leaving TensorFlow to the trainer process.

Redraw: the monitor's two charts (train and validation curves, best/stop markers, the overfitting
strip) redrawn after one more epoch of a ``--epochs``-epoch history at the size they have in a 200x60
terminal, every line painted as the screen would (wall and the UI thread's CPU time), against plotext
drawing the same raw curves at the same sizes with nothing else: what plain plotext costs. Both are
printed with the 30 fps frame budget (33 ms) they must stay well under. Run with ``--redraw-only`` (and
``PYTHONPATH=other/tree``) to time just this, e.g. against a tree from before a change.

Sweep: the sweep screen's UI time per refresh (once a second) on a sweep of ``--trials`` trials, against
plain plotext drawing the same charts (:mod:`sweep_ui_bench`, also runnable alone); the goal is at most
one frame of UI time per second.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THIS_TREE = Path(__file__).resolve().parents[1]
"""The checkout this script belongs to: the one timed as "dashboard"."""

BYTECODE = Path(tempfile.mkdtemp(prefix="ui-bench-bytecode-"))
"""Where the timed processes keep their compiled modules (``PYTHONPYCACHEPREFIX``), so that a start
is timed as after an install, with its bytecode cached, even where ``PYTHONDONTWRITEBYTECODE`` is set
(then every start compiled tuitrain's modules again: 0.1 s of CPU); a checkout gets no file of it."""
atexit.register(shutil.rmtree, BYTECODE, True)

FIRST_FRAME = """
import asyncio, sys, time
from tuitrain import presets
from tuitrain.run_source import LocalRunsSource
from tuitrain.ui.app import TuitrainApp
from tuitrain.workspace import read_for_editing
from pathlib import Path
import tempfile

print("tuitrain from", Path(sys.modules["tuitrain"].__file__).resolve().parents[1])

async def main():
    path = presets.find("digits-overfit")
    source = LocalRunsSource(Path(tempfile.mkdtemp()))
    app = TuitrainApp(source=source, initial=read_for_editing(path), preset_name=path.stem)
    async with app.run_test(size=SIZE) as pilot:
        # Textual's first frame can come before the form's fields are in: wait until the app is idle,
        # its screen painted with everything mounted at start (the first frame a user can work with).
        await pilot.pause()
        print(time.time(), time.process_time())
        assert "tensorflow" not in sys.modules

asyncio.run(main())
"""

BARE_TEXTUAL = """
import asyncio, time
from textual.app import App
from textual.widgets import Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("first frame")

async def main():
    async with Bare().run_test(size=SIZE) as pilot:
        await pilot.pause()
        print(time.time(), time.process_time())

asyncio.run(main())
"""


def wall(code: str, tree: str | None = None) -> float:
    """Seconds from starting ``python -c code`` to the time it prints, or to its exit when it prints none.

    ``tree``: the checkout of tuitrain to import (default: this one), whatever the venv has installed.
    """
    return timed(code, tree)[0]


def timed(code: str, tree: str | None = None, *, cached_bytecode: bool = True) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process) from starting ``python -c code`` to what it prints
    (``time.time() time.process_time()``), or to its exit when it prints nothing (CPU time then unknown: 0).

    CPU time counts only this process's work: on a machine shared with other jobs it moves far less
    than wall time, so a change is judged by it.

    ``tree``: the checkout of tuitrain to import (default: this one). The process runs in it and has
    it first on its path: ``python -c`` puts its working folder before ``PYTHONPATH``, so run from
    another checkout, that checkout's tuitrain would be timed instead. A script that says where its
    tuitrain came from ("tuitrain from FOLDER") is checked against ``tree``.
    ``cached_bytecode``: compiled modules are kept in :data:`BYTECODE` (the first run compiles them).
    """
    root = Path(tree).resolve() if tree is not None else THIS_TREE
    env = dict(os.environ)
    if cached_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, cwd=root
    ).stdout
    for line in out.splitlines():
        if line.startswith("tuitrain from ") and Path(line.removeprefix("tuitrain from ")) != root:
            raise SystemExit(f"timed {line!r}, not {root}: check --against (a checkout of tuitrain)")
    fields = out.split()[-2:] if out.strip() else []
    if len(fields) == 2:
        return float(fields[0]) - start, float(fields[1])
    return time.time() - start, 0.0


def startup(
    repeats: int, size: tuple[int, int], against: str | None, tensorflow: bool
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds to the first frame: "tuitrain", "bare" Textual, "against" a tree, "tensorflow"."""
    sized = f"SIZE = {size!r}\n"
    runs: dict[str, list[tuple[float, float]]] = {"tuitrain": [], "bare": []}
    # Untimed first runs: they compile the modules into BYTECODE, as an install does.
    timed(sized + FIRST_FRAME)
    timed(sized + BARE_TEXTUAL)
    if against is not None:
        timed(sized + FIRST_FRAME, against)
    for _ in range(repeats):
        runs["tuitrain"].append(timed(sized + FIRST_FRAME))
        runs["bare"].append(timed(sized + BARE_TEXTUAL))
        if against is not None:
            runs.setdefault("against", []).append(timed(sized + FIRST_FRAME, against))
        if tensorflow:
            # Its bytecode is the installed package's: a cache of TensorFlow's thousands of modules is not made.
            runs.setdefault("tensorflow", []).append(timed("import tensorflow", cached_bytecode=False))
    return {
        name: (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
        for name, times in runs.items()
    }


def history(epochs: int) -> tuple[list[float], list[float]]:
    train = [1.0 / (1 + 0.05 * e) for e in range(epochs)]
    val = [0.8 / (1 + 0.05 * e) + 0.0004 * e + 0.01 * ((e * 7919) % 13) / 13 for e in range(epochs)]
    return train, val


async def redraw(epochs: int, repeats: int) -> tuple[float, float, float, float]:
    """Seconds to redraw the monitor's two charts after an epoch, and plain plotext's for the same curves:
    (tuitrain wall, tuitrain CPU, plotext wall, plotext CPU), medians.

    tuitrain's redraw is what the widget does when an epoch comes in: the series extended by one epoch,
    then every line of both charts painted (``render_lines``: plotext's layout and the lines Textual
    shows), as the screen's paint would; it runs on any tree (``PYTHONPATH=that/tree``). Plain plotext:
    ``build()`` of the same curves, its ANSI picture, nothing else.
    """
    import plotext
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal
    from textual.geometry import Region

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
        ours, ours_cpu = [], []
        for _ in range(repeats * 10):
            start, start_cpu = time.perf_counter(), time.thread_time()
            for chart in charts:
                with chart.batch_update():
                    chart.extend_series(chart.metric, train[-1:])
                    chart.extend_series(f"val_{chart.metric}", val[-1:])
                chart.render_lines(Region(0, 0, chart.size.width, chart.size.height))
            ours.append(time.perf_counter() - start)
            ours_cpu.append(time.thread_time() - start_cpu)

    xs = list(range(1, epochs + 1))
    raw, raw_cpu = [], []
    for _ in range(repeats * 10):
        start, start_cpu = time.perf_counter(), time.thread_time()
        for width, height in sizes:
            plotext.clear_figure()
            plotext.plotsize(width, height)
            plotext.plot(xs, train)
            plotext.plot(xs, val)
            plotext.build()
        raw.append(time.perf_counter() - start)
        raw_cpu.append(time.thread_time() - start_cpu)
    return statistics.median(ours), statistics.median(ours_cpu), statistics.median(raw), statistics.median(raw_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--against", metavar="TREE", help="another tuitrain checkout to time the first frame of")
    parser.add_argument("--no-tensorflow", action="store_true", help="skip the 'import tensorflow' baseline")
    parser.add_argument("--trials", type=int, default=200, help="trials of the sweep screen's sweep")
    parser.add_argument("--refreshes", type=int, default=30, help="sweep screen refreshes timed")
    parser.add_argument("--redraw-only", action="store_true", help="time only the monitor charts' redraw")
    args = parser.parse_args()

    for size in () if args.redraw_only else ((80, 24), (120, 40)):
        t = startup(args.repeats, size, args.against, not args.no_tensorflow)
        (ui, ui_cpu), (bare, bare_cpu) = t["tuitrain"], t["bare"]
        print(
            f"startup to first frame at {size[0]}x{size[1]}: dashboard {ui:.2f} s (CPU {ui_cpu:.2f} s)   "
            f"bare Textual app {bare:.2f} s (CPU {bare_cpu:.2f} s)"
        )
        print(f"  ratio dashboard / bare Textual: wall {ui / bare:.2f}, CPU {ui_cpu / bare_cpu:.2f}")
        if "against" in t:
            other, other_cpu = t["against"]
            print(
                f"  {args.against}: {other:.2f} s (CPU {other_cpu:.2f} s)   ratio this tree / that tree: "
                f"wall {ui / other:.2f}, CPU {ui_cpu / other_cpu:.2f}"
            )
        if "tensorflow" in t:
            tf = t["tensorflow"][0]
            print(f"  import tensorflow alone {tf:.2f} s   ratio dashboard / it: {ui / tf:.2f}")

    ours, ours_cpu, raw, raw_cpu = asyncio.run(redraw(args.epochs, args.repeats))
    print(
        f"redraw of the monitor's two charts (100x47 each in a 200x60 terminal) after epoch {args.epochs}: "
        f"tuitrain {ours * 1000:.1f} ms (CPU {ours_cpu * 1000:.1f} ms)   "
        f"plain plotext, curves only {raw * 1000:.1f} ms (CPU {raw_cpu * 1000:.1f} ms)"
    )
    print(
        f"  ratio tuitrain / plain plotext: {ours / raw:.2f} (CPU {ours_cpu / raw_cpu:.2f});"
        f" share of a 30 fps frame: {ours / (1 / 30):.0%} (CPU {ours_cpu / (1 / 30):.0%})"
    )

    if args.redraw_only:
        return
    from sweep_ui_bench import report  # bench/ is the script's folder: on sys.path

    report(args.trials, args.refreshes)


if __name__ == "__main__":
    main()
