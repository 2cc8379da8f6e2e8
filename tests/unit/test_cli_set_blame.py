"""``--set`` errors name the ``--set`` option that put the bad value there, not the preset file (every command)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tuitrain import presets
from tuitrain.cli import app


@pytest.mark.parametrize(
    "command",
    [
        ["run", "digits-overfit"],
        ["presets", "show", "digits-overfit"],
        ["presets", "new", "mine", "--from", "digits-overfit"],
        ["sweep", "run", "digits-overfit", "--space", "optimizer.learning_rate=log_uniform:1e-4:1", "--trials", "2"],
        ["export", "digits-overfit"],
        ["lr-find", "digits-overfit"],
    ],
    ids=["run", "presets-show", "presets-new", "sweep-run", "export", "lr-find"],
)
def test_every_command_taking_set_blames_the_set_option(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUITRAIN_PRESETS_DIR", str(tmp_path / "user"))
    runs = tmp_path / "runs"
    extra = ["--runs-dir", str(runs)] if command[0] in ("run", "sweep", "export", "lr-find") else []
    result = CliRunner().invoke(app, [*command, "--set", "training.epochs=0", *extra])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line == "tuitrain: --set training.epochs=0: training.epochs: must be >= 1, got 0"
    assert not runs.exists() or not any(runs.iterdir())


def test_issues_the_file_owns_still_name_the_file(tmp_path: Path) -> None:
    preset = tmp_path / "p.toml"
    preset.write_text(
        presets.to_toml(presets.load("digits-mlp").experiment).replace("epochs = ", "epochs = -")
        # a bad value in the file, and a bad --set on another field
    )
    with pytest.raises(presets.PresetError) as caught:
        presets.load_file(preset, ["training.batch_size=0", "optimizer.learning_rate=0.01"])
    lines = caught.value.lines()
    assert any(line.startswith(f"{preset}: training.epochs:") for line in lines), lines
    assert any(line.startswith("--set training.batch_size=0: training.batch_size:") for line in lines), lines
    assert not any("learning_rate" in line for line in lines)


def test_a_whole_table_set_is_blamed_for_issues_inside_it() -> None:
    with pytest.raises(presets.PresetError) as caught:
        presets.load("digits-mlp", ['optimizer={name = "sgd", learning_rate = -1}'])
    assert caught.value.lines()[0].startswith('--set optimizer={name = "sgd", learning_rate = -1}: optimizer.')
