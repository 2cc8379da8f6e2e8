"""LocalRunsSource: the dashboard's one run source, on a runs folder (reading) and the launcher (trainers)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from runevents import epoch, make_run, started

from tuitrain import launcher
from tuitrain.run_source import LocalRunsSource, RunsSource
from tuitrain.runs import RunBusy, RunFinished, RunStatus, process_start_time, this_host
from tuitrain.runs.tail import TrainerGone
from tuitrain.workspace import default_experiment


def live_status() -> RunStatus:
    """A status naming this test process as the trainer (alive)."""
    return RunStatus(state="running", pid=os.getpid(), pid_start=process_start_time(os.getpid()), host=this_host())


def test_it_is_a_runs_source(tmp_path: Path) -> None:
    source: RunsSource = LocalRunsSource(tmp_path)
    assert source.runs_root == tmp_path


def test_list_load_and_tail_a_finished_run(tmp_path: Path) -> None:
    done = make_run(
        tmp_path / "done",
        [started(), epoch(1, 0.6, 0.8), epoch(2, 0.7, 0.8), RunFinished(status="finished", epochs_done=2)],
    )
    source = LocalRunsSource(tmp_path, pace=(0.01, 1.0))
    (row,) = source.list()
    assert (row.run_dir, row.state, row.epochs_done) == (done, "finished", 2)
    record = source.load(done)
    assert record.state == "finished" and record.series()["val_loss"] == [0.6, 0.7]
    assert record.experiment_spec() is not None and record.experiment_spec().name == "digits-overfit"
    seen: list[object] = []
    assert source.tail(done, seen.append, lambda: False) == "ended"
    assert [type(e).__name__ for e in seen] == ["RunStarted", "EpochEnded", "EpochEnded", "RunFinished"]


def test_a_crashed_run_is_tailed_to_its_end(tmp_path: Path) -> None:
    gone = make_run(tmp_path / "gone", [started(), epoch(1, 0.6, 0.8)])  # its trainer's pid is no process
    seen: list[object] = []
    source = LocalRunsSource(tmp_path, pace=(0.01, 0.01))
    assert source.tail(gone, seen.append, lambda: False) == "crashed"
    assert isinstance(seen[-1], TrainerGone) and seen[-1].state == "crashed"


def test_an_experiment_that_does_not_validate_loads_as_none(tmp_path: Path) -> None:
    # Written by another version of tuitrain: a field this one does not know. The dashboard then
    # analyses with default settings and refuses a re-run, instead of failing to open the run.
    odd = make_run(tmp_path / "odd", [started()], experiment='name = "x"\nfuture_field = 3\n')
    assert LocalRunsSource(tmp_path).load(odd).experiment_spec() is None


def test_start_hands_the_folders_to_the_launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def start_run(exp, runs_root, data_dir=None, preset_dir=None):
        calls.append((exp, runs_root, data_dir, preset_dir))
        return SimpleNamespace(run_dir=str(runs_root / "new"), pid=1)

    monkeypatch.setattr(launcher, "start_run", start_run)
    exp = default_experiment()
    source = LocalRunsSource(tmp_path / "runs", tmp_path / "data")
    assert source.start(exp, tmp_path / "presets") == tmp_path / "runs" / "new"
    assert calls == [(exp, tmp_path / "runs", tmp_path / "data", tmp_path / "presets")]


def test_stop_and_delete(tmp_path: Path) -> None:
    done = make_run(tmp_path / "done", [started(), RunFinished(status="stopped", epochs_done=0)])
    live = make_run(tmp_path / "live", [started(pid=os.getpid())], live_status())
    source = LocalRunsSource(tmp_path)
    assert source.stop(done) is False  # nothing trains it
    with pytest.raises(RunBusy):
        source.delete(live)  # its trainer (this process) is alive
    source.delete(done)
    assert not done.exists() and live.exists()
    assert [row.run_dir for row in source.list()] == [live]


# ---------------------------------------------------------------------- sweeps


def _finished_sweep(runs_root: Path) -> Path:
    from sweepfiles import LR, make_sweep

    trials = [
        {"state": "finished", "objective": 0.4, "best_epoch": 2, "params": {LR: 0.003}, "val_loss": [0.5, 0.4]},
        {"state": "finished", "objective": 0.3, "best_epoch": 2, "params": {LR: 0.001}, "val_loss": [0.5, 0.3]},
    ]
    return make_sweep(runs_root, trials).root


def test_sweeps_are_listed_loaded_refined_and_their_best_saved(tmp_path: Path) -> None:
    from tuitrain import presets

    sweep_dir = _finished_sweep(tmp_path)
    source = LocalRunsSource(tmp_path)
    (listed,) = source.list_sweeps()
    assert listed.paths.root == sweep_dir and listed.state == "finished"
    record = source.load_sweep(sweep_dir)
    assert record.best is not None and record.best.number == 1
    spec = source.load_sweep_spec(sweep_dir)
    assert spec is not None and list(spec.space) == ["optimizer.learning_rate"]
    assert source.load_sweep_spec(tmp_path / "nowhere") is None
    refined = source.refine_sweep(sweep_dir, 2)
    assert refined.parent == sweep_dir.name and refined.space["optimizer.learning_rate"].high < 1.0
    saved = source.save_best(sweep_dir, "tuned")
    assert saved == presets.user_dir() / "tuned.toml" and presets.load("tuned").experiment.name == "tuned"
    # A trial is a run: the source loads it like any run.
    trial_dir = record.run_dir(record.trials[0])
    assert trial_dir is not None and source.load(trial_dir).series()["val_loss"] == [0.5, 0.4]


def test_start_sweep_resolves_prepares_and_starts_the_controller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuitrain.sweep import process
    from tuitrain.sweep.spec import SweepError, sweep_from_data

    started = []
    monkeypatch.setattr(process, "start_controller", lambda paths, data_dir=None: started.append((paths, data_dir)))
    source = LocalRunsSource(tmp_path / "runs", tmp_path / "data")
    spec = sweep_from_data(
        {
            "name": "s",
            "base": "digits-mlp",
            "space": {"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1.0}},
        }
    )
    sweep_dir = source.start_sweep(spec)
    ((paths, data_dir),) = started
    assert (
        paths.root == sweep_dir and sweep_dir.parent == tmp_path / "runs" / "sweeps" and data_dir == tmp_path / "data"
    )
    assert source.load_sweep(sweep_dir).state == "pending"
    bad = spec.model_copy(update={"space": {"optimizer.learnig_rate": spec.space["optimizer.learning_rate"]}})
    with pytest.raises(SweepError, match=r"closest valid path is 'optimizer\.learning_rate'"):
        source.start_sweep(bad)
    assert len(started) == 1


def test_stop_sweep_without_a_controller_stops_it_in_its_folder(tmp_path: Path) -> None:
    from sweepfiles import make_sweep

    sweep_dir = make_sweep(tmp_path, [{"state": "finished", "objective": 0.3}], state="running").root
    source = LocalRunsSource(tmp_path)
    assert "no controller was running" in source.stop_sweep(sweep_dir)
    assert source.load_sweep(sweep_dir).state == "stopped"


def test_resume_sweep_starts_a_stopped_sweep_again_and_refuses_one_that_has_nothing_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sweepfiles import make_sweep

    from tuitrain.sweep import process

    started = []
    monkeypatch.setattr(
        process, "start_controller", lambda paths, data_dir=None, offline=None: started.append((paths.root, data_dir))
    )
    source = LocalRunsSource(tmp_path, tmp_path / "data")
    trials = [{"state": "finished", "objective": 0.3}, {"state": "lost"}]
    stopped = make_sweep(tmp_path, trials, state="stopped", name="halted").root
    said = source.resume_sweep(stopped)
    assert started == [(stopped, tmp_path / "data")]
    assert said == f"resuming {stopped}: 1 trial(s) recorded, up to 1 to go"
    done = make_sweep(tmp_path, [{"state": "finished", "objective": 0.3}], name="done").root
    with pytest.raises(ValueError, match=r"has finished all 1 trials: nothing to resume$"):
        source.resume_sweep(done)
    running = make_sweep(tmp_path, [{"state": "running"}], state="running", pid=os.getpid(), name="busy").root
    with pytest.raises(ValueError, match="is running"):
        source.resume_sweep(running)
    broken = tmp_path / "sweeps" / "20260101-000000-broken"
    broken.mkdir()
    (broken / "sweep.json").write_text("{ not json")
    with pytest.raises(ValueError, match=r"sweep.json is unreadable \(damaged\): Invalid JSON.*: nothing to resume$"):
        source.resume_sweep(broken)
    assert len(started) == 1


def test_list_trials_reads_a_sweeps_trial_runs_and_only_changed_ones_again(tmp_path: Path) -> None:
    from sweepfiles import make_sweep

    paths = make_sweep(
        tmp_path,
        [{"state": "finished", "objective": 0.5, "val_loss": [0.9, 0.5]}, {"state": "finished", "val_loss": [0.7]}],
    )
    source = LocalRunsSource(tmp_path)
    assert source.list() == []  # the sweeps folder is no run
    trials = source.list_trials(paths.root)
    assert sorted(t.run_dir.name for t in trials) == sorted(p.name for p in paths.trials.iterdir())
    assert {t.epochs_done for t in trials} == {1, 2} and all(t.state == "finished" for t in trials)
    assert source.list_trials(paths.root) == trials
    # No trials folder (a file in its place), or no sweep at all: none, never an error.
    odd = tmp_path / "sweeps" / "odd"
    odd.mkdir()
    (odd / "trials").write_text("not a folder")
    assert source.list_trials(odd) == [] and source.list_trials(tmp_path / "nowhere") == []


def test_a_deleted_sweeps_trial_listing_is_dropped(tmp_path: Path) -> None:
    import shutil

    from sweepfiles import make_sweep

    first = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5, "val_loss": [0.9, 0.5]}], name="one")
    second = make_sweep(tmp_path, [{"state": "finished", "objective": 0.4, "val_loss": [0.8, 0.4]}], name="two")
    source = LocalRunsSource(tmp_path)
    assert len(source.list_trials(first.root)) == 1 and len(source.list_trials(second.root)) == 1
    assert set(source._trials) == {first.trials, second.trials}
    shutil.rmtree(first.root)
    assert len(source.list_trials(second.root)) == 1
    assert set(source._trials) == {second.trials}  # the deleted sweep's rows are not kept for ever
