"""The monitor screen over a fake run source: scripted events in, charts, markers, flags and header out."""

from __future__ import annotations

from pathlib import Path

from runfiles import (
    FakeSource,
    ScreenApp,
    epoch_events,
    experiment,
    overfitting_history,
    started_event,
    wait_for_screen,
    wait_until,
)

from tuitrain.runs.events import BatchProgress, RunFailed, RunFinished
from tuitrain.ui.messages import RunEvent
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.screens.monitor import MonitorScreen


def make_screen(tmp_path: Path, source: FakeSource, **kwargs) -> MonitorScreen:
    return MonitorScreen(tmp_path / "run-1", source, clock=lambda: 1030.0, **kwargs)


async def test_finished_run_shows_full_history_markers_and_summary(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment(epochs=10, patience=2))
    source.events(run_dir).add(
        [
            started_event(),
            *epoch_events(overfitting_history(10)),
            RunFinished(status="finished", epochs_done=10, time=1020.0),
        ]
    )
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.tail_worker.result == "ended"
        assert screen.run.state == "finished"
        assert screen.run.epochs_done == 10

        loss = screen.loss_chart
        assert loss.series["val_loss"].values[3] == 0.40
        assert len(loss.series["loss"].values) == 10
        markers = loss.markers
        assert markers.best_epoch == 4
        assert (markers.stop_epoch, markers.kept_epoch, markers.would_stop) == (6, 4, True)
        assert markers.overfitting_from == 4
        assert screen.metric_chart.metric == "accuracy"
        assert screen.metric_chart.markers.best_epoch == 4  # best val_accuracy 0.88 at epoch 4

        text = screen.flags_panel.text
        assert "Overfitting" in text and "epoch 4" in text
        assert "Early stopping (patience 2) would stop at epoch 6 and keep epoch 4's weights (val_loss 0.400)." in text
        header = screen.header.text
        assert "[finished]" in header and "CPU" in header and "epoch 10/10" in header
        assert "elapsed 0:20" in header  # started at 1000, finished at 1020


async def test_live_tail_updates_charts_and_progress(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment(epochs=10))
    events = source.events(run_dir)
    events.add([started_event(), *epoch_events(overfitting_history(2))])
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 2)
        assert screen.run.state == "running"
        await pilot.pause()
        drawn, version = screen.loss_chart.replot_count, screen.loss_chart.version

        # A burst of batch progress collapses; the newest one wins.
        events.add(
            BatchProgress(epoch=3, step=s, steps=10, logs={"loss": 0.3}, time=1005.0 + s / 10) for s in range(1, 6)
        )
        await wait_until(pilot, lambda: "batch 5/10 of epoch 3" in screen.header.text)
        assert "ETA" in screen.header.text
        await pilot.pause()
        # Progress alone does not redraw the charts.
        assert (screen.loss_chart.replot_count, screen.loss_chart.version) == (drawn, version)

        events.add(epoch_events(overfitting_history(5)[2:], start=3))
        await wait_until(pilot, lambda: screen.run.epochs_done == 5)
        # Charts follow within CHART_INTERVAL (they redraw at most twice a second while a run streams).
        await wait_until(pilot, lambda: len(screen.loss_chart.series["val_loss"].values) == 5)
        await pilot.pause()
        assert screen.loss_chart.replot_count > drawn
        assert screen.run.progress is None
        assert "epoch 5/10" in screen.header.text


async def test_dead_trainer_shows_crashed_and_ui_keeps_working(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment(), alive=True, error="MemoryError: out of memory")
    events = source.events(run_dir)
    events.add([started_event(), *epoch_events(overfitting_history(3))])
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 3)
        source.alive = False
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.tail_worker.result == "crashed"
        assert screen.run.state == "crashed"
        assert "[crashed]" in screen.header.text
        assert "MemoryError: out of memory" in screen.flags_panel.text
        assert len(screen.loss_chart.series["loss"].values) == 3
        # Stop and detach are gone (nothing to stop); the smoothing toggle still works.
        assert screen.check_action("stop_run", ()) is False
        await pilot.press("m")
        await pilot.pause()
        assert screen.loss_chart.smoothed


async def test_stop_asks_then_calls_stop_function(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment())
    source.events(run_dir).add([started_event(), *epoch_events(overfitting_history(1))])
    stopped = source.stopped
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 1)
        await pilot.press("s")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")  # changed my mind
        await pilot.pause()
        assert stopped == []
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: stopped == [run_dir])
        assert pilot.app.screen is screen  # stopping keeps the monitor open: the run says when it stopped


async def test_detach_leaves_the_run_and_goes_back(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment())
    source.events(run_dir).add([started_event()])
    stopped = source.stopped
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: screen.run.state == "running")
        worker = screen.tail_worker
        await pilot.press("d")
        await pilot.pause()
        assert pilot.app.screen is not screen
        assert stopped == []
        await wait_until(pilot, lambda: worker.is_cancelled)  # the tail worker went with the screen


async def test_metric_selector_and_smoothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment())
    history = [dict(logs, auc=0.5 + i / 100, val_auc=0.5 + i / 200) for i, logs in enumerate(overfitting_history(6))]
    source.events(run_dir).add([started_event(), *epoch_events(history)])
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 6)
        await pilot.pause()
        assert screen.metric_chart.metric == "accuracy"
        await pilot.press("n")
        await pilot.pause()
        assert screen.metric_chart.metric == "auc"
        assert screen.metric_chart.series["val_auc"].values[0] == 0.5
        titles = {c.title for c in pilot.app.get_system_commands(screen)}
        assert "Show auc" in set(t for t in (cmd.title for cmd in screen.palette_commands())) | titles
        await pilot.press("m")
        await pilot.pause()
        assert screen.loss_chart.smoothed and screen.metric_chart.smoothed
        assert screen.loss_chart.focused
        await pilot.press("z")
        await pilot.pause()
        assert not screen.loss_chart.focused and not screen.metric_chart.focused
        assert "y: all values" in str(screen.query_one("#curve-mode").render())


async def test_diverged_run_is_marked(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment())
    nan = float("nan")
    history = [{"loss": 2.3, "val_loss": 2.2}, {"loss": 40.0, "val_loss": 1e9}, {"loss": nan, "val_loss": nan}]
    source.events(run_dir).add(
        [
            started_event(),
            *epoch_events(history),
            RunFailed(status="diverged", error="loss became NaN at epoch 3, batch 2"),
        ]
    )
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.run.state == "diverged"
        assert screen.loss_chart.first_bad_epoch == 3
        assert screen.loss_chart.error is None
        assert "loss became NaN" in screen.flags_panel.text
        assert "[diverged]" in screen.header.text


async def test_usable_at_80x24(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = FakeSource(exp=experiment())
    source.events(run_dir).add([started_event(), *epoch_events(overfitting_history(10))])
    screen = make_screen(tmp_path, source)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 10)
        await pilot.pause()
        assert screen.header.region.height == 2
        assert screen.flags_panel.region.height >= 3
        assert screen.loss_chart.region.height >= 6
        assert screen.loss_chart.region.width >= 30


async def test_a_burst_of_epochs_redraws_the_charts_once(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    screen = make_screen(tmp_path, FakeSource(exp=experiment(epochs=40)), follow=False)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        screen.post_message(RunEvent(run_dir, started_event(epochs=40)))
        for event in epoch_events(overfitting_history(10)):
            screen.post_message(RunEvent(run_dir, event))
        await wait_until(pilot, lambda: screen.run.epochs_done == 10)
        # Count the drawings that give the charts new data; a chart also replots when the layout gives it
        # a new size (the flags panel growing a line), which is not what a burst must not multiply.
        draws: list[int] = []
        draw_charts = screen._draw_charts

        def counting_draw() -> None:
            draws.append(screen.run.epochs_done)
            draw_charts()

        screen._draw_charts = counting_draw  # type: ignore[method-assign]
        await pilot.pause(0.1)
        draws.clear()
        history = overfitting_history(10)
        for event in epoch_events(history + history, start=11):
            screen.post_message(RunEvent(run_dir, event))
        await wait_until(pilot, lambda: len(screen.loss_chart.series["loss"].values) == 30)
        await pilot.pause()
        assert draws == [30]


def test_only_batch_progress_of_the_same_run_is_replaceable(tmp_path: Path) -> None:
    run_dir, other = tmp_path / "run-1", tmp_path / "run-2"
    batch = RunEvent(run_dir, BatchProgress(epoch=1, step=1, steps=10))
    newer = RunEvent(run_dir, BatchProgress(epoch=1, step=2, steps=10))
    assert batch.can_replace(newer)
    assert not batch.can_replace(RunEvent(other, BatchProgress(epoch=1, step=2, steps=10)))
    assert not batch.can_replace(RunEvent(run_dir, epoch_events(overfitting_history(1))[0]))
    assert not RunEvent(run_dir, epoch_events(overfitting_history(1))[0]).can_replace(newer)
