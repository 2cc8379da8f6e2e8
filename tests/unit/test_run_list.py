"""Filtering and sorting the runs list: newest first by default, any column, filter terms."""

from __future__ import annotations

import time
from pathlib import Path

from runfiles import run_row

from tuitrain.runs.note import RunNote
from tuitrain.ui.run_list import SORT_ORDER, arrange, parse_filter, sort_label, started


def rows() -> list:
    return [
        run_row(Path("r/20261130-120000-new"), state="running", started_at=300.0, dataset="mnist", best_val_loss=None),
        run_row(
            Path("r/20261130-110000-mid"), best_val_loss=(3, 0.2), started_at=200.0, note=RunNote("sgd", ("base",))
        ),
        run_row(
            Path("r/20261130-100000-old"), state="failed", best_val_loss=(5, 0.5), started_at=100.0, dataset="imdb"
        ),
    ]


def names(arranged: list) -> list[str]:
    return [r.name.rsplit("-", 1)[-1] for r in arranged]


def test_newest_first_by_default_and_a_pending_run_by_its_folder_time() -> None:
    listed = rows()
    assert names(arrange(listed, parse_filter(""))) == ["new", "mid", "old"]
    pending = run_row(Path("r/20261130-130000-pending"), state="pending", started_at=None)
    assert started(pending) == time.mktime(time.strptime("20261130-130000", "%Y%m%d-%H%M%S"))
    assert names(arrange([*listed, pending], parse_filter("")))[0] == "pending"
    # Launched earlier but slow to import TensorFlow: its trainer started after the newer run's folder was made.
    slow = run_row(Path("r/20261130-125900-slow"), state="running", started_at=started(pending) + 30)
    assert names(arrange([slow, pending], parse_filter(""))) == ["pending", "slow"]
    assert started(run_row(Path("r/handmade"), started_at=5.0)) == 5.0
    assert names(arrange(listed, parse_filter(""), flip=True)) == ["old", "mid", "new"]


def test_every_column_sorts_and_missing_values_stay_last() -> None:
    listed = rows()
    assert names(arrange(listed, parse_filter(""), "val_loss")) == ["mid", "old", "new"]
    assert names(arrange(listed, parse_filter(""), "val_loss", flip=True)) == ["old", "mid", "new"]
    assert names(arrange(listed, parse_filter(""), "dataset")) == ["mid", "old", "new"]
    assert names(arrange(listed, parse_filter(""), "state")) == ["old", "mid", "new"]
    assert names(arrange(listed, parse_filter(""), "note")) == ["mid", "new", "old"]
    for sort in SORT_ORDER:
        assert len(arrange(listed, parse_filter(""), sort)) == 3
    assert sort_label("started", False) == "newest first" and sort_label("val_loss", False) == "best val_loss ↑"


def test_filter_by_words_state_dataset_and_tag() -> None:
    listed = rows()
    assert names(arrange(listed, parse_filter("state:running"))) == ["new"]
    assert names(arrange(listed, parse_filter("dataset:imdb"))) == ["old"]
    assert names(arrange(listed, parse_filter("dataset:digits dataset:mnist"))) == ["new", "mid"]
    assert names(arrange(listed, parse_filter("#base"))) == ["mid"]
    assert names(arrange(listed, parse_filter("tag:BASE"))) == ["mid"]
    assert names(arrange(listed, parse_filter("SGD"))) == ["mid"]
    assert names(arrange(listed, parse_filter("mid failed"))) == []
    assert not parse_filter("  ")


def test_a_sweep_summarises_its_trials_and_sorts_and_filters_with_the_runs() -> None:
    from runfiles import fake_sweep, trial

    from tuitrain.ui.run_list import arrange_tree, sweep_summary

    sweep_dir = Path("r/sweeps/20261130-103000-lr")
    record = fake_sweep(
        sweep_dir,
        [
            trial(0, objective=0.3, run="a"),
            trial(1, "pruned", objective=0.9, run="b"),
            trial(2, "running", run="c"),
            trial(3, "invalid", run=None),
        ],
        trials_planned=6,
        name="lr",
    )
    trial_runs = [
        run_row(sweep_dir / "trials" / "a", best_val_loss=(4, 0.3), dataset="imdb"),
        run_row(sweep_dir / "trials" / "b", state="stopped", best_val_loss=(2, 0.9), dataset="imdb"),
        run_row(sweep_dir / "trials" / "c", state="running", best_val_loss=None, dataset="imdb"),
    ]
    sweep = sweep_summary(record, trial_runs, dataset="digits", now=1500.0)
    assert (sweep.state, sweep.epochs_done, sweep.trials_planned, sweep.dataset) == ("running", 3, 6, "imdb")
    assert sweep.best == (0, 0.3) and sweep.best_val_loss == (0, 0.3) and sweep.duration == 500.0
    assert [t.state_label for t in sweep.trials] == ["finished", "pruned", "running"]

    # Among the runs by its folder's time; folded, its trials are not listed.
    lines = arrange_tree(rows(), [sweep], parse_filter(""))
    assert [(line.kind, line.row.name.rsplit("-", 1)[-1]) for line in lines] == [
        ("run", "new"),
        ("run", "mid"),
        ("sweep", "lr"),
        ("run", "old"),
    ]
    opened = arrange_tree(rows(), [sweep], parse_filter(""), "val_loss", open_sweeps={str(sweep_dir)})
    assert [Path(line.key).name for line in opened][:5] == ["20261130-110000-mid", "20261130-103000-lr", "a", "b", "c"]
    assert [line.last for line in opened if line.kind == "trial"] == [False, False, True]
    # A filter matching a trial keeps the sweep and, open, just that trial; one matching the sweep, all.
    pruned = arrange_tree(rows(), [sweep], parse_filter("state:pruned"), open_sweeps={str(sweep_dir)})
    assert [line.kind for line in pruned] == ["sweep", "trial"] and pruned[1].key.endswith("/b")
    named = arrange_tree(rows(), [sweep], parse_filter("lr"), open_sweeps={str(sweep_dir)})
    assert [line.kind for line in named] == ["sweep", "trial", "trial", "trial"]
    assert arrange_tree(rows(), [sweep], parse_filter("dataset:mnist")) == arrange_tree(
        rows(), [], parse_filter("dataset:mnist")
    )
