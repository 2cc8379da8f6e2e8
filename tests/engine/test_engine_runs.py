"""Whole runs: the CLI end to end, SIGTERM, kill -9, NaN, offline without data, errors.

The first three start real trainer processes (a few seconds each, mostly importing TensorFlow); the
others run the trainer in this process on a run directory made by the launcher.
"""

from __future__ import annotations

import csv
import os
import signal
import time
from pathlib import Path

import keras
import pytest
from enginekit import DIVERGING, SMALL, digits
from typer.testing import CliRunner

from tuitrain import launcher, presets, runs
from tuitrain.cli import app
from tuitrain.engine import trainer
from tuitrain.spec import Experiment


def _wait_for(predicate, timeout: float = 90.0, what: str = "the run") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _history_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(runs.RunPaths(run_dir).history_csv, newline="") as fh:
        return list(csv.DictReader(fh))


def _load(path: Path) -> keras.Model:
    return keras.saving.load_model(path, safe_mode=True)


@pytest.mark.slow
def test_cli_run_of_a_digits_experiment_leaves_a_complete_run_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["run", "digits-mlp", *(f"--set={s}" for s in [*SMALL, "training.epochs=2"]), "--runs-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    out = result.output
    assert "epoch 1/2" in out and "epoch 2/2" in out and "finished: 2 epochs" in out
    assert f"run directory: {run_dir}" in out and "Lowest validation loss: " in out and "best epoch" not in out

    paths = runs.RunPaths(run_dir)
    for path in (paths.experiment, paths.events, paths.status, paths.best_model, paths.final_model,
                 paths.history_csv, paths.trainer_log):  # fmt: skip
        assert path.is_file(), path
    log = runs.read_events(run_dir)
    assert not log.torn_tail and not log.bad_lines
    kinds = [type(e).__name__ for e in log.events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert kinds.count("EpochEnded") == 2
    record = runs.load_run(run_dir)
    assert record.state == "finished" and record.epochs == [1, 2]
    assert record.started is not None and record.started.params_total == 4810
    # The validation labels' class balance, for what guessing scores (10 digit classes, about a tenth each).
    shares = record.started.val_class_shares
    assert shares is not None and len(shares) == 10 and abs(sum(shares) - 1) < 1e-4 and max(shares) < 0.2
    assert [row["epoch"] for row in _history_rows(run_dir)] == ["1", "2"]
    assert runs.read_status(run_dir).state == "finished"
    for model_file in (paths.best_model, paths.final_model):
        model = _load(model_file)
        assert model.count_params() == record.started.params_total


@pytest.mark.slow
def test_sigterm_stops_after_the_current_batch_and_saves_the_final_model(tmp_path: Path) -> None:
    exp = digits("training.epochs=500", "training.batch_size=16")
    handle = launcher.start_run(exp, tmp_path)
    try:
        _wait_for(lambda: runs.load_run(handle.run_dir).epochs_done >= 1, what="the first epoch")
        assert launcher.stop_run(handle.run_dir)
        assert launcher.wait(handle, timeout=60) == 0
    finally:
        if handle.process.poll() is None:
            handle.process.kill()
    record = runs.load_run(handle.run_dir)
    assert record.state == "stopped"
    assert "stopped by SIGTERM" in (record.reason or "")
    assert runs.read_status(handle.run_dir).state == "stopped"
    assert len(_history_rows(handle.run_dir)) == record.epochs_done >= 1
    _load(record.paths.final_model)
    assert not launcher.stop_run(handle.run_dir)  # nothing left to stop


@pytest.mark.slow
def test_kill_9_leaves_a_crashed_run_whose_history_is_readable(tmp_path: Path) -> None:
    exp = digits("training.epochs=500", "training.batch_size=16")
    handle = launcher.start_run(exp, tmp_path)
    try:
        _wait_for(lambda: runs.load_run(handle.run_dir).epochs_done >= 2, what="two epochs")
        os.kill(handle.pid, signal.SIGKILL)
        handle.process.wait(timeout=30)
    finally:
        if handle.process.poll() is None:
            handle.process.kill()
    record = runs.load_run(handle.run_dir)
    assert record.state == "crashed"
    assert record.epochs_done >= 2
    assert record.epochs == list(range(1, record.epochs_done + 1))
    # The kill may land between an epoch's event and its history.csv rewrite: the file is then one
    # epoch short until a reader of the dead run completes it from the event log.
    written = [int(row["epoch"]) for row in _history_rows(handle.run_dir)]
    assert written in (record.epochs, record.epochs[:-1])
    runs.complete_history_csv(record)
    assert [int(row["epoch"]) for row in _history_rows(handle.run_dir)] == record.epochs
    # A kill in the middle of a write leaves a torn last line: the reader keeps everything before it.
    with open(record.paths.events, "ab") as fh:
        fh.write(b'{"type":"epoch_end","time":1.0,"epo')
    again = runs.load_run(handle.run_dir)
    assert again.state == "crashed" and again.torn_tail and again.epochs == record.epochs


def _prepared_run(tmp_path: Path, exp) -> Path:
    return launcher.prepare_run(exp, tmp_path)


@pytest.mark.slow
def test_nan_ends_diverged_keeping_history_and_best_model(tmp_path: Path) -> None:
    run_dir = _prepared_run(tmp_path, digits(*DIVERGING))
    assert trainer.run(run_dir) == trainer.EXIT_DIVERGED
    record = runs.load_run(run_dir)
    assert record.state == "diverged"
    assert record.reason.startswith("loss became ") and " at epoch 2, batch " in record.reason
    assert record.reason.endswith("the learning rate 1000 is too high for sgd")
    assert isinstance(record.final, runs.RunFailed) and record.final.epoch == 2 and record.final.batch >= 1
    assert record.epochs == [1] and len(_history_rows(run_dir)) == 1
    assert record.paths.best_model.is_file() and not record.paths.final_model.exists()
    assert runs.read_status(run_dir).state == "diverged"


def test_offline_without_the_data_file_fails_with_the_documented_line(tmp_path: Path) -> None:
    # The suite runs offline (TUITRAIN_OFFLINE=1) with an empty Keras cache.
    exp = presets.load("imdb-seed").experiment
    run_dir = _prepared_run(tmp_path, exp)
    assert trainer.run(run_dir, allow_download=False) == trainer.EXIT_FAILED
    record = runs.load_run(run_dir)
    assert record.state == "failed"
    assert "imdb.npz" in record.reason and "not found" in record.reason and "--data-dir DIR" in record.reason
    assert "\n" not in record.reason and "Traceback" not in record.reason
    assert (run_dir / "traceback.txt").read_text().startswith("Traceback")
    assert runs.read_status(run_dir).state == "failed"


def test_an_experiment_that_cannot_run_fails_with_one_line(tmp_path: Path) -> None:
    # A spec the checks refuse (presets.load would stop it first): the trainer must refuse it too,
    # for a run directory written by hand or by an older tuitrain.
    data = digits().model_dump()
    data["training"]["reduce_lr_on_plateau"]["enabled"] = True
    data["optimizer"] = {"name": "sgd", "learning_rate": {"kind": "exponential_decay", "initial_learning_rate": 0.1}}
    run_dir = _prepared_run(tmp_path, Experiment.model_validate(data))
    assert trainer.run(run_dir) == trainer.EXIT_FAILED
    record = runs.load_run(run_dir)
    assert record.state == "failed"
    assert record.reason.startswith(
        "training.reduce_lr_on_plateau.enabled: reduce-on-plateau can't lower a learning-rate schedule"
    )


def test_prepared_run_is_pending_with_the_resolved_experiment(tmp_path: Path) -> None:
    run_dir = _prepared_run(tmp_path, digits())
    record = runs.load_run(run_dir)
    assert record.state == "pending"
    assert record.experiment["model"]["output"] == {"units": 10, "activation": "softmax"}
    assert record.experiment["metrics"] == ["accuracy"]
    assert not launcher.stop_run(run_dir)


def test_trainer_command_and_environment(tmp_path: Path) -> None:
    cmd = launcher.trainer_command(tmp_path, data_dir="~/data", offline=True)
    assert cmd[1:3] == ["-m", "tuitrain.engine"] and cmd[3] == str(tmp_path.resolve())
    assert cmd[4] == "--data-dir" and Path(cmd[5]).is_absolute() and cmd[-1] == "--offline"
    env = launcher.trainer_env()
    assert env["PYTHONUNBUFFERED"] == "1" and env["TF_CPP_MIN_LOG_LEVEL"]
    assert str(Path(launcher.__file__).resolve().parent.parent) in env["PYTHONPATH"].split(os.pathsep)


def test_npz_paths_are_made_absolute_for_the_run(tmp_path: Path) -> None:
    from datafiles import write_fake_user_npz

    write_fake_user_npz(tmp_path / "presets" / "mine.npz")
    exp = digits()
    exp = exp.model_validate({**exp.model_dump(), "dataset": {"name": "npz", "path": "mine.npz"}})
    run_dir = launcher.prepare_run(exp, tmp_path / "runs", preset_dir=tmp_path / "presets")
    record = runs.load_run(run_dir)
    assert record.experiment["dataset"]["path"] == str((tmp_path / "presets" / "mine.npz").resolve())


def test_is_trainer_refuses_other_processes(tmp_path: Path) -> None:
    assert not launcher.is_trainer(os.getpid(), tmp_path)
    assert not launcher.is_trainer(2**22 + 12345, tmp_path)


def test_only_small_sparse_models_on_a_cpu_get_one_op_thread() -> None:
    imdb = presets.load("imdb-seed", []).experiment
    assert trainer.one_op_thread(imdb, gpu=False)
    assert not trainer.one_op_thread(imdb, gpu=True)
    wide = presets.load("imdb-seed", ["model.layers[0].units=512"]).experiment  # 10,000 x 512 kernel
    assert not trainer.one_op_thread(wide, gpu=False)
    assert not trainer.one_op_thread(presets.load("mnist-mlp", []).experiment, gpu=False)
