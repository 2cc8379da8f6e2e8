"""The run callback: NaN stops with a sentence, stop requests, best-model saving, atomic saves."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from enginekit import DIVERGING, digits, train

from tuitrain.engine import callbacks
from tuitrain.engine.callbacks import divergence_message, improved, save_model
from tuitrain.engine.signals import StopRequest


def test_divergence_message() -> None:
    assert (
        divergence_message(math.nan, 2, 7, 10.0, "adam")
        == "loss became NaN at epoch 2, batch 7: the learning rate 10 is too high for adam"
    )
    assert divergence_message(math.inf, 1, 3, 0.001, "sgd") == (
        "loss became infinite at epoch 1, batch 3: lower the learning rate (0.001 for sgd), scale the "
        "inputs (dataset.scaling) or set optimizer.clipnorm"
    )


def test_improved() -> None:
    assert improved(1.0, None, "min") and improved(0.5, 1.0, "min") and not improved(1.0, 1.0, "min")
    assert improved(0.9, 0.8, "max") and not improved(math.nan, None, "min")


@pytest.mark.slow
def test_nan_stops_at_the_batch_and_keeps_the_best_model(tmp_path: Path) -> None:
    best = tmp_path / "best.keras"
    result = train(digits(*DIVERGING), best_path=best)
    outcome = result.outcome
    assert outcome.halt == "diverged"
    assert outcome.reason is not None
    assert outcome.reason.startswith("loss became ") and " at epoch 2, batch " in outcome.reason
    assert outcome.reason.endswith("the learning rate 1000 is too high for sgd")
    # Epoch 1 is recorded; the broken epoch 2 is not (half an epoch of NaN is no history).
    assert [e["epoch"] for e in result.recorder.epochs] == [1]
    assert outcome.epochs_done == 1 and outcome.best_epoch == 1 and result.recorder.best == [1]
    model = keras.saving.load_model(best, safe_mode=True)
    assert all(math.isfinite(float(w.sum())) for w in model.get_weights())


class _StopAtBatch(keras.callbacks.Callback):
    def __init__(self, stop: StopRequest, epoch: int, batch: int) -> None:
        super().__init__()
        self.stop, self.at = stop, (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.stop.set("SIGTERM")


@pytest.mark.slow
def test_stop_request_ends_after_the_current_batch() -> None:
    stop = StopRequest()
    exp = digits("training.epochs=5")
    result = train(exp, stop=stop, extra_callbacks=[_StopAtBatch(stop, epoch=1, batch=1)])
    assert result.outcome.halt == "stopped"
    assert result.outcome.epochs_done == 1
    assert [e["epoch"] for e in result.recorder.epochs] == [1]  # the cut epoch 2 is not recorded
    assert len(result.history["loss"]) == 1 or math.isfinite(result.history["loss"][-1])


@pytest.mark.slow
def test_stop_on_the_last_batch_keeps_the_complete_epoch() -> None:
    stop = StopRequest()
    exp = digits("training.epochs=5")  # 200 samples / 64 = 4 batches
    result = train(exp, stop=stop, extra_callbacks=[_StopAtBatch(stop, epoch=0, batch=3)])
    assert result.outcome.halt == "stopped"
    assert [e["epoch"] for e in result.recorder.epochs] == [1]
    assert "val_loss" in result.recorder.epochs[0]


@pytest.mark.slow
def test_epoch_event_has_every_log_and_the_scheduled_learning_rate() -> None:
    exp = digits(
        "training.epochs=2",
        'optimizer={name="sgd", learning_rate={kind="exponential_decay", initial_learning_rate=0.1, '
        "decay_steps=4, decay_rate=0.5}}",
    )
    result = train(exp)
    first, second = result.recorder.epochs
    assert set(exp.log_names()) <= set(first)
    # 4 steps per epoch: after epoch 1 the schedule stands at step 4 (0.05), after epoch 2 at step 8.
    assert first["learning_rate"] == pytest.approx(0.05)
    assert second["learning_rate"] == pytest.approx(0.025)
    assert first["seconds"] > 0


def _trained_model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((4, 3)), np.zeros((4, 2)))  # builds the optimizer: its state is saved too
    return model


def test_save_model_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "best.keras"
    model = _trained_model()
    save_model(model, target)
    assert zipfile.is_zipfile(target)
    assert not list(tmp_path.glob(".best.keras*"))  # no temporary file left behind
    keras.saving.load_model(target, safe_mode=True)


def test_a_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "best.keras"
    model = _trained_model()
    save_model(model, target)
    before = target.read_bytes()

    def broken_save(self, path, *args, **kwargs):  # a kill in the middle of writing the zip
        Path(path).write_bytes(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, target)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".best.keras*"))


def test_best_model_writer_saves_snapshots_in_the_background_newest_wins(tmp_path: Path) -> None:
    """Training hands over a copy of the weights and goes on; the file ends up holding the newest one."""
    model = _trained_model()
    saved: list[tuple[int, float]] = []
    writer = callbacks.BestModelWriter(model, tmp_path / "best.keras", lambda e, v: saved.append((e, v)))
    snapshots = []
    for epoch in range(1, 6):
        # Each epoch changes the weights; the writer gets a copy, the model is trained on.
        model.set_weights([w + epoch for w in model.get_weights()])
        snapshots.append(model.get_weights())
        writer.submit(epoch, 1.0 / epoch, snapshots[-1])
    model.set_weights([w * 0 for w in model.get_weights()])  # training goes on: the saved file must not see it
    writer.close()
    assert saved[-1] == (5, 0.2) and [e for e, _ in saved] == sorted({e for e, _ in saved})
    assert writer.saved_epoch == 5 and writer.error is None
    loaded = keras.saving.load_model(tmp_path / "best.keras", safe_mode=True)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), snapshots[-1], strict=True))
    assert not list(tmp_path.glob(".best.keras*"))


def test_a_failed_background_save_ends_training_with_its_error_and_keeps_the_old_file(tmp_path: Path) -> None:
    """A save that fails (here: the run folder became a file's path) is raised in the training thread."""
    model = _trained_model()
    target = tmp_path / "run" / "best.keras"
    target.parent.mkdir()
    writer = callbacks.BestModelWriter(model, target, lambda e, v: None)
    writer.submit(1, 0.5, model.get_weights())
    writer.flush()
    before = target.read_bytes()
    (tmp_path / "run").rename(tmp_path / "moved")
    (tmp_path / "run").write_text("a file where the run folder was")
    writer.submit(2, 0.4, model.get_weights())
    writer.flush()
    assert isinstance(writer.error, OSError) and writer.saved_epoch == 1
    assert (tmp_path / "moved" / "best.keras").read_bytes() == before


class _NoAnalysis:
    def add_epoch(self, logs):
        return []


def test_a_group_of_steps_reports_its_last_batch_never_past_the_epoch() -> None:
    """With several steps per execution Keras names a group's last batch, which can lie past the end."""
    from enginekit import FakeRecorder

    model = _trained_model()
    recorder = FakeRecorder()
    stop = StopRequest()
    clock = iter([0.0, 1.0, 2.0])
    cb = callbacks.RunCallback(
        recorder,
        _NoAnalysis(),
        export_model=model,
        best_path=None,
        monitor="val_loss",
        mode="auto",
        optimizer_name="adam",
        steps_per_epoch=30,
        stop=stop,
        clock=lambda: next(clock),
    )
    cb.set_model(model)
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(31, {"loss": 0.5})  # the group of batches 24..31 of a 30-batch epoch
    assert recorder.progress == [(1, 30, 30)]
    stop.set("SIGTERM")
    cb.on_train_batch_end(31, {"loss": 0.5})
    assert cb.outcome.halt == "stopped" and cb.outcome.halt_batch == 30
    cb.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    assert cb.outcome.epochs_done == 1  # the epoch was complete: it is recorded
