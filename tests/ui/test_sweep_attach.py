"""Leaving a sweep running: quitting asks, the way out prints the attach command, `tuitrain attach SWEEP`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import typer
from runfiles import raced_sweep, wait_until, write_run
from sweepfiles import LR, make_sweep
from typer.testing import CliRunner

from tuitrain.cli import app as cli_app
from tuitrain.cli.attach_cmd import find_target
from tuitrain.cli.common import run_dashboard
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.monitor import QuitRunDialog
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.workspace import default_experiment


def _sweep(root: Path, state: str = "running") -> Path:
    trials = [{"state": "finished", "objective": 0.3, "best_epoch": 2, "params": {LR: 0.01}, "val_loss": [0.4, 0.3]}]
    return make_sweep(root, trials, state=state, pid=os.getpid() if state == "running" else None).root


def test_attach_finds_a_sweep_by_name_and_the_running_one_by_default(tmp_path: Path, capsys) -> None:
    sweep_dir = _sweep(tmp_path)
    assert find_target("fake", tmp_path) == ("sweep", sweep_dir)  # its own name: its newest folder
    assert find_target(sweep_dir.name, tmp_path) == ("sweep", sweep_dir)
    assert find_target(None, tmp_path) == ("sweep", sweep_dir)  # no run trains: the running sweep
    live = write_run(tmp_path, "20240101-000100-live", [{"loss": 1.0, "val_loss": 1.0}], final=None, epochs=10)
    assert find_target(None, tmp_path) == ("run", live)  # a run that trains comes first
    with pytest.raises(typer.Exit):
        find_target("nothing-like-it", tmp_path)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run named 'nothing-like-it'" in err and "no sweep is named so" in err


def test_attach_with_nothing_running_says_what_to_do(tmp_path: Path, capsys) -> None:
    _sweep(tmp_path, state="finished")
    with pytest.raises(typer.Exit):
        find_target(None, tmp_path)
    err = capsys.readouterr().err
    assert "no run is training and no sweep is running" in err and "tuitrain attach SWEEP" in err


def test_tuitrain_attach_sweep_opens_the_sweep_screen_on_its_base(tmp_path: Path, monkeypatch) -> None:
    sweep_dir = _sweep(tmp_path)
    calls: list[TuitrainApp] = []
    monkeypatch.setattr(TuitrainApp, "run", lambda self, **kwargs: calls.append(self))
    monkeypatch.setattr(TuitrainApp, "detached_sweep", lambda self: None)
    result = CliRunner().invoke(cli_app, ["attach", "fake", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (app,) = calls
    assert app.open_sweep_dir == sweep_dir and app.open_run is None and app.exit_on_hangup and app.freeze_heap
    assert app.initial.name == "digits-mlp"  # leaving the sweep shows its base experiment


class _Ran:
    """Stands in for the app in run_dashboard: it ran, and left a sweep running."""

    return_code = 0

    def __init__(self, sweep: Path | None) -> None:
        self.sweep = sweep

    def run(self, **kwargs: Any) -> None:
        assert kwargs == {"mouse": False}

    def detached_run(self) -> None:
        return None

    def detached_sweep(self) -> Path | None:
        return self.sweep


def test_the_way_out_prints_the_attach_command_of_a_sweep_left_running(capsys) -> None:
    run_dashboard(_Ran(Path("runs/sweeps/20261130-101500-digits-search")))
    out = capsys.readouterr().out
    assert out == (
        "sweep 20261130-101500-digits-search keeps running; "
        "watch it again with 'tuitrain attach 20261130-101500-digits-search'\n"
    )
    run_dashboard(_Ran(None))
    assert capsys.readouterr().out == ""


@pytest.mark.slow  # three app sessions
@pytest.mark.parametrize(("answer", "stopped"), [("escape", False), ("l", False), ("s", True)])
async def test_quitting_while_a_sweep_runs_asks_stop_or_leave(answer: str, stopped: bool) -> None:
    source, sweep_dir = raced_sweep()
    app = TuitrainApp(source=source, initial=default_experiment(), open_sweep=sweep_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.record is not None)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitRunDialog))
        assert "digits-search is still training" in str(app.screen.query_one(".dialog-question").content)
        await pilot.press(answer)
        await pilot.pause()
        await pilot.pause()
        if answer == "escape":
            assert isinstance(app.screen, SweepScreen)  # cancelled: still watching
        else:
            assert app.return_code == 0  # quitting
        assert (source.sweeps_stopped == [sweep_dir]) is stopped
        assert app.detached_sweep() == sweep_dir  # the fake sweep goes on either way
