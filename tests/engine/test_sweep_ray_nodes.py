"""A node of a real (one-machine) Ray cluster leaving under a sweep, and another joining.

Ray's own test cluster (``ray.cluster_utils.Cluster``): a head with no CPUs, so trials can only go to
the worker nodes this test adds and removes; removing one kills every process of it (its raylet,
its workers), as a machine that dies or leaves the network. A module of its own: the cluster is not
the instance ``test_sweep_ray`` runs on, and this process never connects to it as a driver.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from ray.cluster_utils import Cluster
from sweepfiles import wait_for

from tuitrain import runs
from tuitrain.sweep.process import prepare_sweep, start_controller, stop_sweep
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.spec import sweep_from_data
from tuitrain.sweep.status import load_sweep, read_sweep_status

pytestmark = pytest.mark.slow

NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024}


def _trial_in(paths: object, number: int, state: str, epochs: int = 0) -> object:
    """A condition: trial ``number`` in ``state`` with at least ``epochs`` epochs done (its entry)."""

    def check() -> object:
        status = read_sweep_status(paths)
        entry = status.trial(number) if status else None
        return entry if entry is not None and entry.state == state and entry.epochs_done >= epochs else None

    return check


def test_a_node_that_leaves_crashes_its_trial_and_the_sweep_goes_on_on_a_node_that_joins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")  # the nodes' workers and trainers keep this environment
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    temp = Path(tempfile.mkdtemp(prefix="tt-rayc-"))  # Ray's unix socket paths must stay short
    cluster = Cluster(
        initialize_head=True,
        connect=False,
        head_node_args={**NODE, "num_cpus": 0, "include_dashboard": False, "temp_dir": str(temp)},
    )
    try:
        leaving = cluster.add_node(temp_dir=str(temp), **NODE)
        spec = {
            "name": "nodes",
            "base": "digits-mlp",
            "set": [
                "dataset.train_subset=200",
                "dataset.val_subset=100",
                "training.batch_size=50",
                "training.epochs=1000",
            ],
            "space": {"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-3, "high": 3e-2}},
            "trials": 2,
            "parallel": 1,
            "seed": 0,
            "execution": {"backend": "ray", "address": cluster.address},
        }
        paths = prepare_sweep(resolve_sweep(sweep_from_data(spec)), tmp_path, offline=True)
        controller = start_controller(paths)
        try:
            victim = wait_for(_trial_in(paths, 0, "running", epochs=1), what="the first trial past its first epoch")
            trainer = runs.read_status(paths.trial_dir(victim.run)).pid
            cluster.remove_node(leaving, allow_graceful=False)
            crashed = wait_for(_trial_in(paths, 0, "crashed"), 180, "the trial on the node that left to crash")
            cluster.add_node(temp_dir=str(temp), **NODE)
            wait_for(
                _trial_in(paths, 1, "running", epochs=1), what="the next trial past its first epoch on the new node"
            )
            assert "asked the controller" in stop_sweep(paths)
            assert controller.wait(timeout=300) == 0, paths.log.read_text()[-3000:]
        finally:
            if controller.poll() is None:
                controller.kill()
    finally:
        cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    assert "Ray actor" in (crashed.message or "") and crashed.epochs_done >= 1
    assert not runs.process_alive(trainer)  # the trainer went with its node
    run = runs.load_run(paths.trial_dir(victim.run))
    assert run.state == "crashed" and len(run.history) == run.epochs_done == crashed.epochs_done
    assert f"history kept up to epoch {run.epochs_done}" in (run.reason or "")
    record = load_sweep(paths)
    assert record.state == "stopped" and [t.state for t in sorted(record.trials, key=lambda t: t.number)] == [
        "crashed",
        "stopped",
    ]
