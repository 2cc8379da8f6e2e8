"""A run's per-epoch logs read incrementally equal the run read whole, as its log grows, is replaced or breaks."""

from __future__ import annotations

import os
from pathlib import Path

from runfiles import write_run

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs import EpochEnded, EventWriter, load_run
from tuitrain.runs.series_tail import SeriesTail, SeriesTails


def history(epochs: int, start: int = 0) -> list[dict[str, float]]:
    return [{"loss": 1.0 / (e + 1), "val_loss": 1.2 / (e + 1)} for e in range(start, start + epochs)]


def append(run_dir: Path, epoch: int, logs: dict[str, float], learning_rate: float | None = None) -> None:
    with EventWriter(run_dir / "events.jsonl") as writer:
        writer.write(EpochEnded(epoch=epoch, logs=logs, learning_rate=learning_rate, epoch_seconds=1.0))


def test_the_series_follows_the_log_and_equals_the_run_read_whole(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "t0000", history(3), final=None)
    tail = SeriesTail(run_dir)
    assert tail.series() == load_run(run_dir).series() and len(tail.series()["val_loss"]) == 3
    append(run_dir, 4, {"loss": 0.2, "val_loss": 0.3, "val_accuracy": 0.9}, learning_rate=0.01)
    append(
        run_dir, 4, {"loss": 0.1, "val_loss": 0.25}, learning_rate=0.01
    )  # a resumed run's epoch again: the last wins
    series = tail.series()
    assert series == load_run(run_dir).series()
    assert series["val_loss"][-1] == 0.25 and series["learning_rate"][-1] == 0.01
    # A torn last line is held back until its newline comes.
    with open(run_dir / "events.jsonl", "ab") as log:
        log.write(b'{"type": "epoch_end", "epoch": 5')
    assert tail.series() == series


def test_a_replaced_or_truncated_log_is_read_again_from_its_start(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "t0000", history(5), final=None)
    tail = SeriesTail(run_dir)
    assert len(tail.series()["loss"]) == 5
    other = write_run(tmp_path, "other", history(2, start=7), final=None)
    os.replace(other / "events.jsonl", run_dir / "events.jsonl")
    assert tail.series() == load_run(run_dir).series() and len(tail.series()["loss"]) == 2


def test_a_log_that_cannot_be_read_gives_no_series_and_says_why(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "t0000", history(2), final=None)
    tail = SeriesTail(run_dir)
    assert tail.series()
    (run_dir / "events.jsonl").unlink()
    (run_dir / "events.jsonl").mkdir()  # a folder in its place: never opened
    assert tail.series() == {} and tail.problem and "events.jsonl" in tail.problem
    assert SeriesTail(tmp_path / "missing").series() == {}


def test_the_source_keeps_a_tail_per_run_and_forgets_the_least_recent(tmp_path: Path) -> None:
    runs = [write_run(tmp_path, f"t{n:04d}", history(n + 1), final=None) for n in range(3)]
    tails = SeriesTails(keep=2)
    for run_dir in runs:
        assert tails.series(run_dir) == load_run(run_dir).series()
    assert list(tails._tails) == runs[1:]
    source = LocalRunsSource(tmp_path)
    assert source.epoch_series(runs[2]) == load_run(runs[2]).series()
    append(runs[2], 4, {"loss": 0.1, "val_loss": 0.2})
    assert source.epoch_series(runs[2])["val_loss"][-1] == 0.2
