"""A trial's objective at its best epoch under its early-stopping rule, and coarse-to-fine refinement."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.spec.training import EarlyStoppingSpec
from tuitrain.sweep.objective import ObjectiveTracker, trial_objective
from tuitrain.sweep.refine import MIN_SPAN, refine, refined_range
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.space import Choice, IntUniform, LogInt, LogUniform, ReverseLog, Uniform
from tuitrain.sweep.spec import SweepError, sweep_from_data
from tuitrain.sweep.status import SweepStatus, TrialEntry


def _history(val_loss: list[float], val_acc: list[float] | None = None) -> list[dict[str, float]]:
    rows = []
    for i, v in enumerate(val_loss):
        row = {"loss": 1.0 / (i + 1), "val_loss": v}
        if val_acc is not None:
            row["val_accuracy"] = val_acc[i]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- objective


def test_objective_is_taken_at_the_best_epoch_never_the_last() -> None:
    history = _history([0.9, 0.5, 0.4, 0.45, 0.6])
    found = trial_objective(history, "val_loss", EarlyStoppingSpec(patience=3))
    assert found is not None and (found.epoch, found.value) == (3, 0.4)


def test_a_trial_that_ran_past_where_early_stopping_stops_is_judged_where_it_would_have_stopped() -> None:
    # Patience 2: early stopping stops after epoch 5 keeping epoch 3; the better epoch 7 came too late.
    history = _history([0.9, 0.5, 0.4, 0.45, 0.46, 0.5, 0.3])
    found = trial_objective(history, "val_loss", EarlyStoppingSpec(patience=2))
    assert found is not None and (found.epoch, found.value) == (3, 0.4)


def test_another_metric_is_read_at_the_monitors_best_epoch() -> None:
    history = _history([0.9, 0.4, 0.5, 0.6], val_acc=[0.5, 0.80, 0.81, 0.83])
    found = trial_objective(history, "val_accuracy", EarlyStoppingSpec(monitor="val_loss", patience=5))
    assert found is not None and (found.epoch, found.value) == (2, 0.80)


def test_no_usable_value_gives_no_objective() -> None:
    assert trial_objective([], "val_loss", EarlyStoppingSpec()) is None
    assert trial_objective(_history([math.nan, math.nan]), "val_loss", EarlyStoppingSpec()) is None
    assert trial_objective(_history([0.5]), "val_accuracy", EarlyStoppingSpec()) is None


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(0.01, 5.0), min_size=1, max_size=30),
    patience=st.integers(0, 5),
    min_delta=st.sampled_from([0.0, 0.01]),
)
def test_streaming_and_whole_history_agree(values: list[float], patience: int, min_delta: float) -> None:
    spec = EarlyStoppingSpec(patience=patience, min_delta=min_delta)
    history = _history(values)
    tracker = ObjectiveTracker("val_loss", spec)
    for t, logs in enumerate(history, start=1):
        streamed = tracker.add_epoch(logs)
        assert streamed == trial_objective(history[:t], "val_loss", spec)
        assert streamed is not None and 1 <= streamed.epoch <= t


# ---------------------------------------------------------------- refine's ranges


def test_log_range_spans_the_top_trials_widened_on_the_log_scale() -> None:
    new = refined_range(LogUniform(low=1e-4, high=1.0), [1e-3, 1e-2], margin=0.25)
    # Span one decade (-3..-2), widened by a quarter decade each side.
    assert math.log10(new.low) == pytest.approx(-3.25) and math.log10(new.high) == pytest.approx(-1.75)


def test_reverse_log_range_is_widened_in_one_minus_x() -> None:
    new = refined_range(ReverseLog(low=0.9, high=0.9999), [0.99, 0.999], margin=0.5)
    # 1 - x from 1e-2 to 1e-3: one decade, half a decade each side.
    assert math.log10(1 - new.low) == pytest.approx(-1.5) and math.log10(1 - new.high) == pytest.approx(-3.5)
    assert new.high < 1


def test_log_ranges_may_grow_past_the_old_range_linear_ones_not() -> None:
    grown = refined_range(LogUniform(low=1e-4, high=1e-2), [5e-3, 1e-2], margin=0.5)
    assert grown.high > 1e-2
    clipped = refined_range(Uniform(low=0.0, high=0.5), [0.4, 0.5], margin=0.5)
    assert (clipped.low, clipped.high) == pytest.approx((0.35, 0.5))


def test_one_value_does_not_collapse_a_range() -> None:
    new = refined_range(LogUniform(low=1e-4, high=1.0), [1e-3, 1e-3], margin=0.0)
    assert math.log10(new.high) - math.log10(new.low) == pytest.approx(MIN_SPAN * 4)


def test_int_ranges_stay_whole_and_choices_keep_what_the_best_used() -> None:
    new = refined_range(LogInt(low=8, high=512), [32, 64], margin=0.25)
    assert isinstance(new, LogInt) and new.low <= 32 and new.high >= 64 and new.low >= 1
    assert (
        refined_range(IntUniform(low=1, high=4), [2, 2], margin=0.0).low
        < refined_range(IntUniform(low=1, high=4), [2, 2], margin=0.0).high
    )
    choice = refined_range(Choice(values=["adam", "sgd", "rmsprop"]), ["rmsprop", "adam", "adam"])
    assert choice.values == ["adam", "rmsprop"]


def _parent(space: dict[str, Any]) -> Any:
    return resolve_sweep(sweep_from_data({"name": "coarse", "base": "digits-mlp", "trials": 8, "space": space}))


def _status(trials: list[TrialEntry]) -> SweepStatus:
    return SweepStatus(sweep_id="20260101-000000-coarse", name="coarse", trials=trials)


def test_refine_writes_a_sweep_over_the_top_k_that_records_its_parent() -> None:
    parent = _parent(
        {
            "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1.0},
            "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 256},
        }
    )
    trials = [
        TrialEntry(
            number=i, state=state, objective=obj, params={"optimizer.learning_rate": lr, "model.layers[0].units": u}
        )
        for i, (state, obj, lr, u) in enumerate(
            [
                ("finished", 0.30, 1e-3, 32),
                ("finished", 0.20, 3e-3, 64),
                ("finished", 0.90, 0.5, 8),  # not in the top 2
                ("pruned", 0.10, 0.9, 256),  # a partial objective is not ranked
                ("finished", 0.25, 2e-3, 48),
            ]
        )
    ]
    refined = refine(parent, _status(trials), top=3, margin=0.25)
    spec = refined.spec
    assert spec.parent == "20260101-000000-coarse" and spec.name == "coarse-fine" and spec.trials == 8
    lr = spec.space["optimizer.learning_rate"]
    span = math.log10(3e-3) - math.log10(1e-3)
    assert math.log10(lr.low) == pytest.approx(-3 - 0.25 * span)
    assert math.log10(lr.high) == pytest.approx(math.log10(3e-3) + 0.25 * span)
    units = spec.space["model.layers[0].units"]
    assert units.low <= 32 and units.high >= 64 and units.high < 256
    assert refined.base == parent.base
    assert "top 3 trials (1, 4, 0)" in spec.description


def test_refine_clips_an_end_the_field_refuses_to_the_old_end() -> None:
    path = "training.reduce_lr_on_plateau.factor"  # must be < 1
    parent = _parent({path: {"dist": "log_uniform", "low": 0.1, "high": 0.9}})
    trials = [
        TrialEntry(number=i, state="finished", objective=0.1 * i, params={path: f}) for i, f in enumerate([0.8, 0.9])
    ]
    assert refined_range(parent.params[0].dist, [0.8, 0.9], margin=1.0).high >= 1.0  # grown past the field's bound
    refined = refine(parent, _status(trials), top=2, margin=1.0)
    factor = refined.spec.space[path]
    assert factor.high == pytest.approx(0.9) and factor.low < 0.8


def test_refine_needs_two_ranked_trials() -> None:
    parent = _parent({"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1.0}})
    one = [TrialEntry(number=0, state="finished", objective=0.3, params={"optimizer.learning_rate": 1e-3})]
    with pytest.raises(SweepError) as err:
        refine(parent, _status(one))
    assert "refine needs at least 2" in str(err.value)
