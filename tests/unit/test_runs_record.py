"""A run as readers see it: history, bests, state; a trainer killed with SIGKILL reads as "crashed"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from runevents import EXPERIMENT, epoch, make_run, started

from tuitrain.runs import (
    BatchProgress,
    FlagRaised,
    RunFailed,
    RunFinished,
    RunPaths,
    RunStatus,
    last_error,
    load_run,
    process_alive,
    process_start_time,
    trainer_alive,
)
from tuitrain.runs import status as status_module

REPO = Path(__file__).resolve().parents[2]
LINUX_PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def test_finished_run_history_bests_and_summary(tmp_path: Path) -> None:
    events = [
        started(),
        epoch(1, 0.9, 0.70),
        BatchProgress(epoch=2, step=3, steps=10),
        epoch(2, 0.5, 0.80),
        FlagRaised(epoch=2, criterion="GL", severity="info", message="m"),
        epoch(3, 0.6, 0.85),
        RunFinished(time=1010.0, status="finished", reason="all 3 epochs", epochs_done=3, best_epoch=2),
    ]
    record = load_run(make_run(tmp_path / "run", events))
    assert record.state == "finished" and record.reason == "all 3 epochs"
    assert record.run_id == "run" and record.epochs == [1, 2, 3] and record.epochs_done == 3
    assert record.history[1] == {
        "loss": 0.5,
        "accuracy": 0.5,
        "val_loss": 0.5,
        "val_accuracy": 0.8,
        "learning_rate": 0.01,
    }
    assert record.series()["val_loss"] == [0.9, 0.5, 0.6]
    assert record.best_val_loss == (2, 0.5) and record.best_val_accuracy == (3, 0.85) and record.best_epoch == 2
    assert record.duration == 10.0 and record.started_at == 1000.0
    assert record.dataset == "digits" and record.experiment_name == "digits-overfit" and record.epochs_planned == 10
    assert [f.criterion for f in record.flags] == ["GL"]
    assert record.current_batch is None  # superseded by epoch 2's end
    assert record.experiment is not None and record.experiment_error is None


def test_repeated_epochs_keep_the_last_and_come_in_epoch_order(tmp_path: Path) -> None:
    events = [epoch(2, 0.4, 0.9), epoch(1, 0.9, 0.7), epoch(2, 0.3, 0.95)]
    record = load_run(make_run(tmp_path / "run", events, RunStatus(state="finished")))
    assert record.epochs == [1, 2] and record.history[1]["val_loss"] == 0.3


def test_nan_values_are_ignored_for_bests(tmp_path: Path) -> None:
    events = [started(), epoch(1, float("nan"), float("nan")), epoch(2, 0.7, 0.6)]
    record = load_run(make_run(tmp_path / "run", events, RunStatus(state="failed")))
    assert record.best_val_loss == (2, 0.7) and record.best_val_accuracy == (2, 0.6)


def test_failed_and_diverged_runs_carry_their_error(tmp_path: Path) -> None:
    error = "loss became NaN at epoch 2, batch 7: the learning rate 10 is too high for adam"
    events = [started(), epoch(1, 0.5, 0.5), RunFailed(status="diverged", error=error, epoch=2, batch=7)]
    run = make_run(tmp_path / "run", events)
    record = load_run(run)
    assert record.state == "diverged" and record.reason == error and record.epochs_done == 1
    assert last_error(run) == error


def test_missing_or_broken_experiment_is_reported_not_raised(tmp_path: Path) -> None:
    record = load_run(make_run(tmp_path / "a", [started()], experiment="name = [broken"))
    assert record.experiment is None and "experiment.toml cannot be read" in (record.experiment_error or "")
    (tmp_path / "a" / "experiment.toml").unlink()
    record = load_run(tmp_path / "a")
    assert record.experiment is None and record.experiment_error == "experiment.toml is missing"
    assert record.dataset is None and record.epochs_planned == 10  # from run_started


def test_live_trainer_is_running_and_pending_before_it_starts(tmp_path: Path) -> None:
    me = RunStatus.for_this_process("running")
    record = load_run(make_run(tmp_path / "a", [started(pid=os.getpid()), epoch(1, 0.5, 0.5)], me))
    assert record.state == "running" and record.trainer_alive is True and record.duration is not None
    pending = RunStatus.for_this_process("pending")
    assert load_run(make_run(tmp_path / "b", [], pending)).state == "pending"
    assert load_run(make_run(tmp_path / "c", [], RunStatus(state="pending"))).state == "pending"
    assert trainer_alive(tmp_path / "a") is True
    assert trainer_alive(tmp_path / "c") is None  # no pid recorded yet


def _age(run_dir: Path, seconds: float) -> None:
    """Make every file of the run (and the directory) look last changed ``seconds`` ago."""
    import time

    then = time.time() - seconds
    for path in [*run_dir.iterdir(), run_dir]:
        os.utime(path, (then, then))


def test_a_directory_that_never_recorded_a_trainer_is_crashed_once_it_has_been_quiet(tmp_path: Path) -> None:
    from tuitrain.runs.record import ORPHAN_AFTER

    # Its starter was killed before recording the pid, or it is a damaged copy: garbage events, no status.
    run = make_run(tmp_path / "a", [])
    (run / "events.jsonl").write_bytes(b'{"type": "run_started", "garb\n\x00\x01\n')
    assert load_run(run).state == "pending" and trainer_alive(run) is None  # just made: may be starting
    _age(run, ORPHAN_AFTER + 5)
    record = load_run(run)
    assert record.state == "crashed" and "no trainer process was ever recorded" in (record.reason or "")
    assert trainer_alive(run) is False
    pending = make_run(tmp_path / "b", [], RunStatus(state="pending"))
    _age(pending, ORPHAN_AFTER + 5)
    assert load_run(pending).state == "crashed" and trainer_alive(pending) is False


def test_a_quiet_run_with_a_live_trainer_is_not_an_orphan(tmp_path: Path) -> None:
    from tuitrain.runs.record import ORPHAN_AFTER

    # A long epoch writes nothing for minutes; the recorded pid decides, not the quiet.
    me = process_start_time(os.getpid())
    run = make_run(tmp_path / "a", [started(pid=os.getpid(), pid_start=me)], RunStatus.for_this_process("running"))
    _age(run, ORPHAN_AFTER * 10)
    assert load_run(run).state == "running" and trainer_alive(run) is True
    # A hand-broken status: the run_started event's pid (and its start time) is used.
    (run / "status.json").write_text("{broken")
    _age(run, ORPHAN_AFTER * 10)
    assert load_run(run).state == "running" and trainer_alive(run) is True


def test_trainer_on_another_host_is_running_there_not_crashed(tmp_path: Path) -> None:
    status = RunStatus(state="running", pid=999_999_999, host="gpu-box-7")
    record = load_run(make_run(tmp_path / "a", [started(), epoch(1, 0.5, 0.5)], status))
    assert record.state == "running" and record.host == "gpu-box-7"
    assert record.state_label == "running (on gpu-box-7)"
    assert trainer_alive(tmp_path / "a") is None


def test_dead_pid_without_status_is_crashed_by_the_run_started_pid(tmp_path: Path) -> None:
    record = load_run(make_run(tmp_path / "a", [started(pid=999_999_999), epoch(1, 0.5, 0.5)]))
    assert record.state == "crashed"
    assert (
        record.reason == "the trainer process (pid 999999999) ended without a final event; history kept up to epoch 1"
    )


def test_status_with_an_end_but_no_final_event_is_trusted(tmp_path: Path) -> None:
    status = RunStatus(state="stopped", pid=999_999_999, message="stopped by the user")
    record = load_run(make_run(tmp_path / "a", [started(), epoch(1, 0.5, 0.5)], status))
    assert record.state == "stopped" and record.reason == "stopped by the user"


@LINUX_PROC
def test_pid_reuse_is_not_mistaken_for_the_trainer() -> None:
    me = os.getpid()
    start = process_start_time(me)
    assert start is not None
    assert process_alive(me, start) and process_alive(me)
    assert not process_alive(me, start + 1)  # same pid, another process start: not our trainer
    assert not process_alive(999_999_999) and not process_alive(0)


def test_permission_denied_means_the_process_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(pid: int, sig: int) -> None:
        raise PermissionError

    monkeypatch.setattr(status_module.os, "kill", denied)
    assert process_alive(os.getpid())


@LINUX_PROC
def test_zombie_counts_as_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    # Wait for the exit without reaping it: the child stays a zombie until child.wait().
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    try:
        assert not process_alive(child.pid)
    finally:
        child.wait()


TRAINER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from tuitrain.runs import BatchProgress, EpochEnded, EventWriter, RunPaths, RunStarted, StatusFile

    paths = RunPaths(Path(sys.argv[1]))
    status = StatusFile(paths)
    status.write()
    writer = EventWriter(paths.events)
    writer.write(RunStarted(run_id=paths.root.name, experiment_name="digits-overfit", device="CPU",
        device_kind="cpu", params_total=10, params_trainable=10, pid=os.getpid(), epochs=5,
        steps_per_epoch=10, train_samples=300, val_samples=100))
    for n in (1, 2):
        writer.write(EpochEnded(epoch=n, logs={"loss": 1.0 / n, "val_loss": 1.5 / n}, learning_rate=0.01,
            epoch_seconds=0.1))
        status.update(epochs_done=n)
    writer.write(BatchProgress(epoch=3, step=4, steps=10, logs={"loss": 0.3}))
    print("now in epoch 3", file=sys.stderr, flush=True)  # before the ready line: the test kills after it
    print("trained 2 epochs", flush=True)
    time.sleep(120)
    """
)


def test_sigkilled_trainer_reads_as_crashed_with_its_history(tmp_path: Path) -> None:
    run = tmp_path / "20260101-120000-digits-overfit"
    run.mkdir()
    (run / "experiment.toml").write_text(EXPERIMENT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    with open(RunPaths(run).trainer_log, "wb") as log:
        trainer = subprocess.Popen(
            [sys.executable, "-c", TRAINER, str(run)], stdout=subprocess.PIPE, stderr=log, env=env
        )
    try:
        assert trainer.stdout is not None
        assert trainer.stdout.readline() == b"trained 2 epochs\n"  # blocks until the trainer got there
        live = load_run(run)
        assert live.state == "running" and live.epochs_done == 2
        assert live.current_batch is not None and live.current_batch.step == 4
        assert trainer_alive(run) is True
    finally:
        os.kill(trainer.pid, signal.SIGKILL)
        trainer.wait()
        trainer.stdout.close()  # type: ignore[union-attr]
    record = load_run(run)
    assert record.state == "crashed"
    assert record.reason == (
        f"the trainer process (pid {trainer.pid}) ended without a final event; history kept up to epoch 2"
    )
    assert record.epochs == [1, 2] and record.history[1]["loss"] == 0.5
    assert record.status is not None and record.status.state == "running"  # what it last said
    assert trainer_alive(run) is False
    assert last_error(run) == f"{record.reason}; its last output: now in epoch 3"
