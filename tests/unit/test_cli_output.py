"""What the CLI prints: help pages without ``<bool>`` after flags, ``runs show`` as TOML that parses."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.runfiles import experiment, overfitting_history, write_run
from tuitrain.cli import app


@pytest.mark.parametrize(
    "command", [[], ["run"], ["launch"], ["sweep", "run"], ["runs", "delete"], ["presets", "new"], ["runs"]]
)
def test_help_shows_no_type_after_flags(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


def test_options_that_take_a_value_keep_their_type() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=100)
    assert "<path>" in result.stdout  # --runs-dir PATH


def test_runs_show_piped_is_toml_with_long_strings_whole(tmp_path: Path) -> None:
    long = "a description far longer than any terminal is wide, " * 6
    exp = experiment().model_copy(update={"description": long.strip()})
    write_run(tmp_path, "r1", overfitting_history(), exp=exp, final="failed", error="boom\nsecond line\x1b[31m")
    result = CliRunner().invoke(app, ["runs", "show", "r1", "--runs-dir", str(tmp_path)], terminal_width=80)
    assert result.exit_code == 0
    shown = tomllib.loads(result.stdout)
    assert shown == tomllib.loads((tmp_path / "r1" / "experiment.toml").read_text())
    assert shown["description"] == long.strip()
    # The history and the analysis are still there, as comments.
    assert any(line.startswith("# epoch") and "val_accuracy" in line for line in result.stdout.splitlines())
    assert any(line.startswith("# failed: boom second line") for line in result.stdout.splitlines())
