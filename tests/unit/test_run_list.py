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
