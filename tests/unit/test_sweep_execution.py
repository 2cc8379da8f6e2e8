"""Where trials train, without a cluster: the [execution] table, slots on a cluster's nodes, Ray missing,
and trainers tied to the process that started them (what a Ray actor needs of the launcher).

The Ray executor with a real local Ray instance is tested in tests/engine/test_sweep_ray.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sweepfiles import make_sweep

from tuitrain import runs
from tuitrain.sweep.controller import EXIT_FAILED, Controller
from tuitrain.sweep.executor import RAY_MISSING, ExecutorError, plan_cluster_slots, plan_slots
from tuitrain.sweep.process import prepare_sweep
from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.spec import SweepError, read_sweep_file, sweep_from_data, to_toml
from tuitrain.sweep.status import read_sweep_status

LR = {"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1.0}}


def _spec(**fields: Any) -> Any:
    return sweep_from_data({"name": "t", "base": "digits-mlp", "space": LR, **fields})


# ---------------------------------------------------------------- [execution]


def test_execution_defaults_to_this_machine_and_round_trips_through_toml(tmp_path: Path) -> None:
    spec = _spec()
    assert (spec.execution.backend, spec.execution.address, spec.execution.cpus_per_trial) == ("local", "auto", 1)
    ray = _spec(execution={"backend": "ray", "address": "10.0.0.5:6379", "cpus_per_trial": 4})
    path = tmp_path / "s.toml"
    path.write_text(to_toml(ray))
    assert read_sweep_file(path).execution == ray.execution


@pytest.mark.parametrize(
    ("execution", "message"),
    [
        ({"backend": "slurm"}, "execution.backend"),
        ({"backend": "ray", "adress": "auto"}, "did you mean 'address'?"),
        ({"backend": "ray", "address": ""}, "execution.address"),
        ({"backend": "ray", "cpus_per_trial": 0}, "execution.cpus_per_trial"),
        ({"backend": "ray", "cpus_per_trial": 1.5}, "execution.cpus_per_trial"),
    ],
)
def test_a_bad_execution_table_is_one_line_naming_the_field(execution: dict[str, Any], message: str) -> None:
    with pytest.raises(SweepError) as err:
        _spec(execution=execution)
    lines = str(err.value).splitlines()
    assert any(message in line for line in lines), lines


# ---------------------------------------------------------------- slots on a cluster


def test_cpu_nodes_give_as_many_slots_as_fit_each_with_threads_sized_to_its_cpus() -> None:
    plan = plan_cluster_slots([{"CPU": 5.0}, {"CPU": 2.0}, {"CPU": 1.0}], "auto", 1, 2, trials=100)
    assert [s.name for s in plan.slots] == ["ray-cpu0", "ray-cpu1", "ray-cpu2"]  # 2 + 1 + 0 trials fit
    assert (plan.cpus, plan.gpus) == (2.0, 0.0)
    assert all(s.env == {"TUITRAIN_INTRA_OP_THREADS": "2", "TUITRAIN_INTER_OP_THREADS": "1"} for s in plan.slots)


def test_gpu_nodes_pack_trials_per_gpu_onto_each_card_as_far_as_the_cpus_allow() -> None:
    nodes = [{"CPU": 16.0, "GPU": 2.0}, {"CPU": 1.0, "GPU": 4.0}, {"CPU": 8.0}]
    plan = plan_cluster_slots(nodes, "auto", 3, 1, trials=100)
    # 2 GPUs x 3 on the first node; the second has 4 GPUs but 1 CPU: one trial; the CPU-only node: none.
    assert len(plan.slots) == 7 and plan.slots[0].name == "ray-gpu0"
    assert plan.gpus == pytest.approx(1 / 3) and plan.cpus == 1.0
    assert all(s.env == {} for s in plan.slots)  # Ray sets CUDA_VISIBLE_DEVICES in the actor


def test_a_number_of_slots_is_taken_as_given_but_never_more_than_the_trials() -> None:
    assert len(plan_cluster_slots([{"CPU": 2.0}], 8, 1, 1, trials=100).slots) == 8  # waits for an autoscaler
    assert len(plan_cluster_slots([{"CPU": 64.0}], "auto", 1, 1, trials=5).slots) == 5
    assert len(plan_cluster_slots([], 3, 1, 1, trials=2).slots) == 2


def test_auto_on_a_cluster_where_no_trial_fits_says_what_to_change() -> None:
    with pytest.raises(ExecutorError, match=r"no node of the Ray cluster has 8 CPU\(s\) for a trial.*cpus_per_trial"):
        plan_cluster_slots([{"CPU": 4.0}, {"CPU": 2.0}], "auto", 1, 8, trials=10)
    with pytest.raises(ExecutorError, match="has 1 CPU"):
        plan_cluster_slots([], "auto", 1, 1, trials=10)


def test_local_slots_are_unchanged_by_the_cluster_planner() -> None:
    slots = plan_slots("auto", 1, 10, gpus=[], cores=4, memory=64e9)
    assert [s.env["TUITRAIN_INTRA_OP_THREADS"] for s in slots] == ["1"] * 4


# ---------------------------------------------------------------- without Ray installed

NO_RAY = "import sys; sys.modules['ray'] = None; from tuitrain.cli import app; app()"
"""The CLI in a fresh interpreter where Ray cannot be imported (as after a plain 'pip install tuitrain')."""


def _cli_without_ray(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_RAY, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_ray_option_without_ray_is_one_line_saying_how_to_install_it(tmp_path: Path) -> None:
    done = _cli_without_ray(
        "sweep", "run", "digits-mlp", "--space", "optimizer.learning_rate=log_uniform:1e-4:1", "--ray", "auto",
        "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tuitrain: --ray needs Ray, which is not installed here: pip install 'tuitrain[ray]'"
    ]
    assert not (tmp_path / "sweeps").exists()


def test_a_sweep_file_asking_for_ray_without_ray_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "on-ray.toml"
    path.write_text(to_toml(sweep_from_data({"name": "on-ray", "base": "digits-mlp", "space": LR})).replace(
        'backend = "local"', 'backend = "ray"'
    ))  # fmt: skip
    done = _cli_without_ray("sweep", "run", str(path), "--runs-dir", str(tmp_path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuitrain: sweep 'on-ray' asks for [execution] backend = \"ray\"")
    assert lines[0].endswith("pip install 'tuitrain[ray]'")


def test_resume_on_ray_without_ray_leaves_the_sweep_as_it_was(tmp_path: Path) -> None:
    paths = make_sweep(tmp_path, [{"state": "finished", "objective": 0.4, "best_epoch": 1, "val_loss": [0.4]}])
    status = read_sweep_status(paths)
    assert status is not None
    status.trials_planned = 3  # one of three done: something to resume
    from tuitrain.sweep.status import write_sweep_status

    write_sweep_status(paths, status)
    before = paths.spec.read_text()
    done = _cli_without_ray("sweep", "resume", str(paths.root), "--ray", "auto")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "tuitrain: --ray needs Ray, which is not installed here: pip install 'tuitrain[ray]'"
    ]
    assert paths.spec.read_text() == before


def test_resume_with_ray_records_the_cluster_in_the_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tuitrain.cli import app, sweep_cmd

    paths = make_sweep(tmp_path, [{"state": "finished", "objective": 0.4, "best_epoch": 1, "val_loss": [0.4]}])
    started: list[Any] = []
    # Only where the resumed controller will train is under test: no controller is started.
    monkeypatch.setattr("tuitrain.sweep.executor.ray_installed", lambda: True)
    monkeypatch.setattr(sweep_cmd, "follow", lambda paths, controller: "finished")
    monkeypatch.setattr("tuitrain.sweep.process.start_controller", lambda *args: started.append(args) or object())
    status = read_sweep_status(paths)
    assert status is not None
    status.trials_planned = 3
    from tuitrain.sweep.status import write_sweep_status

    write_sweep_status(paths, status)
    result = CliRunner().invoke(app, ["sweep", "resume", str(paths.root), "--ray", "head.example:6379"])
    assert result.exit_code == 0, result.output
    execution = read_sweep_file(paths.spec).execution
    assert (execution.backend, execution.address) == ("ray", "head.example:6379")
    assert len(started) == 1


def test_a_controller_asked_for_ray_without_ray_fails_the_sweep_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tuitrain.sweep.controller.ray_installed", lambda: False)
    spec = _spec(execution={"backend": "ray"}, trials=2)
    paths = prepare_sweep(resolve_sweep(spec), tmp_path)
    said: list[str] = []
    assert Controller(paths, log=said.append).run() == EXIT_FAILED
    status = read_sweep_status(paths)
    assert status is not None and status.state == "failed" and status.message == RAY_MISSING
    assert status.trials == [] and not any(paths.trials.iterdir())
    assert RAY_MISSING in said and not any("Traceback" in line for line in said)


def test_a_ray_address_where_nothing_answers_fails_the_sweep_at_once_in_one_line(tmp_path: Path) -> None:
    import ray

    spec = _spec(execution={"backend": "ray", "address": "127.0.0.1:1"}, trials=2)  # a port nothing listens on
    paths = prepare_sweep(resolve_sweep(spec), tmp_path)
    started = time.monotonic()
    assert Controller(paths, log=lambda _text: None).run() == EXIT_FAILED
    assert time.monotonic() - started < 60  # ray.init would have retried for ever
    status = read_sweep_status(paths)
    assert status is not None and status.state == "failed" and status.message is not None
    assert status.message.startswith("nothing answers at 127.0.0.1:1 (") and "ray start --head" in status.message
    assert not ray.is_initialized()


# ---------------------------------------------------------------- trainers tied to their starter

_MIDDLE = """
import sys, time
from pathlib import Path
from tuitrain import launcher
child = launcher.spawn_detached(
    [sys.executable, "-c", "import time; time.sleep(120)"], Path(sys.argv[1]), die_with_parent=sys.argv[2] == "tie"
)
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("tie", [True, False])
def test_a_trainer_started_with_die_with_parent_ends_with_its_starter(tmp_path: Path, tie: bool) -> None:
    middle = subprocess.Popen(
        [sys.executable, "-c", _MIDDLE, str(tmp_path / "child.log"), "tie" if tie else "free"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert middle.stdout is not None
    child = int(middle.stdout.readline())
    try:
        assert runs.process_alive(child)
        middle.kill()  # the starter dies at once, as a Ray actor's process does with its node
        middle.wait()
        deadline = time.monotonic() + 10
        while runs.process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runs.process_alive(child) is (not tie)
    finally:
        if runs.process_alive(child):
            os.kill(child, signal.SIGKILL)
