"""The one tail loop (tuitrain.runs.tail): events in order, skipped lines, crashes, lost final events.

Also ``tuitrain run``'s follower, which prints what the same loop hands it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from runevents import epoch, make_run, started

from tuitrain.cli.follow import ChildProbe, Follower
from tuitrain.runs import (
    BatchProgress,
    EpochEnded,
    Event,
    EventWriter,
    FlagRaised,
    RunFailed,
    RunFinished,
    RunPaths,
    RunStatus,
)
from tuitrain.runs.status import RunState
from tuitrain.runs.tail import GONE_REASON, DirectoryProbe, LogProblem, TrainerGone, tail_run


@dataclass
class Scripted:
    """A probe over events a test hands out poll by poll; the trainer lives until ``alive`` says not."""

    run_dir: Path = Path("run")
    polls: list[list[Event]] = field(default_factory=list)
    bad: list[list[int]] = field(default_factory=list)
    alive: list[bool | None] = field(default_factory=list)
    ended: tuple[RunState, str | None] = ("crashed", None)
    there: bool = True
    problems: list[str | None] = field(default_factory=list)

    def exists(self) -> bool:
        return self.there

    def poll(self) -> Sequence[Event]:
        return self.polls.pop(0) if self.polls else []

    def skipped_lines(self) -> Sequence[int]:
        return self.bad.pop(0) if self.bad else []

    def log_problem(self) -> str | None:
        return self.problems.pop(0) if self.problems else None

    def trainer_alive(self) -> bool | None:
        return self.alive.pop(0) if self.alive else True

    def how_it_ended(self) -> tuple[RunState, str | None]:
        return self.ended


def follow(probe: Scripted, limit: int = 50) -> tuple[str, list[object]]:
    seen: list[object] = []
    rounds = iter(range(limit))
    ticks = iter(range(10 * limit))  # every look at the clock is a second later: liveness is asked each round
    result = tail_run(
        probe,
        seen.append,
        lambda: next(rounds, None) is None,
        sleep=lambda s: None,
        clock=lambda: float(next(ticks)),
    )
    return result, seen


def test_events_in_order_then_the_final_one_ends_it() -> None:
    finished = RunFinished(status="finished", epochs_done=2)
    probe = Scripted(polls=[[started(), epoch(1, 0.5, 0.5)], [], [epoch(2, 0.5, 0.5), finished], [epoch(3, 0.5, 0.5)]])
    result, seen = follow(probe)
    assert result == "ended"
    assert seen == [started(), epoch(1, 0.5, 0.5), epoch(2, 0.5, 0.5), finished]


def test_skipped_lines_are_said_once_per_poll() -> None:
    probe = Scripted(polls=[[epoch(1, 0.5, 0.5)], [epoch(2, 0.5, 0.5)]], bad=[[3], [5, 6]], alive=[None] * 10)
    result, seen = follow(probe, limit=3)
    assert result == "cancelled"
    problems = [e.detail for e in seen if isinstance(e, LogProblem)]
    assert problems == [
        "Unreadable line(s) 3 of the event log were skipped.",
        "Unreadable line(s) 5, 6 of the event log were skipped.",
    ]


def test_a_log_that_cannot_be_read_is_said_once_while_it_lasts() -> None:
    fifo = "events.jsonl: is a FIFO (named pipe), not a regular file"
    folder = "events.jsonl: is a folder, not a regular file"
    probe = Scripted(problems=[fifo, fifo, fifo, None, folder, folder], alive=[None] * 10)
    result, seen = follow(probe, limit=7)
    assert result == "cancelled"
    assert [e.detail for e in seen if isinstance(e, LogProblem)] == [
        f"The event log cannot be read: {fifo}.",
        f"The event log cannot be read: {folder}.",
    ]


def test_directory_probe_reports_a_fifo_as_the_log_without_opening_it(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run-1", [started()])
    RunPaths(run_dir).events.unlink()
    os.mkfifo(RunPaths(run_dir).events)
    probe = DirectoryProbe(run_dir)
    assert list(probe.poll()) == []  # returns at once: a FIFO opened for reading would block
    assert "FIFO" in (probe.log_problem() or "")


def test_a_gone_trainer_is_a_crash_after_one_last_read() -> None:
    probe = Scripted(
        polls=[[epoch(1, 0.5, 0.5)], [epoch(2, 0.5, 0.5)]],
        alive=[True, False],
        ended=("crashed", "killed: out of memory"),
    )
    result, seen = follow(probe)
    assert result == "crashed"
    assert seen == [
        epoch(1, 0.5, 0.5),
        epoch(2, 0.5, 0.5),
        TrainerGone(state="crashed", reason="killed: out of memory"),
    ]


def test_a_final_event_in_the_last_read_is_no_crash() -> None:
    failed = RunFailed(status="diverged", error="loss became NaN")
    probe = Scripted(polls=[[epoch(1, 0.5, 0.5)], [failed]], alive=[False])
    assert follow(probe) == ("ended", [epoch(1, 0.5, 0.5), failed])


def test_an_end_only_the_status_file_knows_is_reported_as_that_end() -> None:
    probe = Scripted(alive=[False], ended=("stopped", "stopped by SIGTERM"))
    assert follow(probe) == ("ended", [TrainerGone(state="stopped", reason="stopped by SIGTERM")])
    # A directory that cannot tell (no pid, still "running") with its trainer gone: a crash.
    probe = Scripted(alive=[False], ended=("running", None))
    assert follow(probe) == ("crashed", [TrainerGone(state="crashed", reason=GONE_REASON)])


def test_a_missing_run_is_said_once() -> None:
    result, seen = follow(Scripted(there=False))
    assert result == "missing"
    assert len(seen) == 1 and isinstance(seen[0], LogProblem) and "no run directory" in seen[0].detail


def test_directory_probe_reads_a_run_directory(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run-1", [started(), epoch(1, 0.5, 0.5)])
    with open(RunPaths(run_dir).events, "ab") as fh:
        fh.write(b"{garbled}\n")
    with EventWriter(RunPaths(run_dir).events) as writer:
        writer.write(epoch(2, 0.5, 0.5))
    probe = DirectoryProbe(run_dir)
    assert probe.exists() and not DirectoryProbe(tmp_path / "nope").exists()
    assert [type(e).__name__ for e in probe.poll()] == ["RunStarted", "EpochEnded", "EpochEnded"]
    assert list(probe.skipped_lines()) == [3] and list(probe.skipped_lines()) == []
    assert probe.trainer_alive() is False  # pid 999999999 is no process
    state, reason = probe.how_it_ended()
    assert state == "crashed" and "pid 999999999" in (reason or "")


def test_the_follower_prints_each_kind_of_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run(tmp_path / "run-1", [])
    follower = Follower(run_dir, epochs=3, interactive=False)
    flag = FlagRaised(epoch=2, criterion="UP", severity="warning", message="Validation loss rose twice.")
    for event in [
        started(),
        BatchProgress(epoch=1, step=5, steps=10),
        epoch(1, 0.5, 0.5),
        epoch(2, 0.4, 0.75, learning_rate=None),
        flag,
        LogProblem(detail="Unreadable line(s) 7 of the event log were skipped."),
        RunFinished(status="stopped", reason="stopped by SIGTERM", epochs_done=2),
    ]:
        follower.show(event)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "CPU; 100 parameters; 300 training / 100 validation samples; 10 batches per epoch"
    assert lines[1] == "epoch  1/10  loss 1.0000  accuracy 0.5000  val_loss 0.5000  val_accuracy 0.5000  lr 0.01  2.0s"
    # No learning rate recorded: a dash, not a crash.
    assert lines[2] == "epoch  2/10  loss 0.5000  accuracy 0.5000  val_loss 0.4000  val_accuracy 0.7500  lr -  2.0s"
    assert lines[3] == "  ! epoch 2 [UP] Validation loss rose twice."
    assert err.strip() == "tuitrain: warning: Unreadable line(s) 7 of the event log were skipped."
    assert (follower.state, follower.reason) == ("stopped", "stopped by SIGTERM")
    follower.show(TrainerGone(state="crashed", reason="gone"))
    assert (follower.state, follower.reason) == ("crashed", "gone")


def test_a_child_trainer_that_exits_without_a_word_is_a_crash_with_its_exit_status(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    child.wait()
    # The status names a pid that no longer runs, so the directory alone would say "crashed" too.
    status = RunStatus(state="pending")
    run_dir = make_run(tmp_path / "run-1", [], status=status)
    probe = ChildProbe(run_dir, child)
    assert probe.trainer_alive() is False
    state, reason = probe.how_it_ended()
    assert state == "crashed" and "exit status 3" in (reason or "")


def test_the_follower_prints_file_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run(tmp_path / "run-1", [])
    follower = Follower(run_dir, epochs=1, interactive=False)
    hostile = "[b]x\x1b]0;pwned\x07"
    logs = {"loss": 0.5, f"val_{hostile}": 0.25}
    follower.show(EpochEnded(epoch=1, logs=logs, learning_rate=0.01, epoch_seconds=1.0))
    follower.show(LogProblem(detail=f"odd {hostile}"))
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "val_[b]x\\x1b]0;pwned\\x07 0.2500" in out and "odd [b]x\\x1b]0;pwned\\x07" in err
