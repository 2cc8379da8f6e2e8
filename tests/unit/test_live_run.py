"""LiveRun: what the monitor knows about a run, fed one event at a time through LiveRun.apply."""

from __future__ import annotations

from pathlib import Path

from runevents import epoch, started

from tuitrain.runs.events import BatchProgress, FlagRaised, RunFailed, RunFinished
from tuitrain.runs.tail import LogProblem, TrainerGone
from tuitrain.ui.live_run import LiveRun


def test_a_run_from_start_to_finish() -> None:
    run = LiveRun(Path("r"))
    assert run.state == "pending" and not run.ended
    run.apply(started(pid=4242, epochs=5))
    assert (run.state, run.device, run.params, run.epochs_planned, run.pid) == ("running", "CPU", 100, 5, 4242)
    run.apply(BatchProgress(epoch=1, step=5, steps=10, time=1001.0))
    assert run.progress is not None and run.epoch_fraction() == 0.5
    for n, val in enumerate([0.9, 0.6, 0.7], start=1):
        run.apply(epoch(n, val, 0.8))
    run.apply(epoch(2, 0.1, 0.8))  # a repeat (the log read again) changes nothing
    assert run.epochs_done == 3 and run.series("val_loss") == [0.9, 0.6, 0.7]
    assert run.best("val_loss") == (2, 0.6) and run.progress is None
    run.apply(BatchProgress(epoch=2, step=9, steps=10, time=1006.5))  # older than the last epoch: ignored
    assert run.progress is None
    run.apply(FlagRaised(epoch=3, criterion="UP", severity="warning", message="Validation loss rose."))
    assert [f.criterion for f in run.flags].count("UP") == 1
    version = run.version
    run.apply(LogProblem(detail="Unreadable line(s) 4 of the event log were skipped."))
    assert run.version == version  # the screen says it; the run is unchanged
    run.apply(RunFinished(status="stopped", reason="stopped by SIGTERM", epochs_done=3, time=1010.0))
    assert (run.state, run.reason, run.ended, run.elapsed(2000.0)) == ("stopped", "stopped by SIGTERM", True, 10.0)


def test_failure_and_a_crash_noticed_later() -> None:
    run = LiveRun(Path("r"))
    run.apply(started())
    run.apply(RunFailed(status="diverged", error="loss became NaN", time=1003.0))
    assert (run.state, run.reason, run.ended_at) == ("diverged", "loss became NaN", 1003.0)

    crashed = LiveRun(Path("r"))
    crashed.apply(started())
    crashed.apply(epoch(1, 0.5, 0.8))
    crashed.apply(TrainerGone(state="crashed", reason="killed"))
    # Noticed later: the run ended at its last event.
    assert (crashed.state, crashed.reason, crashed.ended_at) == ("crashed", "killed", 1002.0)
