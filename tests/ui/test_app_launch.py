"""``tuitrain launch``: argument handling, broken presets, and a real hang-up on a pseudo-terminal."""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tuitrain.cli import app as cli_app
from tuitrain.ui.app import TuitrainApp

runner = CliRunner()


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``TuitrainApp.run`` so the command can be checked without a terminal."""
    calls: list[dict[str, Any]] = []

    def fake_run(self: TuitrainApp, **kwargs: Any) -> None:
        calls.append({"app": self, **kwargs})

    monkeypatch.setattr(TuitrainApp, "run", fake_run)
    return calls


def test_launch_opens_the_default_preset_without_mouse_reporting(ran, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUITRAIN_RUNS", raising=False)
    result = runner.invoke(cli_app, ["launch"])
    assert result.exit_code == 0, result.output
    (call,) = ran
    assert call["mouse"] is False
    app: TuitrainApp = call["app"]
    assert app.preset_name == "digits-overfit" and app.preset_source == "builtin"
    assert app.source.runs_root == Path("runs")
    assert app.exit_on_hangup and app.freeze_heap


def test_launch_takes_a_preset_file_and_folders(ran, tmp_path: Path) -> None:
    preset = tmp_path / "mine.toml"
    preset.write_text('name = "mine"\n[training]\nepochs = 2\n')
    result = runner.invoke(
        cli_app, ["launch", "--preset", str(preset), "--runs-dir", str(tmp_path / "r"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    app: TuitrainApp = ran[0]["app"]
    assert app.initial.training.epochs == 2
    assert app.preset_source == "file" and app.preset_path == preset.resolve()
    assert app.source.runs_root == tmp_path / "r" and app.source.data_dir == tmp_path


def test_a_broken_preset_is_one_line_and_exit_1(ran, tmp_path: Path) -> None:
    preset = tmp_path / "broken.toml"
    preset.write_text('name = "b"\n[training]\nepochs = "ten"\nbatch_size = 0\n')
    result = runner.invoke(cli_app, ["launch", "--preset", str(preset)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "training.epochs: must be a whole number" in lines[0] and "1 more" in lines[0]
    assert "Traceback" not in result.output
    assert ran == []


def test_an_unknown_preset_is_one_line_and_exit_1(ran) -> None:
    result = runner.invoke(cli_app, ["launch", "--preset", "no-such-preset"])
    assert result.exit_code == 1
    assert "no preset of that name" in result.output and "digits-overfit" in result.output
    assert ran == []


@pytest.mark.slow  # the real dashboard in a fresh interpreter on a pseudo-terminal
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals and SIGHUP are POSIX")
def test_a_dropped_terminal_ends_the_app_cleanly(tmp_path: Path) -> None:
    """Close the terminal under a running dashboard, as a dropped SSH connection does."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard on the pseudo-terminal
        os.chdir(tmp_path)
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-c", "from tuitrain.cli import app; app()", "launch"])
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while b"Start" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        assert b"Start" in seen, "the dashboard did not draw"
    finally:
        os.close(fd)  # hang up: the kernel sends SIGHUP to the session on that terminal
    status = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the dashboard kept running after its terminal hung up")
    # Our handler exits with 129; dying of the signal itself would mean no clean shutdown.
    assert os.WIFEXITED(status), f"killed by signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 129


def test_leaving_a_run_training_says_how_to_come_back(monkeypatch, tmp_path: Path) -> None:
    from runfiles import overfitting_history, write_run

    live = write_run(tmp_path, "run-live", overfitting_history(2), final=None, epochs=10)
    finished = write_run(tmp_path, "run-done", overfitting_history(3))

    def fake_run(self: TuitrainApp, **kwargs: Any) -> None:
        self.active_run = self.source.runs_root / active

    monkeypatch.setattr(TuitrainApp, "run", fake_run)
    active = live.name
    result = runner.invoke(cli_app, ["launch", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "run-live keeps training; watch it again with 'tuitrain attach run-live'"

    active = finished.name  # a run that ended: nothing to say
    result = runner.invoke(cli_app, ["launch", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0 and result.output == ""
