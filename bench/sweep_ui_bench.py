"""How much UI time the sweep screen spends per refresh on a sweep of 200 trials.

    python bench/sweep_ui_bench.py [--trials 200] [--refreshes 60]

The sweep screen reads its sweep once a second. Each refresh here is what a busy sweep looks like:
two trials one epoch further, and every third refresh one more trial ended (a new leaderboard row
ranked, a new scatter point, the overlaid curves changed). Timed: ``show_sweep`` (what the screen does
with a sweep it has read: the leaderboard, both charts, the header lines, the footer) and the frame
painted (``pilot.pause``; the charts whose data changed are rebuilt by plotext as they are painted, and
the bench prints how many were), in a 200x60 terminal. The screen's charts are paced by their build
cost (:class:`~tuitrain.ui.redraw_pacer.RedrawPacer`): the bench gives the pacer a clock that moves one
second per refresh, so a chart is rebuilt as often as it would be in a real second-by-second sweep, and
prints each chart's mean build cost (CPU) and how many seconds apart its rebuilds came; the mean CPU per
refresh is the whole loop's CPU (timers and idle paints included) over the refreshes, the figure the
goal is about (an average). A tree from before the pacing (run it with ``PYTHONPATH=that/tree``) draws
the charts every refresh. Both wall time and the process's CPU time are
printed: on a shared machine the wall time also counts time waiting for a core (and ``pilot.pause``'s
own idle wait, printed as "an empty refresh"). Baseline, in the same run: plain plotext drawing the same
scatter and curves at the same sizes, with nothing else. The goal (issue 13): at most one frame (33 ms
at 30 fps) of UI time per second, on average. Median and worst of ``--refreshes``; the first full
draw of all rows is printed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import math
import random
import statistics
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

FRAME = 1 / 30
LR, UNITS = "optimizer.learning_rate", "model.layers[0].units"
EPOCHS = 30


def curve(seed: int, epochs: int) -> list[float]:
    """A validation loss that falls then rises, different per trial."""
    rng = random.Random(seed)
    low, turn = rng.uniform(0.2, 0.6), rng.randint(4, 20)
    return [low + 0.8 / (1 + e) + 0.01 * max(0, e - turn) + rng.uniform(0, 0.02) for e in range(epochs)]


class BenchSource:
    """The run source's sweep reads, in memory: one sweep whose trials the bench moves forward."""

    def __init__(self, sweep_dir: Path, trials: int, clock: Any = None) -> None:
        """``clock``: the wall clock of the trials' times (None: a fixed one, 1000 s when the sweep began,
        a second later at each step; the screen's clock is then frozen too)."""
        from tuitrain.sweep.spec import sweep_from_data

        self.sweep_dir = sweep_dir
        self.planned = trials + 10
        self.spec = sweep_from_data(
            {
                "name": "bench",
                "base": "digits-mlp",
                "trials": self.planned,
                "space": {
                    LR: {"dist": "log_uniform", "low": 1e-4, "high": 1.0},
                    UNITS: {"dist": "log_int", "low": 8, "high": 512},
                },
            }
        )
        self.clock = clock
        # Trials that started 30 s apart, the two training ones a minute or two ago.
        self.began = 1000.0 if clock is None else clock() - 30 * trials - 60
        self.trials: list[Any] = []
        self.curves: dict[str, list[float]] = {}
        for number in range(trials):
            self.add(number, running=number >= trials - 2)

    def add(self, number: int, running: bool) -> None:
        """Trial ``number``: training (two epochs done) or ended (finished, or pruned one time in five)."""
        from tuitrain.sweep.status import TrialEntry

        rng = random.Random(number)
        lr, units = math.exp(rng.uniform(math.log(1e-4), 0.0)), round(math.exp(rng.uniform(math.log(8), math.log(512))))
        run = f"t{number:04d}"
        pruned = not running and number % 5 == 4
        epochs = 2 if running else (6 if pruned else EPOCHS)
        values = curve(number, epochs)
        self.curves[run] = values
        best = min(range(epochs), key=values.__getitem__)
        self.trials.append(
            TrialEntry(
                number=number,
                state="running" if running else ("pruned" if pruned else "finished"),
                run=run,
                params={LR: lr, UNITS: units},
                objective=values[best],
                best_epoch=best + 1,
                epochs_done=epochs,
                slot=f"cpu{number % 2}",
                started_at=self.began + 30 * number,
                ended_at=None if running else self.began + 60 + 30 * number,
            )
        )

    def now(self, refresh: int) -> float:
        """The wall time at step ``refresh``."""
        return 2000.0 + refresh if self.clock is None else self.clock()

    def step(self, refresh: int) -> None:
        """One second of a busy sweep: the training trials one epoch on; every third time one ends, one starts.

        The trials are replaced as a whole: the screen's reading thread may be reading them meanwhile."""
        trials = list(self.trials)
        for i, trial in enumerate(trials):
            if trial.state != "running":
                continue
            run = trial.run
            values = self.curves[run] = curve(trial.number, trial.epochs_done + 1)
            best = min(range(len(values)), key=values.__getitem__)
            update = {"epochs_done": len(values), "objective": values[best], "best_epoch": best + 1}
            if refresh % 3 == 0 and i == min(n for n, t in enumerate(trials) if t.state == "running"):
                update.update(state="finished", ended_at=self.now(refresh))
            trials[i] = trial.model_copy(update=update)
        self.trials = trials
        if refresh % 3 == 0:
            self.add(len(self.trials), running=True)

    def load_sweep(self, sweep_dir: Path) -> Any:
        from tuitrain.sweep.layout import SweepPaths
        from tuitrain.sweep.status import SweepRecord, SweepStatus

        status = SweepStatus(
            sweep_id=sweep_dir.name,
            name="bench",
            state="running",
            created_at=self.began,
            trials_planned=self.planned,
            slots=["cpu0", "cpu1"],
            trials=list(self.trials),
        )
        status.update_best()
        return SweepRecord(SweepPaths(sweep_dir), status, "running", None, list(self.trials))

    def load_sweep_spec(self, sweep_dir: Path) -> Any:
        return self.spec

    def load(self, run_dir: Path) -> Any:
        values = self.curves[Path(run_dir).name]
        return SimpleNamespace(series=lambda: {"val_loss": values})

    def epoch_series(self, run_dir: Path) -> dict[str, list[float]]:
        return {"val_loss": self.curves[Path(run_dir).name]}


class SweepOnDisk:
    """The busy sweep of :class:`BenchSource` written as its controller and trainers write it, for the screen
    to read through the dashboard's own run source: ``sweep.toml``, ``sweep.json`` replaced atomically
    once a second, each trial's ``events.jsonl`` appended an epoch at a time (:class:`EventWriter`)."""

    def __init__(self, runs_root: Path, trials: int) -> None:
        from tuitrain.runs import EventWriter
        from tuitrain.sweep.layout import SweepPaths
        from tuitrain.sweep.spec import save_sweep

        self.paths = SweepPaths(Path(runs_root) / "sweeps" / "20261130-000000-bench")
        self.paths.trials.mkdir(parents=True)
        self.model = BenchSource(self.paths.root, trials, clock=time.time)
        save_sweep(self.model.spec, self.paths.spec)
        self.writers: dict[str, EventWriter] = {}
        self.written: dict[str, int] = {}
        self.ended: set[str] = set()
        self.sync()

    def sync(self) -> None:
        """Append the epochs the trials trained since the last call, end the runs that ended, write sweep.json."""
        from tuitrain.runs import EpochEnded, EventWriter, RunFinished
        from tuitrain.sweep.status import write_sweep_status

        for trial in self.model.trials:
            run = trial.run
            if run not in self.writers:
                (self.paths.trials / run).mkdir()
                self.writers[run] = EventWriter(self.paths.trials / run / "events.jsonl")
                self.written[run] = 0
            writer, values = self.writers[run], self.model.curves[run]
            for epoch in range(self.written[run] + 1, len(values) + 1):
                logs = {"loss": values[epoch - 1] * 0.8, "val_loss": values[epoch - 1]}
                writer.write(EpochEnded(epoch=epoch, logs=logs, learning_rate=0.001, epoch_seconds=1.0))
            self.written[run] = len(values)
            if not trial.active and run not in self.ended:
                ended = "finished" if trial.state == "finished" else "stopped"  # pruned: stopped by the pruner
                writer.write(RunFinished(status=ended, epochs_done=len(values)))
                writer.close()
                self.ended.add(run)
        write_sweep_status(self.paths, self.model.load_sweep(self.paths.root).status)


def write_sweep(runs_root: Path, trials: int, seconds: int) -> None:
    """Run the sweep on disk for ``seconds`` seconds, a step a second (``--write``: the benchmark's writer
    process, so that what it costs is not counted as the dashboard's)."""
    disk = SweepOnDisk(runs_root, trials)
    print("ready", flush=True)
    for refresh in range(1, seconds + 1):
        time.sleep(1.0)
        disk.model.step(refresh)
        disk.sync()


def screen_app(screen: Any, *, as_dashboard: bool = False) -> Any:
    """A bare app with the dashboard's stylesheet showing ``screen``; ``as_dashboard``: it also does what
    the dashboard does with its heap once started (a tree from before that: nothing)."""
    from textual.app import App

    from tuitrain.ui.app import APP_CSS_PATH

    freeze = None
    if as_dashboard:
        try:
            from tuitrain.ui.heap import FREEZE_AFTER, freeze_startup_heap
        except ImportError:
            pass
        else:
            freeze = (FREEZE_AFTER, freeze_startup_heap)

    class Bench(App[None]):
        CSS_PATH = APP_CSS_PATH

        def on_mount(self) -> None:
            self.push_screen(screen)
            if freeze is not None:
                self.set_timer(*freeze)

    return Bench()


async def measure(trials: int, refreshes: int) -> dict[str, Any]:
    """First full draw, each refresh's wall and CPU seconds, chart builds, an empty refresh, plain plotext."""
    import plotext

    from tuitrain.ui.screens.sweep import SweepScreen

    sweep_dir = Path("runs/sweeps/20261130-000000-bench")
    source = BenchSource(sweep_dir, trials)
    seconds = [0.0]  # the pacer's clock: one second per refresh, as in a real sweep
    paced = "pacer_clock" in inspect.signature(SweepScreen).parameters
    options: dict[str, Any] = {"pacer_clock": lambda: seconds[0]} if paced else {}
    screen = SweepScreen(sweep_dir, source, refresh_seconds=None, clock=lambda: 3000.0, **options)  # type: ignore[arg-type]

    def draw_once() -> None:
        record = source.load_sweep(sweep_dir)
        screen.show_sweep(record, screen._read_curves(record))

    def builds() -> int:
        return screen.scatter.build_count + screen.curves.build_count

    async with screen_app(screen).run_test(size=(200, 60)) as pilot:
        for _ in range(200):
            if screen.dists:
                break
            await pilot.pause(0.02)
        start = time.perf_counter()
        draw_once()
        await pilot.pause()
        first = time.perf_counter() - start
        times, cpu, empty = [], [], []
        built = builds()
        charts = (screen.scatter, screen.curves)
        counts = [c.build_count for c in charts]
        costs: list[list[float]] = [[], []]
        rebuilt_at: list[list[float]] = [[], []]
        loop_cpu = time.process_time()
        for refresh in range(1, refreshes + 1):
            seconds[0] += 1.0
            source.step(refresh)
            start, start_cpu = time.perf_counter(), time.process_time()
            draw_once()
            await pilot.pause()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            start = time.perf_counter()
            await pilot.pause()
            empty.append(time.perf_counter() - start)
            for i, chart in enumerate(charts):
                if chart.build_count != counts[i]:
                    counts[i] = chart.build_count
                    costs[i].append(getattr(chart, "build_seconds", math.nan))
                    rebuilt_at[i].append(seconds[0])
        loop_cpu = time.process_time() - loop_cpu
        built = builds() - built
        sizes = [(c.size.width, c.size.height) for c in (screen.scatter, screen.curves)]
        shown = [source.curves[f"t{int(k):04d}"] for k in screen.curves.series]

    live = await measure_live(trials, refreshes)
    xs = [t.params[LR] for t in source.trials if t.objective is not None]
    ys = [t.objective for t in source.trials if t.objective is not None]
    raw, raw_cpu = [], []
    for _ in range(refreshes):
        start, start_cpu = time.perf_counter(), time.process_time()
        (sw, sh), (cw, ch) = sizes
        plotext.clear_figure()
        plotext.plotsize(sw, sh)
        plotext.xscale("log")
        plotext.scatter(xs, ys)
        plotext.build()
        plotext.clear_figure()
        plotext.plotsize(cw, ch)
        for values in shown:
            plotext.plot(list(range(1, len(values) + 1)), values)
        plotext.build()
        raw.append(time.perf_counter() - start)
        raw_cpu.append(time.process_time() - start_cpu)
    return {
        "first": first,
        "times": times,
        "cpu": cpu,
        "built": built,
        "empty": empty,
        "mean_cpu": loop_cpu / refreshes,
        "build_cost": [statistics.mean(c) if c else math.nan for c in costs],
        "gaps": [(at[-1] - at[0]) / (len(at) - 1) if len(at) > 1 else math.nan for at in rebuilt_at],
        "paced": paced,
        "live_cpu": live,
        "raw": statistics.median(raw),
        "raw_cpu": statistics.median(raw_cpu),
    }


async def measure_live(trials: int, seconds: int) -> float:
    """CPU seconds per second of a sweep screen left to itself for ``seconds`` seconds, as a user's
    dashboard runs: another process moves a sweep on disk on once a second, as its controller and
    trainers would (two trials one epoch further, one ending every third second: :class:`SweepOnDisk`),
    and the screen reads it through the dashboard's own run source (``sweep.json`` parsed, the overlaid
    trials' event logs read) on its own timer and thread, then draws and paints. Every thread of the
    dashboard's process is counted. No test pilot: :meth:`Pilot.pause` walks every widget and waits for
    idle, which costs CPU of its own (the "empty refresh" above) that a user's dashboard does not spend,
    so this is the goal's figure."""
    import subprocess
    import sys
    import tempfile

    from tuitrain.run_source import LocalRunsSource
    from tuitrain.ui.screens.sweep import SweepScreen

    with tempfile.TemporaryDirectory() as root:
        command = [sys.executable, __file__, "--write", root, "--trials", str(trials), "--seconds", str(seconds + 10)]
        writer = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready", "the writer failed"
            source = LocalRunsSource(Path(root))
            screen = SweepScreen(Path(root) / "sweeps" / "20261130-000000-bench", source)
            async with screen_app(screen, as_dashboard=True).run_test(size=(200, 60)):
                await asyncio.sleep(3.0)  # the first full draw (and the heap frozen), out of the figure
                start = time.process_time()
                await asyncio.sleep(seconds)
                return (time.process_time() - start) / seconds
        finally:
            writer.kill()
            writer.wait()


def report(trials: int, refreshes: int) -> None:
    """Measure and print the sweep screen's figures (``bench/ui_bench.py`` prints them beside its own)."""
    figures = asyncio.run(measure(trials, refreshes))
    times, cpu, raw, raw_cpu = figures["times"], figures["cpu"], figures["raw"], figures["raw_cpu"]
    median, worst = statistics.median(times), max(times)
    median_cpu, worst_cpu = statistics.median(cpu), max(cpu)
    print(f"sweep screen, {trials} trials, 200x60: first full draw {figures['first'] * 1000:.0f} ms")
    print(
        f"  per refresh (once a second): wall median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms;"
        f" CPU median {median_cpu * 1000:.1f} ms, worst {worst_cpu * 1000:.1f} ms;"
        f" {figures['built']} chart builds in {refreshes} refreshes;"
        f" an empty refresh {statistics.median(figures['empty']) * 1000:.1f} ms"
    )
    (scatter_cost, curves_cost), (scatter_gap, curves_gap) = figures["build_cost"], figures["gaps"]

    def cost(seconds: float) -> str:
        return "not measured (a tree before the pacing)" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms CPU"

    print(
        f"  charts {'paced by their build cost' if figures['paced'] else 'drawn every refresh (no pacing)'}:"
        f" scatter build {cost(scatter_cost)}, rebuilt every {scatter_gap:.1f} s;"
        f" curves build {cost(curves_cost)}, rebuilt every {curves_gap:.1f} s"
    )
    mean_cpu, live_cpu = figures["mean_cpu"], figures["live_cpu"]
    print(
        f"  mean CPU per second, driven by the test pilot (two pauses a refresh, their own work included):"
        f" {mean_cpu * 1000:.1f} ms, {mean_cpu / FRAME:.0%} of one 30 fps frame"
    )
    print(
        f"  mean CPU per second, the screen left to itself in real time for {refreshes} s (the goal's figure):"
        f" {live_cpu * 1000:.1f} ms, {live_cpu / FRAME:.0%} of one 30 fps frame (goal: at most 100%)"
    )
    print(f"  plain plotext, same charts only: wall {raw * 1000:.1f} ms, CPU {raw_cpu * 1000:.1f} ms")
    print(
        f"  ratio tuitrain / plain plotext: {median / raw:.2f} (CPU {median_cpu / raw_cpu:.2f});"
        f" share of one 30 fps frame per second: median {median / FRAME:.0%}, worst {worst / FRAME:.0%}"
        f" (CPU median {median_cpu / FRAME:.0%}, worst {worst_cpu / FRAME:.0%}; goal: at most 100%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--refreshes", type=int, default=60)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)  # the writer process of measure_live
    parser.add_argument("--seconds", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write is not None:
        write_sweep(args.write, args.trials, args.seconds)
        return
    report(args.trials, args.refreshes)


if __name__ == "__main__":
    main()
