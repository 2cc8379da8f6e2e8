"""The four learning-rate regimes on hand-made curves and on recorded real digits runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tuitrain.analysis.chance import Guessing
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


BINARY = Guessing(loss=math.log(2), prior_loss=math.log(2), majority_accuracy=0.5)
TEN = Guessing(loss=math.log(10), prior_loss=math.log(10), majority_accuracy=0.1)


def test_worse_than_chance_only_when_the_chance_loss_is_known() -> None:
    stuck_far_above = [2.4e8, 30.8, 27.5, 26.3, 25.7, 24.8, 25.3, 22.8]  # rmsprop at 100 on IMDB (chance 0.693)
    report = classify_lr_regime(stuck_far_above, BINARY)
    assert (report.regime, report.rule) == ("too_big", "worse_than_chance"), report.reason
    assert report.values["factor"] == pytest.approx(22.8 / math.log(2))
    assert classify_lr_regime(stuck_far_above).rule != "worse_than_chance"
    # Still above chance but under twice it (a slow start, a hard task): not this rule.
    one = Guessing(loss=1.0, prior_loss=1.0)
    assert classify_lr_regime([2.3, 2.2, 2.1, 2.0, 1.9, 1.8], one).rule != "worse_than_chance"
    # A loss stuck far above chance from the start is no "learning rate too small".
    flat_high = [9.0, 8.99, 8.98, 8.97, 8.96, 8.96]
    assert classify_lr_regime(flat_high).rule == "flat"
    assert classify_lr_regime(flat_high, TEN).rule == "worse_than_chance"
    # Not before CHANCE_MIN_EPOCHS (3): until then the huge start is a blow-up; an unusable chance loss
    # turns both rules off.
    assert classify_lr_regime(stuck_far_above[:2], BINARY).rule == "initial_blowup"
    assert classify_lr_regime(stuck_far_above[:3], BINARY).rule == "worse_than_chance"
    nan_chance = Guessing(loss=math.nan, prior_loss=math.nan)
    assert classify_lr_regime(stuck_far_above, nan_chance).rule not in ("worse_than_chance", "initial_blowup")


def test_a_first_epoch_blow_up_is_its_own_finding_and_no_reference() -> None:
    # imdb-seed at rmsprop 1.0: epoch 1 averages 692, then the loss crawls down from 1.0.
    losses = [692.1, 1.006, 0.993, 1.008, 1.0, 0.952, 0.983, 0.965, 0.880, 0.865]
    report = classify_lr_regime(losses, BINARY)
    assert (report.regime, report.rule, report.blowup_epochs) == ("too_big", "initial_blowup", 1)
    assert "692" in report.reason and "the learning rate is too high" in report.reason
    tracker = LrRegimeTracker(BINARY)
    assert tracker.update(692.1).rule == "initial_blowup" and tracker.in_blowup()  # said at once
    assert tracker.update(1.006).rule == "initial_blowup" and not tracker.in_blowup()
    # Without knowing what guessing scores there is no scale to call the first epoch huge by.
    assert classify_lr_regime(losses).blowup_epochs == 0
    # Later rules start after the blow-up: twice the first epoch *after* it is a rise, not 1/300 of 692.
    rising = [692.1, 0.6, 0.8, 1.0, 1.3]
    assert classify_lr_regime(rising, BINARY).rule == "rose_above_start"
    # An ordinary first epoch (under twice the chance loss) is no blow-up.
    assert classify_lr_regime([1.3, 0.6, 0.5, 0.45, 0.42, 0.41], BINARY).blowup_epochs == 0


def test_a_jump_near_zero_is_not_divergence_or_noise() -> None:
    # imdb, 256 units, batch 128: training loss near zero jumps 0.0015 -> 0.032 (22 times): noise, not divergence.
    near_zero = [0.578, 0.423, 0.375, 0.339, 0.31, 0.27, 0.2, 0.13, 0.08, 0.04, 0.0066, 0.027, 0.0036, 0.027]
    near_zero += [0.0021, 0.0015, 0.0324, 0.001, 0.0008, 0.0005, 0.0003, 0.0002]
    tracker = LrRegimeTracker(BINARY)
    rules = {tracker.update(v).rule for v in near_zero}
    assert "exploded" not in rules and tracker.report.regime != "diverging", tracker.report.reason
    # Without the chance loss the scale is the first epoch's loss: the same call.
    assert classify_lr_regime(near_zero).regime != "diverging"
    # The same jump on a loss of the chance loss' size is an explosion.
    exploded = classify_lr_regime([0.7, 0.3, 0.1, 0.05, 0.6], BINARY)
    assert (exploded.regime, exploded.rule) == ("diverging", "exploded")


def test_a_spike_that_comes_back_down_is_a_learning_rate_too_large() -> None:
    # Batches of 4 on digits: 0.01 -> 0.036 -> 0.22, then back to 1e-4.
    losses = [1.37, 0.258, 0.134, 0.0293, 0.00975, 0.0356, 0.224, 0.0777, 0.0086, 0.0065, 0.0052, 0.0012]
    losses += [0.0004, 0.00026, 0.0002, 0.00016, 0.00013, 0.0001]
    report = classify_lr_regime(losses, TEN)
    assert (report.regime, report.rule) == ("too_big", "spike"), report.reason
    assert report.values["epoch"] == 7
    # A spike of a loss near zero, small against what guessing scores, is not one.
    assert classify_lr_regime([0.3 * 0.5**t for t in range(12)] + [0.02, 0.0001], TEN).rule != "spike"


def test_a_loss_still_near_guessing_after_many_epochs_is_a_learning_rate_too_small() -> None:
    # SGD at 1e-3 on digits: 2.54 -> 1.90 in 30 epochs (chance 2.30), bending a little, still falling.
    losses = [2.54 - 0.045 * t + 0.0008 * t * t for t in range(30)]
    report = classify_lr_regime(losses, TEN)
    assert (report.regime, report.rule) == ("too_small", "slow"), report.reason
    assert classify_lr_regime(losses).regime == "good"  # unknown chance: nothing to be near


def test_noisy_wording_when_the_loss_never_got_below_guessing() -> None:
    stuck = [2.3, 7.7, 3.0, 4.2, 2.15, 2.15, 5.6, 2.3, 2.33, 2.28, 2.33, 2.09]
    report = classify_lr_regime(stuck, TEN)
    assert report.regime == "too_big" and "converges" not in report.reason
    assert "never got clearly below what guessing scores" in report.reason


def test_guessing_references() -> None:
    from tuitrain.analysis import chance_loss, experiment_guessing, guessing_for
    from tuitrain.presets import load

    assert chance_loss("binary_crossentropy", None) == pytest.approx(math.log(2))
    assert chance_loss("sparse_categorical_crossentropy", 10) == pytest.approx(math.log(10))
    assert chance_loss("categorical_crossentropy", 3) == pytest.approx(math.log(3))
    assert chance_loss("categorical_crossentropy", None) is None
    assert chance_loss("mse", 2) is None and chance_loss("huber", 10) is None
    # The class balance: the prior loss is its entropy, the majority class's share what guessing it scores.
    skewed = guessing_for("binary_crossentropy", 2, [0.9, 0.1])
    assert skewed.loss == pytest.approx(math.log(2)) and skewed.majority_accuracy == pytest.approx(0.9)
    assert skewed.prior_loss == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))
    balanced = guessing_for("sparse_categorical_crossentropy", 4, None)
    assert balanced.prior_loss == pytest.approx(math.log(4)) and balanced.majority_accuracy == pytest.approx(0.25)
    # Mean squared/absolute error on 0/1 labels (a sigmoid column) or one-hot rows.
    mse = guessing_for("mse", 2, [0.7, 0.3], output_units=1)
    assert (mse.loss, mse.prior_loss) == (pytest.approx(0.25), pytest.approx(0.21))
    mae = guessing_for("mae", 2, [0.7, 0.3], output_units=1)
    assert (mae.loss, mae.prior_loss) == (pytest.approx(0.5), pytest.approx(0.3))
    one_hot = guessing_for("mse", 2, [0.5, 0.5], output_units=2)
    assert one_hot.prior_loss == pytest.approx(0.25) and one_hot.loss == pytest.approx(0.25)
    assert guessing_for("huber", 2, [0.5, 0.5]).loss is None
    # Shares that are no class balance (wrong length, not summing to 1) count as unknown: balanced.
    assert guessing_for("binary_crossentropy", 2, [0.9, 0.3]).majority_accuracy == pytest.approx(0.5)
    assert experiment_guessing(load("imdb-seed", []).experiment).loss == pytest.approx(math.log(2))
    assert experiment_guessing(load("digits-overfit", []).experiment).loss == pytest.approx(math.log(10))
    imdb = experiment_guessing(load("imdb-seed", []).experiment, [0.526, 0.474])
    assert imdb.majority_accuracy == pytest.approx(0.526) and imdb.prior_loss < math.log(2)
    # L1/L2 penalties are part of Keras' logged loss and can exceed the chance loss on their own; the
    # accuracy reference still holds.
    regularized = experiment_guessing(load("imdb-regularized", []).experiment)
    assert regularized.loss is None and regularized.prior_loss is None and regularized.majority_accuracy == 0.5
    activity = load("digits-mlp", ['model.layers[0].activity_regularizer={kind = "l1", l1 = 0.01}']).experiment
    assert experiment_guessing(activity).loss is None
    output = load("digits-mlp", ['model.output.kernel_regularizer={kind = "l2", l2 = 0.01}']).experiment
    assert experiment_guessing(output).loss is None
    from tuitrain.spec import Experiment

    data = load("digits-mlp", []).experiment.model_dump()
    data["dataset"] = {"name": "npz", "path": "/nonexistent/data.npz"}
    assert not experiment_guessing(Experiment.model_validate(data)).known  # can't tell: the rules stay off
    # A run's resolved experiment names its output units: no data file is read (the dashboard's case).
    data["model"]["output"] = {"units": 3, "activation": "softmax"}
    assert experiment_guessing(Experiment.model_validate(data)).loss == pytest.approx(math.log(3))


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
        # Adam at 0.01: its jumps (0.012 -> 0.040, 0.008 -> 0.016) are under 2% of where the loss started
        # (2.48): wiggles near zero, which no longer count as a learning rate too large.
        ("digits_lr_too_big", "good", "levelling_off"),
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
