"""Runs under hostile or broken conditions (issue 9): deleting, odd files, a lying record, dead trainers.

Every case uses real files, folders, FIFOs, symbolic links and processes; CLI runs that could hang
run in a child process with a timeout (see ``tests/faults.py``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faults import cli, full_disk, without_root_override
from typer.testing import CliRunner

from tuitrain.cli import app
from tuitrain.fsutil import is_temporary
from tuitrain.runs import (
    BestSaved,
    EpochEnded,
    EventWriter,
    HistoryCsvWriter,
    NotARunDirectory,
    RunFinished,
    RunPaths,
    RunStarted,
    RunStatus,
    complete_history_csv,
    delete_run,
    list_runs,
    load_run,
    process_start_time,
    scan_runs,
    write_status,
)

EXPERIMENT = 'name = "digits-overfit"\n[dataset]\nname = "digits"\n[training]\nepochs = {epochs}\n'
DEAD_PID = 999_999_999


def epoch(n: int, val_loss: float) -> EpochEnded:
    logs = {"loss": 1.0 / n, "accuracy": 0.5, "val_loss": val_loss, "val_accuracy": 0.5}
    return EpochEnded(time=1000.0 + n, epoch=n, logs=logs, learning_rate=0.01, epoch_seconds=1.0)


def make_run(
    root: Path,
    name: str,
    val_losses: list[float],
    *,
    status: RunStatus | None = None,
    final: RunFinished | None = None,
    extra: list[object] = (),  # type: ignore[assignment]
    epochs: int = 40,
) -> Path:
    """A run folder as a trainer leaves it: experiment, events (run_started, epochs, ...), status."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    paths = RunPaths(run_dir)
    paths.experiment.write_text(EXPERIMENT.format(epochs=epochs))
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                time=1000.0, run_id=name, experiment_name="digits-overfit", device="CPU", device_kind="cpu",
                params_total=10, params_trainable=10, pid=DEAD_PID, epochs=epochs, steps_per_epoch=5,
                train_samples=100, val_samples=50,
            )
        )  # fmt: skip
        for n, value in enumerate(val_losses, start=1):
            writer.write(epoch(n, value))
        for event in extra:
            writer.write(event)  # type: ignore[arg-type]
        if final is not None:
            writer.write(final)
    write_status(paths, status or RunStatus(state="running", pid=DEAD_PID, started_at=1000.0))
    return run_dir


def show(root: Path, name: str) -> str:
    result = CliRunner().invoke(app, ["runs", "show", name, "--runs-dir", str(root)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return result.output


# ---------------------------------------------------------------------------------------------- deleting


def test_cli_delete_refuses_a_folder_outside_the_runs_root(tmp_path: Path) -> None:
    """The issue's example: a folder holding a status.json outside the runs root is never removed."""
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "status.json").touch()
    (tmp_path / "runs").mkdir()
    result = CliRunner().invoke(app, ["runs", "delete", str(proj), "--yes", "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 1 and proj.is_dir() and (proj / "sub").is_dir()
    assert "not inside the runs folder" in result.output and len(result.output.strip().splitlines()) == 1


def test_delete_follows_symbolic_links_before_deciding(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "runs", tmp_path / "elsewhere"
    victim = make_run(elsewhere, "victim", [0.5])
    root.mkdir()
    (root / "link").symlink_to(victim)
    with pytest.raises(ValueError):
        delete_run(root, "link")
    with pytest.raises(ValueError):
        delete_run(root, root / "link")
    with pytest.raises(ValueError):
        delete_run(root, str(root / ".." / "elsewhere" / "victim"))
    assert victim.is_dir()
    # A runs root that is itself a link: its runs are inside it once both sides are resolved.
    (tmp_path / "runs-link").symlink_to(elsewhere)
    assert delete_run(tmp_path / "runs-link", "victim") == victim.resolve() and not victim.exists()


def test_delete_with_one_argument_only_removes_a_run_of_the_default_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUITRAIN_RUNS", raising=False)
    inside = make_run(tmp_path / "runs", "inside", [0.5])
    outside = make_run(tmp_path / "other", "outside", [0.5])
    with pytest.raises(NotARunDirectory, match="not inside the runs folder"):
        delete_run(outside)
    assert outside.is_dir()
    delete_run(Path("runs") / "inside")
    assert not inside.exists()


# ---------------------------------------------------------------------------------------------- temporaries


def _killed_mid_save(target: Path) -> None:
    """A process that dies (SIGKILL) in the middle of an atomic save of ``target``."""
    code = (
        "import os, signal, sys; from pathlib import Path; from tuitrain.fsutil import atomic_path\n"
        "with atomic_path(Path(sys.argv[1])) as tmp:\n"
        "    tmp.write_bytes(b'PK' * 50000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(target)], check=False)


def test_temporaries_of_an_interrupted_save_are_ignored_then_removed_once_the_trainer_is_gone(tmp_path: Path) -> None:
    crashed = make_run(tmp_path, "crashed", [0.5, 0.4])
    _killed_mid_save(RunPaths(crashed).best_model)
    (left,) = [p for p in crashed.iterdir() if is_temporary(p.name)]
    assert left.stat().st_size == 100_000
    assert [s.name for s in list_runs(tmp_path)] == ["crashed"]  # readers never look at it
    out = show(tmp_path, "crashed")
    assert f"removed {left.name}" in out and not left.exists()
    # A run whose trainer lives keeps its temporaries: the save may be in progress.
    live = make_run(tmp_path, "live", [0.5], status=RunStatus.for_this_process("running"))
    _killed_mid_save(RunPaths(live).best_model)
    show(tmp_path, "live")
    assert [p for p in live.iterdir() if is_temporary(p.name)]


def test_a_history_csv_one_epoch_behind_a_dead_trainers_log_is_completed_by_runs_show(tmp_path: Path) -> None:
    crashed = make_run(tmp_path, "crashed", [0.5, 0.4, 0.45])
    paths = RunPaths(crashed)
    # Killed between epoch 3's event and its history.csv rewrite: the file has epochs 1-2 only.
    HistoryCsvWriter(paths, [epoch(1, 0.5), epoch(2, 0.4)]).write()
    out = show(tmp_path, "crashed")
    assert "history.csv was behind the event log" in out
    assert [line.split(",")[0] for line in paths.history_csv.read_text().splitlines()[1:]] == ["1", "2", "3"]
    assert "history.csv was behind" not in show(tmp_path, "crashed")  # whole now: nothing more to say
    # A live trainer's file is its own to write; a folder in the file's place is left alone.
    live = make_run(tmp_path, "live", [0.5, 0.4], status=RunStatus.for_this_process("running"))
    HistoryCsvWriter(RunPaths(live), [epoch(1, 0.5)]).write()
    assert not complete_history_csv(load_run(live))
    odd = make_run(tmp_path, "odd", [0.5])
    RunPaths(odd).history_csv.mkdir()
    assert not complete_history_csv(load_run(odd))


# ---------------------------------------------------------------------------------------------- odd files


@pytest.mark.parametrize("member", ["events.jsonl", "status.json", "experiment.toml", "trainer.log"])
def test_a_fifo_where_a_run_file_belongs_never_blocks_a_reader(tmp_path: Path, member: str) -> None:
    run = make_run(tmp_path, "run", [0.5, 0.4])
    (run / member).unlink(missing_ok=True)
    os.mkfifo(run / member)
    make_run(tmp_path, "fine", [0.3])
    listed = cli("runs", "list", "--runs-dir", str(tmp_path))
    assert listed.returncode == 0 and "fine" in listed.stdout and "run" in listed.stdout
    shown = cli("runs", "show", "run", "--runs-dir", str(tmp_path))
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    if member != "trainer.log":  # the log is read for a crash's last words only, and skipped
        assert f"{member}" in shown.stderr and "FIFO" in shown.stderr


def test_symbolic_link_loops_and_binary_files_get_one_line(tmp_path: Path) -> None:
    make_run(tmp_path, "ok", [0.5])
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    binary = make_run(tmp_path, "binary", [0.5])
    RunPaths(binary).experiment.write_bytes(os.urandom(512) + b"\xff\xfe")
    looped = make_run(tmp_path, "looped", [0.5])
    RunPaths(looped).events.unlink()
    RunPaths(looped).events.symlink_to(RunPaths(looped).events)
    listed = cli("runs", "list", "--runs-dir", str(tmp_path))
    assert listed.returncode == 0 and "skipped loop: a symbolic link loop" in listed.stderr
    assert (
        "experiment.toml cannot be read: not UTF-8 text"
        in cli("runs", "show", "binary", "--runs-dir", str(tmp_path)).stderr
    )
    assert "events.jsonl: a symbolic link loop" in cli("runs", "show", "looped", "--runs-dir", str(tmp_path)).stderr
    for name in ("loop", "binary", "looped"):
        for command in (["runs", "show", name], ["runs", "delete", name, "--yes"], ["attach", name]):
            if command[0] == "attach" and name != "loop":
                continue  # attach on a readable run opens the dashboard
            result = cli(*command, "--runs-dir", str(tmp_path))
            assert "Traceback" not in result.stdout + result.stderr, (command, result.stderr)
            if name == "loop":
                assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr


def test_a_runs_folder_that_is_a_file_is_one_line_everywhere(tmp_path: Path) -> None:
    a_file = tmp_path / "runs"
    a_file.write_text("not a folder")
    for command in (["run", "digits-mlp"], ["runs", "list"], ["runs", "show", "x"], ["attach"]):
        result = cli(*command, "--runs-dir", str(a_file))
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert str(a_file) in result.stderr
    assert a_file.read_text() == "not a folder" and not list(tmp_path.glob("runs*/"))


def test_a_run_folder_that_cannot_be_read_is_skipped_with_a_note(tmp_path: Path) -> None:
    make_run(tmp_path, "readable", [0.5])
    locked = make_run(tmp_path, "locked", [0.5])
    locked.chmod(0)
    try:
        prefix = without_root_override()
        listed = cli("runs", "list", "--runs-dir", str(tmp_path), prefix=prefix)
        scan = subprocess.run(
            [*prefix, sys.executable, "-c", "import sys; from tuitrain.runs import scan_runs; "
             "s = scan_runs(sys.argv[1]); print([r.name for r in s.runs], s.skipped)", str(tmp_path)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert listed.returncode == 0 and "readable" in listed.stdout and "locked" not in listed.stdout
    assert "skipped locked: permission denied" in listed.stderr
    assert scan.stdout.strip() == "['readable'] ['locked: permission denied']", scan.stderr


def test_a_full_disk_is_one_line_for_run_and_presets_new(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    prefix = full_disk(disk)
    new = cli("presets", "new", "mine", "--dir", str(disk / "presets"), prefix=prefix)
    assert new.returncode == 1 and "no space left on the disk" in new.stderr and new.stderr.count("\n") == 1
    ran = cli("run", "digits-mlp", "--runs-dir", str(disk / "runs"), prefix=prefix)
    assert ran.returncode == 1 and "no space left on the disk" in ran.stderr and ran.stderr.count("\n") == 1
    assert "Traceback" not in new.stderr + ran.stderr


# ---------------------------------------------------------------------------------------------- the record


def test_an_events_log_replaced_by_a_folder_is_reported_not_taken_for_a_run_of_0_epochs(tmp_path: Path) -> None:
    run = make_run(
        tmp_path, "run", [0.5] * 3, status=RunStatus(state="finished", epochs_done=300, message="all 300 epochs")
    )
    RunPaths(run).events.unlink()
    RunPaths(run).events.mkdir()
    record = load_run(run)
    assert record.state == "finished" and "all 300 epochs" not in (record.reason or "")
    assert "events.jsonl cannot be read" in (record.reason or "")
    out = show(tmp_path, "run")
    assert "all 300 epochs" not in out and "events.jsonl: is a folder" in out
    listed = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert "events.jsonl: is a folder" in listed.output


def test_a_truncated_log_does_not_claim_the_epochs_it_lost(tmp_path: Path) -> None:
    run = make_run(
        tmp_path, "run", [1.0 - n / 200 for n in range(143)], epochs=300,
        status=RunStatus(state="finished", pid=DEAD_PID, epochs_done=300, message="all 300 epochs"),
    )  # fmt: skip
    out = show(tmp_path, "run")
    outcome = next(line.removeprefix("# ") for line in out.splitlines() if line.startswith("# finished"))
    assert "all 300 epochs" not in outcome and "143" in outcome and "300" in outcome
    assert "status.json says finished after 300 epochs, but events.jsonl records only 143 epochs" in outcome
    assert load_run(run).epochs_done == 143


def test_skipped_lines_are_mentioned_by_runs_list_and_show(tmp_path: Path) -> None:
    run = make_run(tmp_path, "run", [0.5, 0.4])
    with open(RunPaths(run).events, "ab") as fh:
        fh.write(b"{garbled\n")
    with EventWriter(RunPaths(run).events) as writer:
        writer.write(epoch(3, 0.3))
    listed = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert "1 unreadable line(s) of events.jsonl skipped (line 4)" in listed.output
    assert "1 unreadable line(s) of events.jsonl skipped (line 4)" in show(tmp_path, "run")


def test_a_pid_without_start_time_counts_only_if_it_is_this_runs_trainer(tmp_path: Path) -> None:
    """pid 1 (init) with no start time: not a trainer of this run, so the run crashed, not "running" for ever."""
    run = make_run(tmp_path, "run", [0.5])
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": 1}))
    assert load_run(run).state == "crashed"
    assert list_runs(tmp_path)[0].state == "crashed"
    # A process that shows itself as this run's trainer on its command line is taken for it.
    fake = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "-m", "tuitrain.engine", str(run.resolve())]
    )
    try:
        (run / "status.json").write_text(json.dumps({"state": "running", "pid": fake.pid}))
        assert load_run(run).state == "running"
    finally:
        fake.kill()
        fake.wait()
    # With its start time recorded, a live process is identified by pid and start time.
    me = RunStatus(state="running", pid=os.getpid(), pid_start=process_start_time(os.getpid()))
    write_status(run, me)
    assert load_run(run).state == "running"


def test_the_best_epoch_named_is_the_best_of_the_whole_history(tmp_path: Path) -> None:
    """Early stopping (patience 3) would keep epoch 2; the lowest validation loss came at epoch 26."""
    losses = [0.9, 0.5, 0.6, 0.7, 0.8] + [0.8 - 0.02 * n for n in range(1, 22)] + [0.7, 0.8]
    run = make_run(
        tmp_path, "run", losses, final=RunFinished(status="finished", reason="all 28 epochs", epochs_done=28)
    )
    RunPaths(run).experiment.write_text(EXPERIMENT.format(epochs=28) + "[early_stopping]\npatience = 3\n")
    out = show(tmp_path, "run")
    best = min(range(len(losses)), key=losses.__getitem__) + 1
    # Each best epoch is said by its own name (issue 10): the lowest loss over the whole history, and
    # separately the epoch early stopping would keep; never "best epoch 2".
    assert best == 26 and f"Lowest validation loss: 0.380 at epoch {best}" in out and "best epoch" not in out
    assert "keep epoch 2's weights" in out


def test_a_crash_that_left_best_keras_behind_says_so(tmp_path: Path) -> None:
    run = make_run(
        tmp_path, "run", [0.9, 0.8, 0.7, 0.6, 0.5, 0.55],
        extra=[BestSaved(epoch=n, monitor="val_loss", value=v) for n, v in [(1, 0.9), (2, 0.8), (3, 0.7)]],
    )  # fmt: skip
    RunPaths(run).best_model.write_bytes(b"PK model of epoch 3")
    record = load_run(run)
    assert record.state == "crashed" and record.best_saved_epoch == 3
    assert "best.keras holds epoch 3, not the best epoch 5" in (record.reason or "")
    out = show(tmp_path, "run")
    assert "best.keras: epoch 3" in out and "best.keras holds epoch 3, not the best epoch 5" in out


def test_scan_runs_reports_what_it_skipped(tmp_path: Path) -> None:
    make_run(tmp_path, "ok", [0.5])
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    scan = scan_runs(tmp_path)
    assert [r.name for r in scan.runs] == ["ok"] and scan.skipped == ["loop: a symbolic link loop"]


def test_the_trainer_can_be_signalled_only_by_its_command_line(tmp_path: Path) -> None:
    """stop_run sends nothing to a process that is not the run's trainer (pid recorded without start time)."""
    from tuitrain import launcher

    run = make_run(tmp_path, "run", [0.5])
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / "status.json").write_text(json.dumps({"state": "running", "pid": sleeper.pid}))
        assert not launcher.stop_run(run)
        assert sleeper.poll() is None
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()


def test_an_event_log_from_another_run_is_reported(tmp_path: Path) -> None:
    mine = make_run(tmp_path, "mine", [0.5, 0.4])
    other = make_run(tmp_path, "other", [0.9])
    RunPaths(mine).events.write_bytes(RunPaths(other).events.read_bytes())
    assert "events.jsonl was written for run 'other'" in " ".join(load_run(mine).notes)
    assert "events.jsonl was written for run 'other'" in show(tmp_path, "mine")
