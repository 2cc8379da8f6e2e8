"""The monitor on real run directories written with the runs package (no TensorFlow), and one real run.

The run directories are made on the spot with the trainer's own writer; the "trainer" of a live run is
this test process (alive) or a real subprocess killed with SIGKILL (crashed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runfiles import (
    ScreenApp,
    StopRecorder,
    append_epochs,
    append_event,
    experiment,
    overfitting_history,
    wait_until,
    write_run,
)

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs import BatchProgress, FlagRaised, RunFinished, RunPaths
from tuitrain.runs.tail import DirectoryProbe, LogProblem, tail_run
from tuitrain.ui.screens.monitor import MonitorScreen


def monitor(run_dir: Path, **kwargs) -> MonitorScreen:
    """The monitor with fast polling and a frozen clock, on a local source (the run directory's folder)."""
    source = kwargs.pop("source", None) or LocalRunsSource(run_dir.parent, pace=(0.01, 0.05))
    return MonitorScreen(run_dir, source, clock=lambda: 1030.0, **kwargs)


async def test_finished_run_dir_shows_history_markers_and_flags(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "run-1", overfitting_history(10), exp=experiment(epochs=10, patience=2))
    # The trainer's own flag is in the log too: shown once, not twice.
    append_event(
        run_dir,
        FlagRaised(epoch=6, criterion="early_stopping", severity="info", message="Early stopping would stop here."),
    )
    screen = monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.tail_worker.result == "ended"
        run = screen.run
        assert (run.state, run.epochs_done, run.device, run.params) == ("finished", 10, "CPU", 12345)
        assert screen.loss_chart.series["val_loss"].values == tuple(logs["val_loss"] for logs in overfitting_history())
        markers = screen.loss_chart.markers
        assert (markers.best_epoch, markers.stop_epoch, markers.kept_epoch) == (4, 6, 4)
        assert markers.would_stop and markers.overfitting_from == 4
        assert "would stop 6" in dict(screen.loss_chart.marker_labels()).values()
        text = screen.flags_panel.text
        assert "Early stopping (patience 2) would stop at epoch 6 and keep epoch 4's weights (val_loss 0.400)." in text
        assert "Lowest validation loss: 0.400 at epoch 4" in text
        assert text.count("epoch 6: Early stopping") == 1  # the trainer's flag and ours are one


async def test_live_run_dir_is_tailed_as_it_grows(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "run-1", overfitting_history(2), final=None, epochs=10)
    screen = monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 2)
        assert screen.run.state == "running"
        assert len(screen.loss_chart.series["loss"].values) == 2

        for step in (3, 6, 9):
            append_event(run_dir, BatchProgress(epoch=3, step=step, steps=10, logs={"loss": 0.3}, time=1005.0))
        # The header is redrawn once per burst of events, just after the run took them in.
        await wait_until(pilot, lambda: "batch 9/10 of epoch 3" in screen.header.text)

        append_epochs(run_dir, overfitting_history(6)[2:], first=3)
        await wait_until(pilot, lambda: screen.run.epochs_done == 6)
        # Charts follow within CHART_INTERVAL (they redraw at most twice a second while a run streams).
        await wait_until(pilot, lambda: len(screen.loss_chart.series["val_loss"].values) == 6)
        assert screen.loss_chart.markers.best_epoch == 4
        assert screen.run.progress is None

        append_event(run_dir, RunFinished(status="stopped", reason="stopped by SIGTERM", epochs_done=6, time=1014.0))
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.run.state == "stopped"
        assert "[stopped]" in screen.header.text


async def test_killed_trainer_shows_crashed_with_its_last_output(tmp_path: Path) -> None:
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        run_dir = write_run(tmp_path, "run-1", overfitting_history(3), final=None, pid=trainer.pid, epochs=10)
        RunPaths(run_dir).trainer_log.write_text("Epoch 4/10\nKilled while saving\n")
        screen = monitor(run_dir)
        async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: screen.run.epochs_done == 3)
            assert screen.run.state == "running"
            os.kill(trainer.pid, signal.SIGKILL)
            trainer.wait()
            await wait_until(pilot, lambda: screen.run.state == "crashed")
            await pilot.pause()
            assert screen.tail_worker.result == "crashed"
            assert "[crashed]" in screen.header.text
            assert "Killed while saving" in screen.flags_panel.text
            assert len(screen.loss_chart.series["loss"].values) == 3  # the history stays
            # The UI keeps working: toggling smoothing redraws, back leaves.
            await pilot.press("m")
            await pilot.pause()
            assert screen.loss_chart.smoothed
            await pilot.press("escape")
            await pilot.pause()
            assert pilot.app.screen is not screen
    finally:
        if trainer.poll() is None:
            trainer.kill()
            trainer.wait()


async def test_stop_calls_the_launcher_stop_function(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "run-1", overfitting_history(2), final=None, epochs=10)
    source = StopRecorder(tmp_path)
    stopped = source.stopped
    screen = monitor(run_dir, source=source)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: screen.run.epochs_done == 2)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: stopped == [run_dir])


def test_tail_loop_reports_garbled_lines_and_stops_on_cancel(tmp_path: Path) -> None:
    from tuitrain.runs import EpochEnded

    run_dir = write_run(tmp_path, "run-1", overfitting_history(2), final=None, epochs=10)
    with open(RunPaths(run_dir).events, "ab") as fh:
        fh.write(b"{not json}\n")
    append_epochs(run_dir, overfitting_history(3)[2:], first=3)
    posted = []
    polls = iter(range(3))
    result = tail_run(DirectoryProbe(run_dir), posted.append, lambda: next(polls, None) is None, sleep=lambda s: None)
    assert result == "cancelled"
    assert [m.epoch for m in posted if isinstance(m, EpochEnded)] == [1, 2, 3]
    assert any(isinstance(m, LogProblem) and "4" in m.detail for m in posted)


@pytest.mark.slow
async def test_real_tiny_training_run_is_drawn_live(tmp_path: Path) -> None:
    """Start a real trainer (digits, 3 epochs on 200 samples) and watch it finish in the monitor."""
    from tuitrain.launcher import start_run, wait

    exp = experiment(epochs=3).model_copy(deep=True)
    exp = type(exp).model_validate({**exp.model_dump(mode="json"), "dataset": {"name": "digits", "train_subset": 200}})
    handle = start_run(exp, tmp_path / "runs", offline=True)
    try:
        screen = MonitorScreen(handle.run_dir, LocalRunsSource(tmp_path / "runs", pace=(0.1, 1.0)))
        async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 240
            while not screen.run.ended and time.monotonic() < deadline:
                await pilot.pause(0.2)
            await pilot.pause()
            await pilot.pause()
            log = RunPaths(handle.run_dir).trainer_log
            assert screen.run.state == "finished", (screen.run.reason, log.read_text()[-2000:])
            assert screen.run.epochs_done == 3
            assert len(screen.loss_chart.series["loss"].values) == 3
            assert len(screen.loss_chart.series["val_loss"].values) == 3
            assert screen.metric_chart.series["val_accuracy"].values[-1] is not None
            assert screen.run.device and "CPU" in screen.run.device
            assert "Early stopping" in screen.flags_panel.text
    finally:
        if wait(handle, timeout=30) is None and handle.process is not None:
            handle.process.kill()
            handle.process.wait()


async def test_a_missing_run_directory_is_said_once_and_not_watched(tmp_path: Path) -> None:
    screen = monitor(tmp_path / "nope")
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.tail_worker.result == "missing"
        assert screen.run.state == "pending"


async def test_a_run_worse_than_guessing_is_not_called_overfitting(tmp_path: Path) -> None:
    """The monitor knows the run's loss and classes from its experiment.toml: what guessing scores."""
    import json

    from tuitrain.presets import load

    recorded = Path(__file__).resolve().parents[1] / "data" / "histories" / "imdb_500w_rmsprop_lr100.json"
    history = json.loads(recorded.read_text(encoding="utf-8"))["history"]
    exp = load("imdb-seed", ["dataset.num_words=500", "optimizer.learning_rate=100"]).experiment
    run_dir = write_run(tmp_path, "run-1", history, exp=exp)
    screen = monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        text = screen.flags_panel.text
        assert "does worse than chance, so this is not overfitting" in text
        assert "Overfitting since" not in text
        assert screen.loss_chart.markers.overfitting_from is None


# A model that always predicts the majority class of a 90/10 data set: accuracy 0.90, loss at the class
# balance's entropy (0.325), validation loss drifting up while training loss creeps down.
_MAJORITY_VAL = [0.40, 0.36, 0.34, 0.33, 0.335, 0.345, 0.36, 0.375, 0.39, 0.41, 0.43, 0.45]
_MAJORITY_TRAIN = [0.45, 0.38, 0.35, 0.34, 0.335, 0.332, 0.330, 0.328, 0.327, 0.326, 0.325, 0.324]
MAJORITY = [
    {"loss": tr, "val_loss": va, "accuracy": 0.9, "val_accuracy": 0.9}
    for tr, va in zip(_MAJORITY_TRAIN, _MAJORITY_VAL, strict=True)
]


@pytest.mark.parametrize("shares", [[0.9, 0.1], None])
async def test_the_class_balance_from_run_started_reaches_the_analysis(
    tmp_path: Path, shares: list[float] | None
) -> None:
    """With the balance the trainer records, 90% accuracy is what guessing the majority class scores: the
    model has not learned, so the rising validation loss is not overfitting. A run recorded before the
    balance was (None) counts the classes as balanced, and 90% looks learned."""
    from tuitrain.presets import load

    exp = load("imdb-seed", ["dataset.num_words=500"]).experiment
    run_dir = write_run(tmp_path, "run-1", MAJORITY, exp=exp, val_class_shares=shares)
    screen = monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        text = screen.flags_panel.text
        if shares is not None:
            assert "the model has not learned" in text and "(0.900)" in text
            assert "verfitting since" not in text and screen.loss_chart.markers.overfitting_from is None
        else:
            assert "verfitting since epoch 4" in text and "has not learned" not in text


async def test_a_run_whose_experiment_does_not_validate_still_opens(tmp_path: Path) -> None:
    """An experiment.toml from another tuitrain version: the history is drawn with default analysis settings."""
    run_dir = write_run(tmp_path, "run-1", overfitting_history(3))
    RunPaths(run_dir).experiment.write_text('name = "x"\nfuture_field = 3\n')
    screen = monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.run.state == "finished" and screen.run.epochs_done == 3
