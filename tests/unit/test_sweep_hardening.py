"""Sweeps under hostile or broken files (issue 9's rules on the sweep code): literal text, regular files only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sweepfiles import make_sweep
from typer.testing import CliRunner, Result

from tuitrain.cli import app
from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.process import controller_running
from tuitrain.sweep.status import load_sweep, read_sweep_status
from tuitrain.sweep.study import open_storage

HOSTILE = "[b]x[/b]\x1b]0;pwned\x07\x1b[2J"
"""Markup and escape sequences (a retitled terminal pane, a cleared screen)."""


def sweep(*args: str) -> Result:
    result = CliRunner().invoke(app, ["sweep", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_show_and_list_print_trial_names_params_and_messages_literally(tmp_path: Path) -> None:
    make_sweep(
        tmp_path,
        [
            {
                "state": "finished",
                "objective": 0.40,
                "best_epoch": 2,
                "params": {f"model.{HOSTILE}": f"v{HOSTILE}"},
                "val_loss": [0.5, 0.4, 0.45],
            },
            {"state": "failed", "message": f"boom {HOSTILE}", "params": {f"model.{HOSTILE}": "w"}},
        ],
    )
    for args in (["show", "latest"], ["list"], ["best", "latest"]):
        result = sweep(*args, "--runs-dir", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
    shown = sweep("show", "latest", "--runs-dir", str(tmp_path)).output
    assert "boom [b]x[/b]\\x1b]0;pwned\\x07\\x1b[2J" in shown  # markup as typed, controls escaped
    assert "v[b]x[/b]\\x1b]0;pwned" in shown


def test_a_fifo_as_sweep_json_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    paths = make_sweep(tmp_path, [{"state": "finished", "objective": 0.4, "best_epoch": 1, "val_loss": [0.4]}])
    paths.status.unlink()
    os.mkfifo(paths.status)
    assert read_sweep_status(paths) is None  # returns at once: opening a FIFO for reading would block
    record = load_sweep(paths)
    assert record.state == "failed" and "unreadable" in (record.reason or "")
    result = sweep("show", paths.sweep_id, "--runs-dir", str(tmp_path))
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_journal_that_is_not_a_file_is_refused_in_one_line(tmp_path: Path, kind: str) -> None:
    paths = SweepPaths(tmp_path)
    if kind == "fifo":
        os.mkfifo(paths.study)
    else:
        paths.study.mkdir()
    with pytest.raises(ValueError, match="not the study's journal file"):
        open_storage(paths)


def test_a_fifo_as_the_controller_lock_does_not_hang_the_readers(tmp_path: Path) -> None:
    paths = SweepPaths(tmp_path)
    os.mkfifo(paths.lock)
    assert controller_running(paths) in (True, False)  # answered: a blocking open would never return


def test_an_unreadable_sweeps_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "sweeps").write_text("a file where the sweeps folder belongs")
    result = sweep("list", "--runs-dir", str(tmp_path))
    assert result.exit_code == 1 and "cannot be read" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_trial_that_cannot_fit_in_memory_is_invalid_with_the_estimates_line() -> None:
    """The memory estimate is part of every trial's checks: a huge draw is refused before it trains."""
    from tuitrain.sweep.resolve import resolve_sweep, trial_experiment
    from tuitrain.sweep.spec import sweep_from_data

    spec = sweep_from_data(
        {
            "name": "units",
            "base": "digits-mlp",
            # Two wide layers: 10^6 x 10^6 weights between them (10^12 parameters) at the top of the range.
            "set": ['model.layers=[{kind="dense", units=64}, {kind="dense", units=64}]'],
            "trials": 2,
            "space": {
                "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 1_000_000},
                "model.layers[1].units": {"dist": "log_int", "low": 8, "high": 1_000_000},
            },
        }
    )
    resolved = resolve_sweep(spec)
    small = {"model.layers[0].units": 16, "model.layers[1].units": 16}
    assert trial_experiment(resolved, small, "t0000-units").experiment is not None
    huge = trial_experiment(resolved, {k: 1_000_000 for k in small}, "t0001-units")
    assert huge.experiment is None and "training needs about" in (huge.invalid or "")
