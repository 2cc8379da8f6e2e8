"""Faults in real trainer processes (issue 9): best.keras after kill -9, two stop signals, odd names, OOM advice."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import pytest
from enginekit import digits
from typer.testing import CliRunner

from tuitrain import launcher, presets, runs
from tuitrain.cli import app
from tuitrain.engine import trainer
from tuitrain.engine.device import DeviceInfo
from tuitrain.spec import Experiment


def _wait_for(predicate, timeout: float = 180.0, what: str = "the run") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _best_on_disk_is_the_best(run_dir: Path) -> bool:
    """The trainer says best.keras holds the best epoch recorded so far, and a later epoch has ended."""
    record = runs.load_run(run_dir)
    best = record.best_by_monitor
    return best is not None and record.best_saved_epoch == best[0] and record.epochs_done >= best[0] + 1


@pytest.mark.slow
def test_after_kill_9_best_keras_holds_the_epoch_the_record_names(tmp_path: Path) -> None:
    """A new best reaches disk while training goes on; after kill -9 the file and the record agree."""
    exp = presets.load("digits-overfit", ["training.epochs=400"]).experiment
    handle = launcher.start_run(exp, tmp_path)
    try:
        _wait_for(lambda: _best_on_disk_is_the_best(handle.run_dir), what="a best epoch saved by the trainer")
        os.kill(handle.pid, signal.SIGKILL)
        handle.process.wait(timeout=30)
    finally:
        if handle.process.poll() is None:
            handle.process.kill()
    record = runs.load_run(handle.run_dir)
    assert record.state == "crashed"
    saved = record.best_saved_epoch
    assert saved is not None and saved <= record.best_by_monitor[0]
    # The file holds exactly the epoch the record names: its validation loss is that epoch's.
    prep = trainer.prepare(exp, allow_download=False, log=lambda *a: None)
    model = keras.saving.load_model(record.paths.best_model, safe_mode=True)
    val_loss = model.evaluate(prep.pipelines.val, verbose=0)[0]
    recorded = record.history[record.epochs.index(saved)]["val_loss"]
    assert math.isclose(val_loss, recorded, rel_tol=1e-3), (val_loss, recorded, saved)
    shown = CliRunner().invoke(app, ["runs", "show", handle.run_dir.name, "--runs-dir", str(tmp_path)])
    assert shown.exit_code == 0 and f"best.keras: epoch {saved}" in shown.output
    if saved < record.best_by_monitor[0]:
        assert f"best.keras holds epoch {saved}, not the best epoch" in shown.output


# One batch of this model takes seconds on a small CPU: two signals land inside it.
SLOW_BATCHES = [
    "training.epochs=100",
    "training.batch_size=1347",
    "dataset.train_subset=1347",
    "dataset.val_subset=10",
    'model.layers=[{kind="dense", units=4096, activation="relu"}, {kind="dense", units=4096, activation="relu"}]',
]


def _training(run_dir: Path) -> bool:
    return runs.load_run(run_dir).started is not None


@pytest.mark.slow
def test_two_sigterms_within_one_batch_stop_the_run_at_once(tmp_path: Path) -> None:
    exp = digits(*SLOW_BATCHES, base="digits-mlp")
    handle = launcher.start_run(exp, tmp_path)
    try:
        _wait_for(lambda: _training(handle.run_dir), what="training to start")
        time.sleep(1.0)  # inside the first (seconds-long) batch
        os.kill(handle.pid, signal.SIGTERM)
        time.sleep(0.01)
        os.kill(handle.pid, signal.SIGTERM)
        assert launcher.wait(handle, timeout=120) == 0
    finally:
        if handle.process.poll() is None:
            handle.process.kill()
    record = runs.load_run(handle.run_dir)
    assert record.state == "stopped", record.reason
    assert "stopped at once by a second SIGTERM" in (record.reason or "")
    assert record.status is not None and record.status.state == "stopped"
    assert not [p for p in handle.run_dir.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.slow
def test_two_sigterms_within_one_batch_stop_a_warm_workers_trial_at_once(tmp_path: Path) -> None:
    """The sweep's warm worker follows the trainer's rules: the second request records the trial as
    stopped and ends the worker without waiting for the batch."""
    trials = tmp_path / "trials"
    run_dir = launcher.prepare_run(digits(*SLOW_BATCHES, base="digits-mlp"), trials)
    worker = launcher.start_worker(trials, tmp_path / "worker.log")
    try:
        launcher.record_trainer(run_dir, worker.pid)
        assert worker.stdin is not None
        worker.stdin.write(f"{run_dir.resolve()}\n".encode())
        worker.stdin.flush()
        _wait_for(lambda: _training(run_dir), what="training to start")
        time.sleep(1.0)  # inside the first (seconds-long) batch
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    record = runs.load_run(run_dir)
    assert record.state == "stopped" and "stopped at once by a second SIGTERM" in (record.reason or "")
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.slow
def test_ctrl_c_twice_on_tuitrain_run_stops_at_once_and_keeps_the_record(tmp_path: Path) -> None:
    args = [*(f"--set={s}" for s in SLOW_BATCHES), "--runs-dir", str(tmp_path)]
    cli = subprocess.Popen(
        [sys.executable, "-c", "from tuitrain.cli import app; app()", "run", "digits-mlp", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=launcher.trainer_env(),
    )
    try:
        _wait_for(lambda: any(p.is_dir() for p in tmp_path.iterdir()), what="the run folder")
        (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
        _wait_for(lambda: _training(run_dir), what="training to start")
        time.sleep(1.0)
        cli.send_signal(signal.SIGINT)
        time.sleep(0.01)
        cli.send_signal(signal.SIGINT)
        out, _ = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    assert cli.returncode == 0, out
    assert "stopped at once by a second SIGINT" in out
    record = runs.load_run(run_dir)
    assert record.state == "stopped" and not record.paths.final_model.exists()


@pytest.mark.parametrize("name", ["größe", "-leading dash", "🚀 rocket", "日本語"])
def test_any_printable_name_trains_end_to_end(tmp_path: Path, name: str) -> None:
    exp = digits(f"name={name!r}".replace("'", '"'))
    run_dir = launcher.prepare_run(exp, tmp_path)
    assert not run_dir.name.split("-", 2)[-1].startswith("-")
    assert trainer.run(run_dir, allow_download=False) == trainer.EXIT_OK, runs.load_run(run_dir).reason
    record = runs.load_run(run_dir)
    assert record.state == "finished" and record.experiment_name == name
    # A warm worker trains the next trial in the same process: no best-model writer may outlive a run.
    assert not [t for t in threading.enumerate() if t.name == "tuitrain-best-model"]


def _unchecked(*overrides: str) -> Experiment:
    """A digits experiment with overrides, validated field by field but not against this machine's memory."""
    data = presets.apply_overrides(presets.read_preset_data(presets.find("digits-mlp")), list(overrides))
    return presets.experiment_from_data(data)


def test_out_of_memory_names_the_model_or_the_batch_and_the_fix() -> None:
    cpu = DeviceInfo("cpu", "CPU", False, "")
    big_model = _unchecked('model.layers=[{kind="dense", units=30000}, {kind="dense", units=30000}]')
    message = trainer.failure_message(MemoryError(), big_model, cpu)
    assert message.startswith("out of memory: the model's ") and "parameters need about" in message
    assert "use fewer or smaller layers" in message and "smaller batch" not in message
    big_batch = _unchecked("training.batch_size=1000000", 'model.layers=[{kind="dense", units=2048}]')
    message = trainer.failure_message(MemoryError(), big_batch, cpu)
    assert "the activations of a batch of 1,000,000 need about" in message and "training.batch_size = " in message
