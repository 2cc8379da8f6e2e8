"""Sweeps on a real local Ray instance (``ray.init(num_cpus=2)``, nothing leaves this machine).

One Ray instance serves the whole module (starting one takes seconds and several processes) and is shut
down after it. Its temporary folder is inside pytest's. Trials are tiny digits models; the controller
runs in this process (which is then the Ray driver) or as its own process connecting to the instance
by address, as 'tuitrain sweep run --ray ADDRESS' starts it.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import ray
from optuna.trial import TrialState
from sweepfiles import wait_for
from typer.testing import CliRunner

from tuitrain import runs
from tuitrain.cli import app
from tuitrain.runs.events import RunStarted
from tuitrain.sweep.controller import Controller
from tuitrain.sweep.process import prepare_sweep, start_controller, stop_sweep
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.spec import sweep_from_data
from tuitrain.sweep.status import load_sweep, read_sweep_status
from tuitrain.sweep.study import STUDY_NAME, open_storage

pytestmark = pytest.mark.slow

SMALL = ["dataset.train_subset=200", "dataset.val_subset=100", "training.batch_size=50"]
SPACE = {
    "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-3, "high": 3e-2},
    "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 64},
}
RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # never report usage anywhere
    "RAY_AUTH_MODE": "disabled",  # a local instance needs no token (and writes none into ~/.ray)
}
UNIX_SOCKET_ROOM = 40
"""Ray puts unix sockets under its temporary folder; their paths must stay under 108 bytes."""


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a local Ray instance with 2 CPUs, shut down (with every process of it) after the module."""
    temp = tmp_path_factory.mktemp("ray")
    own = None
    if len(str(temp)) > UNIX_SOCKET_ROOM:
        temp = own = Path(tempfile.mkdtemp(prefix="tt-ray-"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in RAY_ENV.items():
            patch.setenv(key, value)
        # Ray's workers (and the trainers they start) keep the environment of this moment.
        patch.setenv("TUITRAIN_OFFLINE", "1")
        patch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras")))
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=80 * 1024 * 1024,
            log_to_driver=False,
            _temp_dir=str(temp),
        )
        try:
            yield ray.get_runtime_context().gcs_address
        finally:
            ray.shutdown()
            if own is not None:
                shutil.rmtree(own, ignore_errors=True)


def _sweep(root: Path, address: str | None, *, epochs: int = 2, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "name": "tiny",
        "base": "digits-mlp",
        "set": [*SMALL, f"training.epochs={epochs}"],
        "space": SPACE,
        "seed": 0,
    }
    data.update(fields)
    if address is not None:
        data["execution"] = {"backend": "ray", "address": address}
    return prepare_sweep(resolve_sweep(sweep_from_data(data)), root, offline=True)


def _training(paths: Any, count: int) -> Any:
    """A condition: ``count`` trials running past their first epoch (their entries)."""

    def check() -> list[Any]:
        status = read_sweep_status(paths)
        busy = [t for t in (status.trials if status else []) if t.state == "running" and t.epochs_done >= 1]
        return busy if len(busy) >= count else []

    return check


def _study_states(paths: Any) -> list[TrialState]:
    return [t.state for t in optuna.load_study(study_name=STUDY_NAME, storage=open_storage(paths)).trials]


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _show_shape(paths: Any) -> tuple[str, int, list[str]]:
    """'sweep show' for the sweep: its table's header line, its row count, and its other lines' starts."""
    result = CliRunner().invoke(app, ["sweep", "show", str(paths.root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#"))
    rows = [line for line in lines[header + 1 :] if line.strip()[:1].isdigit()]
    rest = [line.split(":")[0] for line in lines[header + 1 + len(rows) :]]
    return " ".join(lines[header].split()), len(rows), rest


def test_four_trials_two_at_once_on_ray_give_the_leaderboard_of_the_local_backend(
    tmp_path: Path, ray_address: str
) -> None:
    local = _sweep(tmp_path / "local", None, epochs=1, trials=4, parallel=2)
    assert Controller(local, log=lambda _text: None).run() == 0
    on_ray = _sweep(tmp_path / "ray", ray_address, epochs=1, trials=4, parallel=2)
    said: list[str] = []
    assert Controller(on_ray, log=said.append).run() == 0
    assert "4 trials, 2 side by side (ray-cpu0, ray-cpu1)" in "\n".join(said)

    ray_record, local_record = load_sweep(on_ray), load_sweep(local)
    assert ray_record.state == local_record.state == "finished"
    assert [t.state for t in ray_record.trials] == ["finished"] * 4
    # Optuna drew the same values in the same order: only where the trials trained differs.
    assert [(t.number, t.params) for t in ray_record.trials] == [(t.number, t.params) for t in local_record.trials]
    assert ray_record.status is not None and ray_record.status.slots == ["ray-cpu0", "ray-cpu1"]
    assert _study_states(on_ray) == [TrialState.COMPLETE] * 4
    pids = set()
    for entry, twin in zip(ray_record.trials, local_record.trials, strict=True):
        run_dir, twin_dir = ray_record.run_dir(entry), local_record.run_dir(twin)
        assert run_dir is not None and twin_dir is not None and run_dir.parent == on_ray.trials
        run = runs.load_run(run_dir)  # an ordinary run directory, as a local trial's
        assert run.state == "finished" and run.epochs_done == 1
        assert {p.name for p in run_dir.iterdir()} == {p.name for p in twin_dir.iterdir()}
        assert run.status is not None and run.status.host == runs.this_host()
        assert entry.objective is not None and entry.best_epoch is not None
        started = next(e for e in run.events if isinstance(e, RunStarted))
        pids.add(started.pid)
    # Side by side on the cluster: each of the first two was started before the other ended (the
    # controller's times; the trainers' own first events wait for each actor's TensorFlow import).
    first, second = ray_record.trials[:2]
    assert first.slot != second.slot
    assert None not in (first.started_at, first.ended_at, second.started_at, second.ended_at)
    assert first.started_at < second.ended_at and second.started_at < first.ended_at  # type: ignore[operator]
    assert len(pids) == 2  # each actor kept one warm trainer for its two trials
    assert _show_shape(on_ray) == _show_shape(local)
    # The actors are gone with the sweep: the instance's CPUs are free again.
    wait_for(lambda: ray.available_resources().get("CPU") == 2.0, 60, "the actors to end")


def test_a_trial_whose_ray_worker_is_killed_crashes_with_its_epochs_kept_and_the_sweep_goes_on(
    tmp_path: Path, ray_address: str
) -> None:
    paths = _sweep(tmp_path, ray_address, epochs=1000, trials=3, parallel=2)
    controller = start_controller(paths)  # its own process: a Ray driver connecting by address
    try:
        victim = wait_for(_training(paths, 1), what="a trial past its first epoch")[0]
        run_dir = paths.trial_dir(victim.run)
        trainer = runs.read_status(run_dir).pid
        worker = _parent(trainer)  # the Ray worker process that hosts the slot's actor
        assert "SlotHost" in Path(f"/proc/{worker}/cmdline").read_text(errors="replace")
        os.kill(worker, signal.SIGKILL)  # what a node's death looks like to Ray
        # The sweep goes on: the third trial trains in the freed slot, under a new actor.
        third = wait_for(
            lambda: [t for t in _training(paths, 2)() if t.number == 2], what="the third trial past its first epoch"
        )[0]
        assert third.slot == victim.slot
        new_worker = _parent(runs.read_status(paths.trial_dir(third.run)).pid)
        assert new_worker != worker and "SlotHost" in Path(f"/proc/{new_worker}/cmdline").read_text(errors="replace")
        # 'sweep stop' is SIGTERM to the controller: ray.init replaced its handler, which the executor put back.
        assert "asked the controller" in stop_sweep(paths)
        assert controller.wait(timeout=300) == 0, paths.log.read_text()[-3000:]
    finally:
        if controller.poll() is None:
            controller.kill()
    record = load_sweep(paths)
    assert record.state == "stopped" and len(record.trials) == 3
    crashed = record.status.trial(victim.number)
    assert crashed is not None and crashed.state == "crashed"
    assert "Ray actor" in (crashed.message or "") and crashed.epochs_done >= 1
    assert not runs.process_alive(trainer)  # the trainer ended with its worker, as with its node
    run = runs.load_run(run_dir)
    assert run.state == "crashed" and run.status is not None and run.status.state == "crashed"
    assert run.epochs_done == crashed.epochs_done and len(run.history) == run.epochs_done
    assert f"history kept up to epoch {run.epochs_done}" in (run.reason or "")
    # The others were stopped through the actors, by the trainers' normal stop path, everything kept.
    for entry in (t for t in record.trials if t.number != victim.number):
        assert entry.state == "stopped"
        other = runs.load_run(record.run_dir(entry))
        assert other.state == "stopped" and "stopped by SIGTERM" in (other.reason or "")
        assert 1 <= other.epochs_done < 1000 and (other.path / "final.keras").is_file()


def test_a_lost_controller_ends_its_ray_trials_and_resume_counts_them_and_goes_on(
    tmp_path: Path, ray_address: str
) -> None:
    paths = _sweep(tmp_path, ray_address, epochs=30, trials=3, parallel=2)
    controller = start_controller(paths)
    busy = wait_for(_training(paths, 2), what="two trials past their first epoch")
    trainers = [runs.read_status(paths.trial_dir(t.run)).pid for t in busy]
    os.kill(controller.pid, signal.SIGKILL)
    controller.wait()
    # Ray ends the dead driver's actors, and their trainers with them.
    wait_for(lambda: not any(runs.process_alive(pid) for pid in trainers), 60, "the trainers to end")
    assert load_sweep(paths).state == "crashed"
    resumed = CliRunner().invoke(app, ["sweep", "resume", str(paths.root)])
    assert resumed.exit_code == 0, resumed.output + paths.log.read_text()[-3000:]
    record = load_sweep(paths)
    assert record.state == "finished" and sorted(t.number for t in record.trials) == [0, 1, 2]
    for entry in busy:
        again = record.status.trial(entry.number)
        assert again is not None and again.state == "crashed" and again.epochs_done >= 1
        assert record.run_dir(again) == paths.trial_dir(entry.run)  # recorded, not started again
    rest = [t for t in record.trials if t.number not in {b.number for b in busy}]
    assert [t.state for t in rest] == ["finished"]
    assert sorted(_study_states(paths), key=str) == sorted(
        [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL], key=str
    )
    assert "picked up" in paths.log.read_text()
