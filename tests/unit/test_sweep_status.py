"""Reading sweeps (sweep.json and trial run dirs, no Optuna), finding them, and planning slots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sweepfiles import make_sweep

from tuitrain import runs
from tuitrain.sweep import status as status_module
from tuitrain.sweep.executor import plan_slots, visible_gpus
from tuitrain.sweep.layout import SweepNotFound, resolve_sweep_dir, sweeps_root
from tuitrain.sweep.status import list_sweeps, load_sweep, read_sweep_status


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_sweep_is_read_without_optuna(tmp_path: Path) -> None:
    code = (
        "import sys; from tuitrain.sweep.status import load_sweep, list_sweeps;"
        "from tuitrain.sweep.layout import resolve_sweep_dir; import tuitrain.cli.sweep_cmd;"
        "print(sorted(m for m in ('optuna', 'tensorflow', 'keras', 'textual', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_ranked_trials_and_the_best(tmp_path: Path) -> None:
    paths = make_sweep(
        tmp_path,
        [
            {
                "state": "finished",
                "objective": 0.5,
                "params": {"optimizer.learning_rate": 0.01},
                "val_loss": [0.6, 0.5],
            },
            {"state": "pruned", "objective": 0.1, "val_loss": [0.1]},
            {"state": "finished", "objective": 0.3, "val_loss": [0.4, 0.3]},
            {"state": "invalid", "message": "no"},
        ],
    )
    record = load_sweep(paths)
    assert record.state == "finished"
    assert record.status is not None and [t.number for t in record.status.ranked()] == [2, 0]
    assert record.best is not None and record.best.number == 2
    run_dir = record.run_dir(record.best)
    assert run_dir is not None and runs.load_run(run_dir).state == "finished"


def test_a_sweep_whose_controller_is_gone_is_crashed_and_its_trials_judged_by_their_runs(tmp_path: Path) -> None:
    paths = make_sweep(
        tmp_path,
        [
            {"state": "running", "val_loss": [0.5, 0.4], "final": "finished"},  # ended since
            {"state": "running", "val_loss": [0.5], "final": None},  # still training (this process)
            {"state": "running", "stop_reason": "pruned", "val_loss": [0.9], "final": "stopped"},
        ],
        state="running",
        pid=_dead_pid(),
    )
    record = load_sweep(paths)
    assert record.state == "crashed" and "sweep resume" in (record.reason or "")
    assert [t.state for t in record.trials] == ["finished", "running", "pruned"]
    # The file itself is what the controller wrote: readers do not rewrite it.
    status = read_sweep_status(paths)
    assert status is not None and status.state == "running"


def test_a_live_controller_keeps_the_sweep_running(tmp_path: Path) -> None:
    import os

    paths = make_sweep(
        tmp_path, [{"state": "running", "val_loss": [0.5], "final": None}], state="running", pid=os.getpid()
    )
    assert load_sweep(paths).state == "running"


def test_a_broken_sweep_json_is_reported_not_raised(tmp_path: Path) -> None:
    paths = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}])
    paths.status.write_text("{not json")
    record = load_sweep(paths)
    assert record.state == "failed" and record.status is None and "unreadable" in (record.reason or "")


def test_sweeps_are_found_by_name_prefix_latest_and_path(tmp_path: Path) -> None:
    first = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}], name="alpha")
    second = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}], name="beta")
    assert resolve_sweep_dir(tmp_path, first.sweep_id).root == first.root
    assert resolve_sweep_dir(tmp_path, "latest").root == second.root
    assert resolve_sweep_dir(tmp_path, str(first.root)).root == first.root.absolute()
    assert [r.sweep_id for r in list_sweeps(tmp_path)] == [second.sweep_id, first.sweep_id]
    with pytest.raises(SweepNotFound, match="no sweep named 'gamma'"):
        resolve_sweep_dir(tmp_path, "gamma")
    with pytest.raises(SweepNotFound, match="not a sweep folder"):
        resolve_sweep_dir(tmp_path, str(tmp_path))
    with pytest.raises(SweepNotFound, match=r"without '/' or '\.\.'|not a sweep"):
        resolve_sweep_dir(tmp_path, "..")
    prefix = first.sweep_id[:8]  # both start with the same date
    with pytest.raises(SweepNotFound, match="matches 2 sweeps"):
        resolve_sweep_dir(tmp_path, prefix)
    assert sweeps_root(tmp_path) == tmp_path / "sweeps"
    # A sweep's own name finds its newest folder.
    again = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}], name="alpha")
    assert resolve_sweep_dir(tmp_path, "alpha").root == again.root
    assert resolve_sweep_dir(tmp_path, "beta").root == second.root


# ---------------------------------------------------------------- slots


def test_auto_is_one_slot_per_gpu_or_k_packed() -> None:
    slots = plan_slots("auto", 1, 10, gpus=["0", "1"])
    assert [(s.name, s.env["CUDA_VISIBLE_DEVICES"]) for s in slots] == [("gpu0", "0"), ("gpu1", "1")]
    packed = plan_slots("auto", 3, 10, gpus=["0"])
    assert [s.name for s in packed] == ["gpu0.0", "gpu0.1", "gpu0.2"]
    assert {s.env["CUDA_VISIBLE_DEVICES"] for s in packed} == {"0"}
    assert len(plan_slots(4, 1, 10, gpus=["0", "1"])) == 4


def test_auto_on_a_cpu_gives_each_trial_its_share_of_the_cores() -> None:
    slots = plan_slots("auto", 1, 10, gpus=[], cores=8, memory=64e9)
    assert len(slots) == 8
    assert all(s.env == {"TUITRAIN_INTRA_OP_THREADS": "1", "TUITRAIN_INTER_OP_THREADS": "1"} for s in slots)
    two = plan_slots(2, 1, 10, gpus=[], cores=8, memory=64e9)
    assert [s.env["TUITRAIN_INTRA_OP_THREADS"] for s in two] == ["4", "4"]
    # Memory bounds it; never more slots than trials; one slot has the whole machine.
    assert len(plan_slots("auto", 1, 10, gpus=[], cores=8, memory=2.5e9)) == 2
    assert len(plan_slots("auto", 1, 3, gpus=[], cores=8, memory=64e9)) == 3
    assert plan_slots("auto", 1, 10, gpus=[], cores=1, memory=64e9)[0].env == {}


def test_visible_gpus_honours_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert visible_gpus() == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert visible_gpus() == []


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "sweep.json is unreadable (damaged): Invalid JSON"),
        (
            '{"sweep_id": 3, "name": "x"}',
            "sweep.json is unreadable (damaged): sweep_id: Input should be a valid string",
        ),
        (None, "sweep.json is unreadable: "),
    ],
)
def test_a_damaged_sweep_json_says_what_is_wrong_in_one_line(tmp_path: Path, content: str | None, said: str) -> None:
    paths = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}])
    paths.status.unlink()
    if content is None:
        paths.status.mkdir()  # a folder in its place
    else:
        paths.status.write_text(content)
    record = load_sweep(paths)
    assert record.status is None and record.state == "failed"
    assert (record.reason or "").startswith(said) and "\n" not in (record.reason or "")
    paths.status.rmdir() if content is None else paths.status.unlink()
    assert load_sweep(paths).reason == "sweep.json is missing"


def test_listing_never_raises_for_one_sweep_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}], name="good")
    bad = make_sweep(tmp_path, [{"state": "finished", "objective": 0.5}], name="bad")
    real = status_module.load_sweep

    def flaky(root: Path) -> status_module.SweepRecord:
        if Path(root) == bad.root:
            raise PermissionError(13, "Permission denied")
        return real(root)

    monkeypatch.setattr(status_module, "load_sweep", flaky)
    listed = {r.sweep_id: r for r in list_sweeps(tmp_path)}
    assert listed[good.sweep_id].state == "finished"
    assert listed[bad.sweep_id].state == "failed" and listed[bad.sweep_id].reason == "cannot be read: permission denied"
