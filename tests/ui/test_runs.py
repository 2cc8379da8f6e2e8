"""The runs screen on a real runs folder (written with the runs package): list, compare, delete, re-run."""

from __future__ import annotations

from pathlib import Path

from runfiles import ScreenApp, experiment, overfitting_history, wait_for_screen, wait_until, write_run

from tuitrain.run_source import LocalRunsSource
from tuitrain.spec import Experiment
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.screens.runs import RunsScreen


def runs_folder(root: Path) -> tuple[Path, Path, Path]:
    history = overfitting_history(10)
    shorter = [{k: v * 1.1 for k, v in logs.items()} for logs in history[:6]]
    a = write_run(root, "20240101-000001-a", history, start=1000.0)
    b = write_run(root, "20240101-000002-b", shorter, final="stopped", start=2000.0, epochs=10)
    c = write_run(root, "20240101-000003-c", history[:2], final=None, start=3000.0, epochs=10)
    return a, b, c


async def test_lists_compares_and_deletes_real_runs(tmp_path: Path) -> None:
    a, b, c = runs_folder(tmp_path)
    screen = RunsScreen(LocalRunsSource(tmp_path), refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        # Newest first: c (running), b (stopped), a (finished).
        assert [str(screen.table.get_row_at(i)[2]) for i in range(3)] == ["running", "stopped", "finished"]
        row_a = screen.table.get_row(str(a))
        assert [str(cell) for cell in row_a[3:8]] == ["10/10", "0.4 @4", "0.88 @4", "0:21", "digits"]

        await pilot.press("down", "space", "space", "c")
        await wait_until(pilot, lambda: screen.has_class("-comparing"))
        await pilot.pause()
        series = screen.chart.series
        assert len(series[str(a)].values) == 10 and len(series[str(b)].values) == 6
        assert series[str(a)].values[3] == 0.40

        # Delete a finished run: asked, then gone from disk and from the table.
        screen.table.move_cursor(row=screen.table.get_row_index(str(a)))
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: not a.exists() and screen.table.row_count == 2)

        # The running run (its trainer is this live process) is refused.
        screen.table.move_cursor(row=screen.table.get_row_index(str(c)))
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.screen is screen and c.exists()


class NoTrainer(LocalRunsSource):
    """A local source whose starts make a run directory but no trainer."""

    def __init__(self, runs_root: Path) -> None:
        super().__init__(runs_root)
        self.started: list[Experiment] = []

    def start(self, experiment: Experiment, preset_dir: Path | None = None) -> Path:
        self.started.append(experiment)
        return write_run(self.runs_root, "20240101-000009-rerun", [], final=None, epochs=7)


async def test_rerun_starts_the_recorded_experiment_and_asks_for_its_monitor(tmp_path: Path) -> None:
    exp = experiment(epochs=7, patience=4)
    write_run(tmp_path, "20240101-000001-a", overfitting_history(7), exp=exp)
    source = NoTrainer(tmp_path)
    app = ScreenApp(RunsScreen(source, refresh_seconds=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen.table.row_count == 1)
        await pilot.press("R")
        await wait_until(pilot, lambda: bool(app.chosen))
        assert source.started == [exp]
        assert app.chosen == [tmp_path / "20240101-000009-rerun"]


def test_the_local_source_rereads_only_changed_or_active_runs(tmp_path: Path, monkeypatch) -> None:
    import tuitrain.runs

    a, b, c = runs_folder(tmp_path)
    reader = LocalRunsSource(tmp_path)
    assert [r.run_dir for r in reader.list()] == [c, b, a]
    loaded: list[Path] = []
    real_load = tuitrain.runs.load_run
    monkeypatch.setattr(tuitrain.runs, "load_run", lambda d: loaded.append(Path(d)) or real_load(d))

    rows = reader.list()
    assert loaded == [c]  # only the running run (its trainer may have died without a word)
    assert [r.state for r in rows] == ["running", "stopped", "finished"]

    write_run(tmp_path, "20240101-000004-d", overfitting_history(3), start=4000.0)
    assert reader.list()[0].run_dir.name == "20240101-000004-d"
