"""The four learning-rate regimes on hand-made curves and on recorded real digits runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tuitrain.analysis.lr_regime import LrRegimeTracker, StallTracker, classify_lr_regime

HISTORIES = Path(__file__).resolve().parents[1] / "data" / "histories"


def _exp(first: float, floor: float, tau: float, epochs: int) -> list[float]:
    return [floor + (first - floor) * math.exp(-(t - 1) / tau) for t in range(1, epochs + 1)]


@pytest.mark.parametrize(
    ("losses", "regime", "rule"),
    [
        ([2.3, 2.29, 2.285, 2.28, 2.27, 2.265], "too_small", "flat"),
        ([2.3 - 0.03 * t for t in range(20)], "too_small", "straight_line"),
        (_exp(2.3, 0.05, 3.0, 20), "good", "levelling_off"),
        ([2.3, 0.9, 1.2, 0.6, 0.8, 0.4, 0.5, 0.3, 0.45, 0.25, 0.3, 0.2], "too_big", "noisy"),
        ([2.3, 1.0, 0.95, 0.949, 0.948, 0.948, 0.948, 0.948], "too_big", "stuck_high"),
        ([2.3, 1.5, math.nan], "diverging", "non_finite"),
        ([2.3, 1.5, math.inf], "diverging", "non_finite"),
        ([2.3, 0.5, 6.0], "diverging", "exploded"),
        ([2.3, 2.5, 3.5, 4.8], "diverging", "rose_above_start"),
        ([2.3, 2.0], "unknown", "too_early"),
        ([2.3, 2.1, 1.9, 1.7, 1.5], "unknown", "too_early"),  # falling, but straight or bending? not yet clear
        ([-1.0, -1.1, -1.2, -1.3, -1.4], "unknown", "not_positive"),
    ],
)
def test_hand_made_curves(losses: list[float], regime: str, rule: str) -> None:
    report = classify_lr_regime(losses)
    assert (report.regime, report.rule) == (regime, rule), report.reason
    assert report.reason.endswith(".")


def test_worse_than_chance_only_when_the_chance_loss_is_known() -> None:
    stuck_far_above = [2.4e8, 30.8, 27.5, 26.3, 25.7, 24.8, 25.3, 22.8]  # rmsprop at 100 on IMDB (chance 0.693)
    report = classify_lr_regime(stuck_far_above, chance_loss=math.log(2))
    assert (report.regime, report.rule) == ("too_big", "worse_than_chance"), report.reason
    assert report.values["factor"] == pytest.approx(22.8 / math.log(2))
    assert classify_lr_regime(stuck_far_above).rule != "worse_than_chance"
    # Still above chance but under twice it (a slow start, a hard task): not this rule.
    assert classify_lr_regime([2.3, 2.2, 2.1, 2.0, 1.9, 1.8], chance_loss=1.0).rule != "worse_than_chance"
    # A loss stuck far above chance from the start is no "learning rate too small".
    flat_high = [9.0, 8.99, 8.98, 8.97, 8.96, 8.96]
    assert classify_lr_regime(flat_high).rule == "flat"
    assert classify_lr_regime(flat_high, chance_loss=math.log(10)).rule == "worse_than_chance"
    # Not before CHANCE_MIN_EPOCHS (3), and an unusable chance loss turns the rule off.
    assert classify_lr_regime(stuck_far_above[:2], chance_loss=math.log(2)).rule == "too_early"
    assert classify_lr_regime(stuck_far_above[:3], chance_loss=math.log(2)).rule == "worse_than_chance"
    assert classify_lr_regime(stuck_far_above, chance_loss=math.nan).rule != "worse_than_chance"


def test_chance_loss_of_the_losses() -> None:
    from tuitrain.analysis import chance_loss, experiment_chance_loss
    from tuitrain.presets import load

    assert chance_loss("binary_crossentropy", None) == pytest.approx(math.log(2))
    assert chance_loss("sparse_categorical_crossentropy", 10) == pytest.approx(math.log(10))
    assert chance_loss("categorical_crossentropy", 3) == pytest.approx(math.log(3))
    assert chance_loss("categorical_crossentropy", None) is None
    assert chance_loss("mse", 2) is None and chance_loss("huber", 10) is None
    assert experiment_chance_loss(load("imdb-seed", []).experiment) == pytest.approx(math.log(2))
    assert experiment_chance_loss(load("digits-overfit", []).experiment) == pytest.approx(math.log(10))
    assert experiment_chance_loss(load("imdb-seed", []).experiment, num_classes=2) == pytest.approx(math.log(2))
    # L1/L2 penalties are part of Keras' logged loss and can exceed the chance loss on their own.
    assert experiment_chance_loss(load("imdb-regularized", []).experiment) is None
    activity = load("digits-mlp", ['model.layers[0].activity_regularizer={kind = "l1", l1 = 0.01}']).experiment
    assert experiment_chance_loss(activity) is None
    output = load("digits-mlp", ['model.output.kernel_regularizer={kind = "l2", l2 = 0.01}']).experiment
    assert experiment_chance_loss(output) is None
    from tuitrain.spec import Experiment

    data = load("digits-mlp", []).experiment.model_dump()
    data["dataset"] = {"name": "npz", "path": "/nonexistent/data.npz"}
    assert experiment_chance_loss(Experiment.model_validate(data)) is None  # can't tell: the rule stays off
    # A run's resolved experiment names its output units: no data file is read (the dashboard's case).
    data["model"]["output"] = {"units": 3, "activation": "softmax"}
    assert experiment_chance_loss(Experiment.model_validate(data)) == pytest.approx(math.log(3))


def test_divergence_is_sticky_and_missing_values_are_skipped() -> None:
    tracker = LrRegimeTracker()
    for loss in [2.3, math.nan, 0.1, 0.05]:
        report = tracker.update(loss)
    assert report.regime == "diverging" and "NaN at epoch 2" in report.reason
    assert classify_lr_regime([2.3, None, 1.0, "NaN"]).rule == "non_finite"


def test_stall_tracker() -> None:
    tracker = StallTracker(patience=3)
    # 0.4999 and 0.4998 beat 0.5 by less than 0.1%: no real improvement after epoch 2.
    results = [tracker.update(v) for v in [1.0, 0.5, 0.4999, 0.5, 0.4998, 0.6, 0.3]]
    assert results[:4] == [None, None, None, None]
    assert [(s.best_epoch, s.epochs) for s in results[4:6] if s is not None] == [(2, 3), (2, 4)]
    assert results[6] is None and tracker.new_best


@pytest.mark.parametrize(
    ("name", "regime", "rule"),
    [
        ("digits_lr_too_small_flat", "too_small", "flat"),
        ("digits_lr_too_small_linear", "too_small", "straight_line"),
        ("digits_lr_good", "good", "levelling_off"),
        ("digits_overfit", "good", "levelling_off"),
        ("digits_lr_too_big", "too_big", "noisy"),
        ("digits_lr_diverging", "diverging", "non_finite"),
        ("imdb_500w_dense16_60ep", "good", "levelling_off"),
    ],
)
def test_recorded_real_runs(name: str, regime: str, rule: str) -> None:
    history = json.loads((HISTORIES / f"{name}.json").read_text(encoding="utf-8"))["history"]
    tracker = LrRegimeTracker()
    seen = {tracker.update(epoch["loss"]).regime for epoch in history}
    assert (tracker.report.regime, tracker.report.rule) == (regime, rule)
    # A good run is never called anything else on the way.
    if regime == "good":
        assert seen <= {"unknown", "good"}
