"""The sweep controller with real tiny trials (digits, a couple of epochs): side by side, pruned, killed, resumed.

Each test trains real Keras models in trainer processes (warm workers unless said otherwise), so each
takes tens of seconds on two cores.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from sweepfiles import wait_for
from tensorboard_view import hparams_view, proto_value

from tuitrain import runs
from tuitrain.runs.events import RunFinished, RunStarted
from tuitrain.sweep.controller import Controller
from tuitrain.sweep.objective import trial_objective
from tuitrain.sweep.process import prepare_sweep, start_controller
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.spec import sweep_from_data
from tuitrain.sweep.status import load_sweep, read_sweep_status
from tuitrain.sweep.study import STUDY_NAME, draw, make_sampler, open_storage

pytestmark = pytest.mark.slow

SMALL = ["dataset.train_subset=200", "dataset.val_subset=100", "training.batch_size=50"]


EPOCHS_KILLED = 150
"""Epochs of each trial of the sweep whose controller is killed."""


def _sweep(tmp_path: Path, space: dict[str, Any], epochs: int = 2, **fields: Any) -> Any:
    data = {"name": "tiny", "base": "digits-mlp", "set": [*SMALL, f"training.epochs={epochs}"], "space": space}
    data.update(fields)
    return prepare_sweep(resolve_sweep(sweep_from_data(data)), tmp_path / "runs")


def _study(paths: Any) -> optuna.Study:
    return optuna.load_study(study_name=STUDY_NAME, storage=open_storage(paths))


def _span(run_dir: Path) -> tuple[float, float, int]:
    """(start, end, trainer pid) of a trial's run, from its events."""
    events = runs.read_events(run_dir).events
    started = next(e for e in events if isinstance(e, RunStarted))
    final = next(e for e in events if isinstance(e, RunFinished))
    return started.time, final.time, started.pid


@pytest.mark.parametrize("workers", ["warm", "fresh"])
def test_trials_run_side_by_side_as_ordinary_runs_and_optuna_hears_each_once(tmp_path: Path, workers: str) -> None:
    trials = 4 if workers == "warm" else 2
    paths = _sweep(
        tmp_path,
        {
            "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-3, "high": 3e-2},
            "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 64},
        },
        trials=trials,
        parallel=2,
        workers=workers,
    )
    assert Controller(paths, log=lambda _text: None).run() == 0
    record = load_sweep(paths)
    assert record.state == "finished"
    assert [t.state for t in record.trials] == ["finished"] * trials
    study = _study(paths)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * trials
    spans = []
    for entry, frozen in zip(record.trials, study.trials, strict=True):
        run_dir = record.run_dir(entry)
        assert run_dir is not None and run_dir.parent == paths.trials
        run = runs.load_run(run_dir)  # an ordinary run: the runs package reads it like any other
        assert run.state == "finished" and run.experiment_name == f"t{entry.number:04d}-tiny"
        assert {"best.keras", "final.keras", "history.csv", "trainer.log"} <= {p.name for p in run_dir.iterdir()}
        assert "tuitrain trainer pid" in (run_dir / "trainer.log").read_text()
        found = trial_objective(run.history, "val_loss", run_experiment_es(run_dir))
        assert found is not None and (entry.objective, entry.best_epoch) == (found.value, found.epoch)
        assert frozen.value == entry.objective
        assert frozen.params["model.layers[0].units"] == entry.params["model.layers[0].units"]
        assert run.experiment is not None
        assert run.experiment["model"]["layers"][0]["units"] == entry.params["model.layers[0].units"]
        spans.append((entry.slot, *_span(run_dir)))
    # The first two trials were in flight at the same time, in two slots: each was started before the
    # other had ended. (The controller's times: when the trainers' own first events land depends on how
    # long each took to import TensorFlow, which a loaded machine makes longer than a tiny trial.)
    first, second = record.trials[:2]
    assert first.slot != second.slot
    assert first.started_at is not None and second.started_at is not None
    assert first.ended_at is not None and second.ended_at is not None
    assert first.started_at < second.ended_at and second.started_at < first.ended_at
    pids = [pid for *_, pid in spans]
    if workers == "warm":
        # Four trials, two processes: each slot's worker trained a trial after its first.
        assert len(set(pids)) == 2
    else:
        assert len(set(pids)) == trials
    assert record.best is not None and record.best.objective == min(t.objective for t in record.trials)
    # TensorBoard's HParams view of the sweep folder lists each trial with its values and its objective.
    experiment, groups = hparams_view(paths.root)
    assert {info.name for info in experiment.hparam_infos} == {"optimizer.learning_rate", "model.layers[0].units"}
    by_name = {g.name: g for g in groups.session_groups}
    assert set(by_name) == {entry.run for entry in record.trials}
    for entry in record.trials:
        group = by_name[entry.run]
        assert {k: proto_value(v) for k, v in group.hparams.items()} == pytest.approx(entry.params)
        metrics = {(m.name.group, m.name.tag): m for m in group.metric_values}
        best = metrics[("", "best_val_loss")]
        assert (best.value, best.training_step) == (pytest.approx(entry.objective), entry.best_epoch)
        assert ("validation", "epoch_loss") in metrics


def run_experiment_es(run_dir: Path) -> Any:
    from tuitrain.sweep.controller import _run_experiment

    exp = _run_experiment(run_dir)
    assert exp is not None
    return exp.early_stopping


def _seed_putting_first(data: dict[str, Any], label: str) -> int:
    """A grid seed that hands the choice labelled ``label`` to trial 0 (asked of Optuna, as the controller does)."""
    for seed in range(50):
        sweep = resolve_sweep(sweep_from_data({**data, "seed": seed}))
        trial = optuna.create_study(sampler=make_sampler(sweep)).ask()
        if draw(trial, sweep).internal["optimizer.learning_rate"] == label:
            return seed
    raise AssertionError("no seed puts it first")


def test_a_pruned_trial_is_stopped_through_the_trainers_stop_path_and_keeps_its_files(tmp_path: Path) -> None:
    # Two trials one after the other: a good learning rate first, then one far too small to learn. The
    # median rule (one finished trial needed, no warm-up) stops the second after its first epoch.
    space = {"optimizer.learning_rate": {"dist": "choice", "values": [0.01, 1e-7]}}
    base = {"name": "tiny", "base": "digits-mlp", "set": [*SMALL, "training.epochs=6"], "space": space}
    base.update(
        sampler="grid", trials=2, parallel=1, pruner={"kind": "median", "startup_trials": 1, "warmup_epochs": 0}
    )
    spec = sweep_from_data({**base, "seed": _seed_putting_first(base, "0.01")})
    paths = prepare_sweep(resolve_sweep(spec), tmp_path / "runs")
    assert Controller(paths, log=lambda _text: None).run() == 0
    record = load_sweep(paths)
    good, bad = record.trials
    assert good.params["optimizer.learning_rate"] == 0.01 and good.state == "finished" and good.epochs_done == 6
    assert bad.state == "pruned" and bad.stop_reason == "pruned" and "pruned after epoch 1" in (bad.message or "")
    run_dir = record.run_dir(bad)
    assert run_dir is not None
    run = runs.load_run(run_dir)
    # The run itself was stopped the normal way (SIGTERM after the current batch), everything kept.
    assert run.state == "stopped" and "stopped by SIGTERM" in (run.reason or "")
    assert 1 <= run.epochs_done < 6
    assert (run_dir / "final.keras").is_file() and (run_dir / "history.csv").is_file()
    assert [t.state for t in _study(paths).trials] == [TrialState.COMPLETE, TrialState.PRUNED]


def test_kill_9_of_the_controller_leaves_trials_training_and_resume_counts_each_once(tmp_path: Path) -> None:
    paths = _sweep(
        tmp_path,
        {"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-3, "high": 3e-2}},
        # Long enough that the two trials of a pair train side by side for many seconds: at 10 epochs (and
        # at 30) a pair overlapped past its first epoch for about a second after its warm-up, sweep.json is
        # written at most once a second, and now and then both pairs ended unseen (the test timed out).
        epochs=EPOCHS_KILLED,
        trials=4,
        parallel=2,
    )
    first = start_controller(paths)
    paused: list[int] = []
    seen: list[object] = []

    def two_training() -> list[Any]:
        """Two trials past their first epoch, their trainers paused (SIGSTOP) so that neither can
        finish while the controller is killed and the record is read: a tiny trial ends in seconds."""
        status = read_sweep_status(paths)
        seen[:] = [[(t.number, t.state, t.epochs_done) for t in status.trials] if status else "no sweep.json"]
        busy = [t for t in (status.trials if status else []) if t.state == "running" and t.epochs_done >= 1]
        if len(busy) != 2:
            return []
        pids = [getattr(runs.read_status(paths.trial_dir(t.run)), "pid", None) for t in busy]
        for pid in pids:
            if pid:
                os.kill(pid, signal.SIGSTOP)
                paused.append(pid)
        states = [getattr(runs.read_status(paths.trial_dir(t.run)), "state", None) for t in busy]
        if all(pids) and states == ["running", "running"]:
            return busy
        resume_paused()  # one finished between the two reads: let them go and look again
        return []

    def resume_paused() -> None:
        for pid in paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        paused.clear()

    try:
        try:
            busy = wait_for(two_training, what="two trials past their first epoch")
        except AssertionError as timed_out:
            log = paths.log.read_text()[-2000:]
            raise AssertionError(f"{timed_out}; trials last seen: {seen}; controller log: {log}") from None
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        run_dirs = {t.number: paths.trial_dir(t.run) for t in busy}
        # Their trainers go on without the controller.
        assert all(runs.trainer_alive(d) for d in run_dirs.values())
        assert load_sweep(paths).state == "crashed"
        assert [t.state for t in load_sweep(paths).trials if t.number in run_dirs] == ["running", "running"]
    finally:
        resume_paused()
    from typer.testing import CliRunner

    from tuitrain.cli import app

    resumed = CliRunner().invoke(app, ["sweep", "resume", str(paths.root)])
    assert resumed.exit_code == 0, resumed.output + paths.log.read_text()[-3000:]
    assert "finished: 4 of 4 trials ran to their end" in resumed.output
    record = load_sweep(paths)
    assert record.state == "finished"
    numbers = [t.number for t in record.trials]
    assert sorted(numbers) == [0, 1, 2, 3], "each trial recorded once, none lost"
    assert [t.state for t in record.trials] == ["finished"] * 4
    for number, run_dir in run_dirs.items():
        entry = next(t for t in record.trials if t.number == number)
        assert record.run_dir(entry) == run_dir  # followed to its end, not started again
        assert runs.load_run(run_dir).epochs_done == EPOCHS_KILLED
    study = _study(paths)
    assert len(study.trials) == 4
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert [t.value for t in study.trials] == [t.objective for t in sorted(record.trials, key=lambda t: t.number)]
    assert len(list(paths.trials.iterdir())) == 4
    assert "picked up" in paths.log.read_text()


def test_failed_crashed_and_invalid_trials_do_not_stop_the_sweep(tmp_path: Path) -> None:
    # digits trains; MNIST is missing (offline, empty Keras cache): failed; binary crossentropy on ten
    # classes does not validate: invalid. One digits trial is killed with SIGKILL mid-training: crashed.
    space = {
        "dataset": {"dist": "choice", "values": [{"name": "digits", "train_subset": 200}, {"name": "mnist"}]},
        "loss": {"dist": "choice", "values": ["sparse_categorical_crossentropy", "binary_crossentropy"]},
        "training.seed": {"dist": "choice", "values": [0, 1]},
    }
    paths = _sweep(tmp_path, space, epochs=30, trials=8, parallel=2, sampler="grid")
    proc = start_controller(paths, offline=True)
    killed: list[int] = []

    def kill_one_digits_trial() -> bool:
        status = read_sweep_status(paths)
        for t in status.trials if status else []:
            if t.state == "running" and t.epochs_done >= 1 and t.params["dataset"]["name"] == "digits":
                run_status = runs.read_status(paths.trial_dir(t.run))
                if run_status is not None and run_status.pid:
                    os.kill(run_status.pid, signal.SIGKILL)
                    killed.append(t.number)
                    return True
        return False

    wait_for(kill_one_digits_trial, what="a digits trial training")
    assert proc.wait(timeout=600) == 0, paths.log.read_text()[-3000:]
    record = load_sweep(paths)
    assert record.state == "finished"
    by_state: dict[str, list[Any]] = {}
    for t in record.trials:
        by_state.setdefault(t.state, []).append(t)
    assert len(record.trials) == 8
    assert [t.number for t in by_state["crashed"]] == killed
    assert len(by_state["invalid"]) == 4 and all("binary" in (t.message or "") for t in by_state["invalid"])
    assert all(t.run is None for t in by_state["invalid"])
    assert len(by_state["failed"]) == 2 and all("mnist.npz" in (t.message or "") for t in by_state["failed"])
    assert len(by_state["finished"]) == 1 and by_state["finished"][0].epochs_done >= 1
    states = [t.state for t in _study(paths).trials]
    assert states.count(TrialState.COMPLETE) == 1 and states.count(TrialState.FAIL) == 7


def test_sweep_run_follows_the_sweep_with_plain_lines_off_a_terminal(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tuitrain.cli import app

    result = CliRunner().invoke(
        app,
        [
            "sweep",
            "run",
            "digits-mlp",
            "--space",
            "optimizer.learning_rate=log_uniform:1e-3:3e-2",
            *[arg for s in SMALL for arg in ("--set", s)],
            "--set",
            "training.epochs=1",
            "--trials",
            "2",
            "--parallel",
            "2",
            "--runs-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"sweep {tmp_path / 'sweeps'}") and "2 trials of 1 hyperparameter(s)" in lines[0]
    assert sum(line.startswith(("trial 0 finished", "trial 1 finished")) for line in lines) == 2
    assert any(line.startswith("finished: 2 of 2 trials ran to their end") for line in lines)
    assert any(line.startswith("as --set: --set 'optimizer.learning_rate=") for line in lines)
