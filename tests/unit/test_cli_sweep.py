"""``tuitrain sweep ...`` through typer's CliRunner, on sweep folders made on the spot (no training here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sweepfiles import make_sweep
from typer.testing import CliRunner, Result

from tuitrain import presets
from tuitrain.cli import app
from tuitrain.sweep.spec import find_sweep, read_sweep_file
from tuitrain.sweep.status import read_sweep_status


def sweep(*args: str) -> Result:
    result = CliRunner().invoke(app, ["sweep", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def finished(tmp_path: Path) -> Path:
    make_sweep(
        tmp_path,
        [
            {
                "state": "finished",
                "objective": 0.40,
                "best_epoch": 2,
                "params": {"optimizer.learning_rate": 0.003},
                "val_loss": [0.5, 0.4, 0.45],
            },
            {
                "state": "finished",
                "objective": 0.30,
                "best_epoch": 2,
                "params": {"optimizer.learning_rate": 0.001},
                "val_loss": [0.5, 0.3, 0.35],
            },
            {
                "state": "pruned",
                "objective": 0.9,
                "best_epoch": 1,
                "params": {"optimizer.learning_rate": 0.5},
                "val_loss": [0.9],
                "final": "stopped",
                "message": "pruned after epoch 1",
            },
            {"state": "invalid", "params": {"optimizer.learning_rate": 0.2}, "message": "loss: does not fit"},
        ],
    )
    return tmp_path


def test_run_names_an_unknown_sweep_in_one_line(tmp_path: Path) -> None:
    result = sweep("run", "no-such-sweep", "--runs-dir", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuitrain: no sweep named 'no-such-sweep' (sweeps: ")
    assert "--space PATH=DIST:LOW:HIGH" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--space", "optimizer.learnig_rate=log_uniform:1e-4:1"],
            'tuitrain: --space: space."optimizer.learnig_rate": not a field of the base experiment: '
            "the closest valid path is 'optimizer.learning_rate'",
        ),
        (["--space", "optimizer.learning_rate=log_uniform:0:1"], "log_uniform needs low > 0"),
        (["--space", "optimizer.learning_rate"], "expected PATH=DIST:LOW:HIGH"),
        (["--space", "model.layers[1].rate=uniform:0:2"], 'space."model.layers[1].rate".high: dropout rate'),
        (
            ["--space", "optimizer.learning_rate=log_uniform:1e-4:1", "--parallel", "x"],
            "--parallel 'x': expected a number or \"auto\"",
        ),
        (["--space", "optimizer.learning_rate=log_uniform:1e-4:1", "--sampler", "bayes"], "sampler: must be one of"),
        (
            ["--space", "optimizer.learning_rate=log_uniform:1e-4:1", "--set", "training.epochs=0"],
            "training.epochs: must be >= 1",
        ),
    ],
)
def test_run_errors_are_one_line_and_create_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    result = sweep("run", "digits-mlp", *args, "--runs-dir", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]
    assert not (tmp_path / "sweeps").exists()


def test_list_shows_each_sweep_with_its_best(finished: Path) -> None:
    result = sweep("list", "--runs-dir", str(finished))
    assert result.exit_code == 0
    row = result.output.strip().splitlines()[1].split()
    assert row[1:4] == ["finished", "4/4", "val_loss"] and row[4:6] == ["0.3", "(#1)"]


def test_list_without_sweeps(tmp_path: Path) -> None:
    result = sweep("list", "--runs-dir", str(tmp_path))
    assert result.exit_code == 0 and "no sweeps in" in result.output


def test_show_ranks_trials_and_prints_the_best_as_set_options(finished: Path) -> None:
    result = sweep("show", "latest", "--runs-dir", str(finished))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = [line.split() for line in lines[1:] if line[:2].strip().isdigit()]
    assert [row[:2] for row in table] == [["1", "finished"], ["0", "finished"], ["2", "pruned"], ["3", "invalid"]]
    assert table[0][2:6] == ["0.001", "0.3", "@", "2"]
    assert "distinct values tried: optimizer.learning_rate: 4 in 4 trials" in result.output
    assert "trial 2: pruned after epoch 1" in result.output and "trial 3: loss: does not fit" in result.output
    assert "as --set: --set 'optimizer.learning_rate=0.001'" in result.output


def test_best_saves_the_best_trials_experiment_as_a_user_preset(finished: Path) -> None:
    result = sweep("best", "latest", "--runs-dir", str(finished), "--save-preset", "digits-tuned")
    assert result.exit_code == 0, result.output
    assert "best: trial 1, val_loss 0.3 at epoch 2" in result.output
    loaded = presets.load("digits-tuned")
    assert loaded.experiment.name == "digits-tuned" and "best trial (1)" in loaded.experiment.description
    again = sweep("best", "latest", "--runs-dir", str(finished), "--save-preset", "digits-tuned")
    assert again.exit_code == 1 and "--force" in again.output
    assert sweep("best", "latest", "--runs-dir", str(finished), "--save-preset", "../x").exit_code == 1


def test_refine_writes_a_runnable_sweep_that_records_its_parent(finished: Path) -> None:
    result = sweep("refine", "latest", "--top", "2", "--runs-dir", str(finished))
    assert result.exit_code == 0, result.output
    assert "optimizer.learning_rate: log_uniform:0.0001:1 -> log_uniform:" in result.output
    path = find_sweep("fake-fine")
    assert path is not None
    spec = read_sweep_file(path)
    assert spec.parent is not None and spec.parent.endswith("-fake")
    lr = spec.space["optimizer.learning_rate"]
    assert lr.low < 0.001 and 0.003 < lr.high < 0.01
    assert sweep("refine", "latest", "--top", "2", "--runs-dir", str(finished)).exit_code == 1  # exists


def test_refine_with_too_few_finished_trials(tmp_path: Path) -> None:
    make_sweep(tmp_path, [{"state": "finished", "objective": 0.3, "params": {"optimizer.learning_rate": 0.01}}])
    result = sweep("refine", "latest", "--runs-dir", str(tmp_path))
    assert result.exit_code == 1 and "refine needs at least 2" in result.output


def test_show_and_stop_name_a_missing_sweep_in_one_line(tmp_path: Path) -> None:
    for command in ("show", "stop", "resume", "best", "refine"):
        result = sweep(command, "nope", "--runs-dir", str(tmp_path))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"tuitrain: no sweep named 'nope' (or starting so) in {tmp_path / 'sweeps'}: see 'tuitrain sweep list'"
        ]


def test_stop_without_a_controller_marks_the_sweep_stopped(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    paths = make_sweep(
        tmp_path, [{"state": "running", "val_loss": [0.5], "final": "finished"}], state="running", pid=proc.pid
    )
    result = sweep("stop", "latest", "--runs-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "no controller was running" in result.output
    status = read_sweep_status(paths)
    assert status is not None and status.state == "stopped"


def test_resume_of_a_finished_sweep_has_nothing_to_do(finished: Path) -> None:
    result = sweep("resume", "latest", "--runs-dir", str(finished))
    assert result.exit_code == 1 and "nothing to resume" in result.output


def test_sweep_presets_lists_the_builtins() -> None:
    result = sweep("presets")
    assert result.exit_code == 0
    for name in ("imdb-lr", "digits-grid-vs-random", "mnist-adam-betas", "mnist-optimizers", "digits-activation-init"):
        assert name in result.output


def test_a_controller_that_cannot_start_ends_the_wait_with_its_reason(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    paths = make_sweep(
        tmp_path, [{"state": "running", "val_loss": [0.5], "final": "finished"}], state="running", pid=proc.pid
    )
    paths.spec.unlink()  # the controller refuses a folder without its sweep.toml
    result = sweep("resume", "latest", "--runs-dir", str(tmp_path))
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("tuitrain: the sweep's controller exited (2): ") and "sweep.toml not found" in last


def test_sections_show_by_what_differs_between_them(tmp_path: Path) -> None:
    sgd = {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}
    adam = {"name": "adam", "learning_rate": 0.001}
    stack = [{"kind": "dense", "units": 64, "activation": "relu"}] * 3
    trials = [
        {"state": "finished", "objective": 0.2, "params": {"optimizer": sgd, "model.layers": stack}},
        {"state": "finished", "objective": 0.3, "params": {"optimizer": adam, "model.layers": stack}},
    ]
    make_sweep(tmp_path, trials)
    result = sweep("show", "latest", "--runs-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:] if line[:2].strip().isdigit()}
    assert "sgd learning_rate=0.01 momentum=0.9" in rows["0"] and "adam learning_rate=0.001" in rows["1"]
    # The stack is the same in both: nothing differs, so it shows whole.
    assert '{kind = "dense"' in rows["0"]
