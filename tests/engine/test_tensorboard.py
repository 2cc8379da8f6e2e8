"""Every run writes TensorBoard event files; read back here with TensorBoard's own event reader."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from enginekit import FakeRecorder, digits
from tensorboard_view import read_tensorboard

from tuitrain import launcher, runs
from tuitrain.analysis import Flag
from tuitrain.engine import trainer
from tuitrain.engine.tensorboard import FLAGS_TAG, TensorBoardLog


def _history(run_dir: Path) -> list[dict[str, str]]:
    with open(runs.RunPaths(run_dir).history_csv, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_a_run_writes_every_logged_metric_and_the_learning_rate_per_epoch(tmp_path: Path) -> None:
    exp = digits("training.epochs=3", 'metrics=["accuracy", "auc"]')
    run_dir = launcher.prepare_run(exp, tmp_path)
    assert trainer.run(run_dir, allow_download=False) == 0
    folder = runs.RunPaths(run_dir).tensorboard
    train, validation = read_tensorboard(folder / "train"), read_tensorboard(folder / "validation")
    rows = _history(run_dir)
    assert {"epoch_loss", "epoch_accuracy", "epoch_auc", "epoch_learning_rate"} <= set(train)
    assert {"epoch_loss", "epoch_accuracy", "epoch_auc"} <= set(validation)
    for tag, reader, column in [
        ("epoch_loss", train, "loss"),
        ("epoch_auc", train, "auc"),
        ("epoch_learning_rate", train, "learning_rate"),
        ("epoch_loss", validation, "val_loss"),
        ("epoch_accuracy", validation, "val_accuracy"),
    ]:
        assert [step for step, _ in reader[tag]] == [1, 2, 3], tag
        np.testing.assert_allclose([float(v) for _, v in reader[tag]], [float(r[column]) for r in rows], rtol=1e-6)


def test_flags_go_to_tensorboard_as_text_and_everything_reaches_the_run_record(tmp_path: Path) -> None:
    inner = FakeRecorder()
    log = TensorBoardLog(inner, tmp_path / "tensorboard")
    log.epoch_ended(1, {"loss": 0.5, "val_loss": 0.6}, 0.01, 1.0)
    log.batch_progress(2, 3, 10, {"loss": 0.4}, 0.5)
    flag = Flag(epoch=2, criterion="GL", severity="warning", message="Validation loss is 7% above its best.")
    log.flag_raised(flag)
    log.best_saved(1, "val_loss", 0.6)
    log.close()

    assert [e["epoch"] for e in inner.epochs] == [1] and inner.progress == [(2, 3, 10)]
    assert inner.flags == [flag] and inner.best == [1]
    train = read_tensorboard(tmp_path / "tensorboard" / "train")
    ((step, text),) = train[FLAGS_TAG]
    assert step == 2 and b"GL" in text.item() and b"7% above its best" in text.item()
    assert read_tensorboard(tmp_path / "tensorboard" / "validation")["epoch_loss"][0][0] == 1


def test_unwritable_tensorboard_folder_is_logged_once_and_training_goes_on(tmp_path: Path) -> None:
    (tmp_path / "tensorboard").write_text("a file where the folder should be")
    inner, lines = FakeRecorder(), []
    log = TensorBoardLog(inner, tmp_path / "tensorboard", log=lines.append)
    log.epoch_ended(1, {"loss": 0.5}, 0.01, 1.0)
    log.flag_raised(Flag(epoch=1, criterion="GL", severity="info", message="m"))
    log.close()
    assert len(inner.epochs) == 1 and len(inner.flags) == 1
    assert len(lines) == 1 and "can't be written" in lines[0] and "not a directory" in lines[0]
    assert "{{" not in lines[0] and "[Op:" not in lines[0]


def test_an_epoch_reaches_the_file_within_the_flush_interval_without_closing(tmp_path: Path) -> None:
    """TensorBoard follows a live run, and a killed trainer loses at most the last second."""
    import time

    from tuitrain.engine.tensorboard import FLUSH_INTERVAL

    log = TensorBoardLog(FakeRecorder(), tmp_path / "tensorboard")
    try:
        log.epoch_ended(1, {"loss": 0.5, "val_loss": 0.6}, 0.01, 1.0)
        log.epoch_ended(2, {"loss": 0.4, "val_loss": 0.5}, 0.01, 1.0)
        deadline = time.monotonic() + FLUSH_INTERVAL + 10
        steps: list[int] = []
        while time.monotonic() < deadline and steps != [1, 2]:
            time.sleep(0.2)
            steps = [s for s, _ in read_tensorboard(tmp_path / "tensorboard" / "validation").get("epoch_loss", [])]
        assert steps == [1, 2]
    finally:
        log.close()
