"""The leaderboard, progress, best-as-preset and refine-a-folder logic the CLI and the dashboard share."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from sweepfiles import LR, make_sweep

from tuitrain import presets
from tuitrain.sweep.best import NoBestTrial, best_experiment, save_best_preset
from tuitrain.sweep.leaderboard import (
    best_sets,
    best_text,
    distinct_values,
    leaderboard,
    objective_text,
    ranks,
    short_names,
    shown_values,
    sweep_progress,
    value_text,
)
from tuitrain.sweep.refine import refine_sweep
from tuitrain.sweep.spec import SweepError
from tuitrain.sweep.status import SweepRecord, SweepStatus, TrialEntry, load_sweep


def entry(number: int, state: str = "finished", objective: float | None = None, **fields) -> TrialEntry:
    return TrialEntry(number=number, state=state, objective=objective, **fields)


def test_leaderboard_ranks_final_objectives_first_then_the_rest_by_number() -> None:
    trials = [
        entry(0, objective=0.5),
        entry(1, "pruned", 0.1),  # partial: not ranked, however low
        entry(2, objective=0.3),
        entry(3, "invalid"),
        entry(4, "diverged", math.nan),  # no finite objective: not ranked
        entry(5, "running", 0.2),
    ]
    assert [t.number for t in leaderboard(trials, "min")] == [2, 0, 1, 3, 4, 5]
    assert [t.number for t in leaderboard(trials, "max")] == [0, 2, 1, 3, 4, 5]
    assert ranks(trials, "min") == {2: 1, 0: 2}


def test_values_as_tables_show_them() -> None:
    assert short_names(["optimizer.learning_rate", "model.layers[0].units"]) == ["learning_rate", "units"]
    assert short_names(["a.rate", "b.rate"]) == ["a.rate", "b.rate"]
    assert value_text(0.000123456) == "0.0001235" and value_text(None) == "-" and value_text(math.inf) == "inf"
    assert value_text("x" * 50).endswith("…") and len(value_text("x" * 50)) == 40
    sgd = {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}
    adam = {"name": "adam", "learning_rate": 0.01}
    shown = shown_values([entry(0, params={"optimizer": sgd}), entry(1, params={"optimizer": adam})])
    assert shown == {(0, "optimizer"): "sgd momentum=0.9", (1, "optimizer"): "adam"}
    assert objective_text(entry(0, objective=0.25, best_epoch=3)) == "0.25 @ 3" and objective_text(entry(1)) == "-"


def test_a_memo_gives_the_same_values_and_follows_a_changed_one() -> None:
    trials = [entry(0, params={LR: 0.1, "units": 64}), entry(1, params={LR: 0.01, "units": 128})]
    memo: dict = {}
    assert shown_values(trials, memo) == shown_values(trials)
    assert memo[(1, "units")] == (128, "128")
    changed = [entry(0, params={LR: 0.1, "units": 64}), entry(1, params={LR: 0.5, "units": True})]
    assert shown_values(changed, memo) == shown_values(changed)  # 1 == True, but True is shown as true
    assert shown_values(changed, memo)[(1, "units")] == "true" and shown_values(changed, memo)[(1, LR)] == "0.5"
    sgd = {"name": "sgd", "momentum": 0.9}
    sections = [entry(0, params={"optimizer": sgd}), entry(1, params={"optimizer": {"name": "adam"}})]
    assert shown_values(sections, memo) == shown_values(sections)  # sections: worked out whole, every time


def test_distinct_values_and_best_sets() -> None:
    trials = [entry(i, params={LR: lr}) for i, lr in enumerate([0.1, 0.1, 0.01])] + [entry(3, "lost", params={LR: 1.0})]
    assert distinct_values(trials) == [f"{LR}: 2 in 4 trials"]
    assert best_sets(entry(0, params={LR: 0.1, "optimizer": {"name": "sgd"}})) == (
        f"--set '{LR}=0.1' --set 'optimizer={{name = \"sgd\"}}'"
    )


def _record(trials: list[TrialEntry], state: str = "running", **fields) -> SweepRecord:
    status = SweepStatus(sweep_id="s", name="s", state=state, created_at=0.0, trials=trials, **fields)
    status.update_best()
    return SweepRecord(paths=None, status=status, state=state, trials=trials)  # type: ignore[arg-type]


def test_progress_counts_done_running_left_and_estimates_the_time_left() -> None:
    trials = [
        entry(0, objective=0.5, run="r0", started_at=0.0, ended_at=100.0),
        entry(1, objective=0.4, run="r1", started_at=0.0, ended_at=100.0),
        entry(2, "invalid", started_at=100.0, ended_at=100.0),  # no run: not in the mean duration
        entry(3, "running", run="r3", started_at=100.0),
        entry(4, "lost"),  # never ran: not done, not counted
    ]
    progress = sweep_progress(_record(trials, trials_planned=10, slots=["cpu0", "cpu1"]), now=140.0)
    assert (progress.planned, progress.done, progress.running, progress.left) == (10, 3, 1, 6)
    assert progress.elapsed == 140.0 and progress.per_hour == pytest.approx(3 / (140 / 3600))
    # six more trials of 100 s and 60 s left of the running one, two at a time
    assert progress.eta == pytest.approx((6 * 100 + 60) / 2)
    assert sweep_progress(_record(trials, "finished", trials_planned=10, ended_at=200.0)).eta is None
    assert best_text(_record(trials, metric="val_loss")) == "val_loss 0.4 (#1)"


def test_a_crashed_sweeps_time_stops_where_its_controller_last_wrote() -> None:
    record = _record([entry(0, objective=0.5)], "crashed", updated_at=50.0)
    assert sweep_progress(record, now=10_000.0).elapsed == 50.0


@pytest.fixture
def finished(tmp_path: Path) -> Path:
    trials = [
        {"state": "finished", "objective": 0.4, "best_epoch": 2, "params": {LR: 0.003}, "val_loss": [0.5, 0.4, 0.45]},
        {"state": "finished", "objective": 0.3, "best_epoch": 2, "params": {LR: 0.001}, "val_loss": [0.5, 0.3, 0.35]},
        {"state": "finished", "objective": 0.35, "best_epoch": 2, "params": {LR: 0.01}, "val_loss": [0.5, 0.35, 0.4]},
    ]
    return make_sweep(tmp_path, trials).root


def test_the_best_trial_is_saved_as_a_user_preset(finished: Path) -> None:
    record = load_sweep(finished)
    best, exp = best_experiment(record)
    assert best.number == 1 and exp.training.epochs == 3
    path = save_best_preset(record, "digits-tuned")
    saved = presets.load("digits-tuned").experiment
    assert path.parent == presets.user_dir() and saved.name == "digits-tuned"
    assert "best trial (1)" in saved.description and "val_loss 0.3 at epoch 2" in saved.description
    with pytest.raises(FileExistsError):
        save_best_preset(record, "digits-tuned")
    save_best_preset(record, "digits-tuned", overwrite=True)
    with pytest.raises(ValueError):
        save_best_preset(record, "../escape")


def test_no_best_trial_is_one_line(tmp_path: Path) -> None:
    record = load_sweep(make_sweep(tmp_path, [{"state": "invalid", "message": "no"}]))
    with pytest.raises(NoBestTrial, match="no trial with a final objective yet"):
        best_experiment(record)


def test_refine_sweep_reads_the_folder_and_spans_the_top_trials(finished: Path) -> None:
    parent, refined = refine_sweep(finished, top=2)
    assert refined.spec.parent == finished.name and refined.spec.name == "fake-fine"
    (param,) = refined.params
    assert param.dist.low < 0.001 and 0.003 < param.dist.high < parent.params[0].dist.high
    with pytest.raises(SweepError, match="must be a number >= 0"):
        refine_sweep(finished, top=2, margin=-1)
    with pytest.raises(SweepError, match="needs at least 2 trials"):
        refine_sweep(finished, top=1)
    empty = finished.parent / "empty"
    os.makedirs(empty)
    with pytest.raises(SweepError, match="not a sweep folder"):
        refine_sweep(empty)
