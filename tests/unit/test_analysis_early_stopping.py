"""Our early-stopping point equals what the real ``keras.callbacks.EarlyStopping`` does, on random curves."""

from __future__ import annotations

import math
import warnings

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrain.analysis.early_stopping import (
    EarlyStoppingTracker,
    early_stopping_point,
    resolve_mode,
)
from tuitrain.spec.training import EarlyStoppingSpec


class _FakeModel:
    """Just what the Keras 3 callback touches: stop_training, get/set_weights, and metrics for mode auto.

    The "weights" are the 0-based index of the epoch that produced them, so we can read off whose weights
    the callback restored.
    """

    def __init__(self, metrics: list[object]) -> None:
        self.metrics = metrics
        self.stop_training = False
        self.epoch = 0
        self.restored: int | None = None

    def get_weights(self) -> list[int]:
        return [self.epoch]

    def set_weights(self, weights: list[int]) -> None:
        self.restored = weights[0]


@pytest.fixture(scope="module")
def compiled_metrics() -> list[object]:
    """Metric objects as a compiled model holds them (accuracy, auc: higher is better; mae: lower)."""
    from keras.src.trainers.compile_utils import MetricsList

    return [
        MetricsList(
            [
                keras.metrics.BinaryAccuracy(name="accuracy"),
                keras.metrics.AUC(name="auc"),
                keras.metrics.MeanAbsoluteError(name="mae"),
            ]
        )
    ]


def run_keras(values: list[float | None], spec: EarlyStoppingSpec, metrics: list[object]) -> tuple[int | None, int]:
    """Drive the real callback as ``model.fit`` does; return (1-based stop epoch or None, kept epoch)."""
    callback = keras.callbacks.EarlyStopping(
        monitor=spec.monitor,
        min_delta=spec.min_delta,
        patience=spec.patience,
        mode=spec.mode,
        baseline=spec.baseline,
        restore_best_weights=spec.restore_best_weights,
        start_from_epoch=spec.start_from_epoch,
    )
    model = _FakeModel(metrics)
    callback.set_model(model)
    callback.on_train_begin()
    last = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns about each epoch whose monitored value is missing
        for epoch, value in enumerate(values):
            model.epoch = epoch
            last = epoch
            callback.on_epoch_end(epoch, {} if value is None else {spec.monitor: value})
            if model.stop_training:
                break
        callback.on_train_end()
    stop = callback.stopped_epoch + 1 if model.stop_training else None
    kept = model.restored if model.restored is not None else last
    return stop, kept + 1


_values = st.one_of(
    st.floats(-3.0, 3.0, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.3, 0.30000001, 0.30000000000000004, 0.5, 1.0, 1.0000001, 0.0, -0.0]),
    st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False),
    st.floats(-1e-37, 1e-37),
    st.sampled_from([math.nan, math.inf, -math.inf, None]),
)
_specs = st.builds(
    EarlyStoppingSpec,
    enabled=st.booleans(),
    monitor=st.sampled_from(["val_loss", "loss", "val_accuracy", "accuracy", "val_auc", "val_mae"]),
    mode=st.sampled_from(["auto", "min", "max"]),
    min_delta=st.one_of(st.just(0.0), st.sampled_from([1e-9, 1e-3, 0.1]), st.floats(0.0, 1.0)),
    patience=st.integers(0, 5),
    baseline=st.one_of(st.none(), st.sampled_from([0.3, 0.5, 1.0]), st.floats(-3.0, 3.0)),
    start_from_epoch=st.integers(0, 5),
    restore_best_weights=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_values, min_size=1, max_size=25), spec=_specs)
def test_matches_real_keras_early_stopping(
    values: list[float | None], spec: EarlyStoppingSpec, compiled_metrics: list[object]
) -> None:
    stop, kept = run_keras(values, spec, compiled_metrics)
    # Keras only sees the epochs up to its stop; we see the whole history and must ignore the rest.
    ours = early_stopping_point(values, spec)
    assert (ours.stop_epoch, ours.kept_epoch) == (stop, kept)
    assert ours.would_stop is (not spec.enabled)


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        ("val_loss", "min"),
        ("loss", "min"),
        ("val_accuracy", "max"),
        ("acc", "max"),
        ("val_auc", "max"),
        ("val_precision", "max"),
        ("val_recall", "max"),
        ("val_mae", "min"),
        ("val_mse", "min"),
        ("val_val_accuracy", "min"),
    ],
)
def test_auto_mode_follows_keras_names(monitor: str, expected: str) -> None:
    assert resolve_mode(monitor, "auto") == expected
    assert resolve_mode(monitor, "max") == "max"


def test_describe_hypothetical_stop() -> None:
    spec = EarlyStoppingSpec(enabled=False, patience=2, restore_best_weights=True)
    point = early_stopping_point([0.5, 0.4, 0.3, 0.279, 0.29, 0.31, 0.35], spec)
    assert (point.stop_epoch, point.best_epoch, point.kept_epoch) == (6, 4, 4)
    assert point.describe() == (
        "Early stopping (patience 2) would stop at epoch 6 and keep epoch 4's weights (val_loss 0.279)."
    )


def test_describe_real_stop_without_restoring() -> None:
    spec = EarlyStoppingSpec(enabled=True, patience=1, restore_best_weights=False)
    point = early_stopping_point([0.5, 0.4, 0.45, 0.46], spec)
    assert (point.stop_epoch, point.best_epoch, point.kept_epoch) == (3, 2, 3)
    assert point.describe() == "Early stopping (patience 1) stopped training at epoch 3 and kept epoch 3's weights."


def test_no_stop_keeps_best_weights_at_the_end_like_keras3() -> None:
    # Keras 3 restores the best weights in on_train_end even when patience never ran out.
    spec = EarlyStoppingSpec(patience=5, restore_best_weights=True)
    point = early_stopping_point([0.5, 0.4, 0.45, 0.46], spec)
    assert (point.stop_epoch, point.best_epoch, point.kept_epoch) == (None, 2, 2)
    assert "would not have stopped in 4 epochs; it would keep epoch 2's weights (val_loss 0.400)" in point.describe()


def test_tracker_ignores_epochs_after_the_stop_and_missing_values() -> None:
    tracker = EarlyStoppingTracker(EarlyStoppingSpec(patience=0, restore_best_weights=False))
    assert tracker.update(None).best_epoch is None
    assert tracker.point.describe() == "Early stopping (patience 0) has no val_loss values to watch yet."
    tracker.update(0.5)
    assert tracker.update(0.6).stop_epoch == 3
    point = tracker.update(0.1)  # training would already have ended
    assert (point.stop_epoch, point.best_epoch, point.kept_epoch, point.epochs) == (3, 2, 3, 4)


def test_float32_comparison_like_keras() -> None:
    # 0.30000001 and 0.3 are the same float32: no improvement, so patience 0 stops at epoch 2.
    point = early_stopping_point([0.30000001, 0.3], EarlyStoppingSpec(patience=0))
    assert point.stop_epoch == 2


@pytest.mark.parametrize(
    ("values", "options"),
    [
        ([1e-40, 0.0, 0.0], {"patience": 1}),  # float32 denormals: TensorFlow's kernels see zeros
        ([0.0, -1e-40, 0.0], {"patience": 1, "mode": "min"}),
        ([math.nan, 0.1, 0.05], {"patience": 1}),  # a NaN first "best" is never beaten
        ([0.5, math.nan, math.nan, 0.4], {"patience": 2, "restore_best_weights": True}),
        ([0.5, 0.6, 0.7, 0.8], {"patience": 5, "restore_best_weights": True}),  # restored without a stop
        ([0.5, 0.45, 0.44, 0.43], {"patience": 1, "baseline": 0.4}),  # never beats the baseline
        ([0.5, 0.49, 0.48, 0.47], {"patience": 1, "min_delta": 0.015}),
        ([0.9, 0.8, 0.85, 0.7, 0.75, 0.76], {"patience": 1, "start_from_epoch": 3, "restore_best_weights": True}),
        ([0.7, 0.8, 0.8, 0.79], {"monitor": "val_accuracy", "patience": 1}),  # auto -> max
        ([None, None, 0.5, None, 0.6], {"patience": 0, "restore_best_weights": True}),
    ],
)
def test_edge_cases_match_keras(
    values: list[float | None], options: dict[str, object], compiled_metrics: list[object]
) -> None:
    spec = EarlyStoppingSpec(**options)
    point = early_stopping_point(values, spec)
    assert (point.stop_epoch, point.kept_epoch) == run_keras(values, spec, compiled_metrics)
