"""``tuitrain export``: the script text (valid, clean, standalone) and the command (sources, files, errors).

That the script trains what tuitrain trains is shown in ``tests/engine/test_export_*.py``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tuitrain import presets
from tuitrain.cli import app
from tuitrain.export import ExportError, render_script
from tuitrain.fsutil import atomic_write_text
from tuitrain.runs import EventWriter, RunPaths, RunStarted
from tuitrain.spec import Experiment

runner = CliRunner()
BUILTINS = sorted(p.name for p in presets.list_presets() if p.source == "builtin")


def _imports(text: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _ruff(path: Path) -> subprocess.CompletedProcess[str]:
    # Pyflakes (undefined names, unused imports and variables), pycodestyle errors, bugbear, line length.
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F,E,W,B", "--line-length", "100", str(path)],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_preset_exports_to_a_clean_standalone_script(name: str, tmp_path: Path) -> None:
    text = render_script(presets.load(name).experiment, source=f"preset {name}")
    assert _imports(text) <= {"argparse", "gzip", "math", "os", "random", "keras", "numpy", "sklearn", "tensorflow"}
    path = tmp_path / "train.py"
    path.write_text(text, encoding="utf-8")
    result = _ruff(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "def main():" in text and 'if __name__ == "__main__":' in text


def test_script_says_each_choice_in_a_comment() -> None:
    text = render_script(presets.load("imdb-regularized").experiment)
    for words in ("L2 0.001", "Dropout 50%", "rmsprop", "binary_crossentropy", "Early stopping", "NUM_WORDS = 10000"):
        assert words in text, words
    assert "keras.callbacks.EarlyStopping(" in text and "restore_best_weights=True" in text


def test_seed_is_the_experiments_or_the_runs_or_drawn_by_the_script() -> None:
    exp = presets.load("digits-mlp", ["training.seed=42"]).experiment
    assert "SEED = 42 " in render_script(exp)
    randomly = presets.load("digits-mlp", ['training.seed="random"']).experiment
    assert "SEED = 1234 " in render_script(randomly, seed=1234)  # the seed the run drew
    drawn = render_script(randomly)
    assert "SEED = random.randrange(" in drawn and 'print(f"seed {SEED}")' in drawn


def test_user_text_cannot_break_the_script(tmp_path: Path) -> None:
    exp = presets.load("digits-mlp").experiment
    exp.name = "a \"quoted\" 'name' \\ end"
    exp.description = 'triple """ quotes\nnew line \x00 nul \x1b[31m escape'
    path = tmp_path / "train.py"
    path.write_text(render_script(exp, source='preset "x"\n'), encoding="utf-8")
    assert _ruff(path).returncode == 0
    assert "\x00" not in path.read_text() and "\x1b" not in path.read_text()


def test_npz_path_is_written_absolute_from_the_presets_folder(tmp_path: Path) -> None:
    from datafiles import write_fake_user_npz

    data = write_fake_user_npz(tmp_path / "sub" / "mine.npz")
    exp = presets.load("digits-mlp").experiment.model_copy(update={"dataset": {"name": "npz", "path": "sub/mine.npz"}})
    exp = Experiment.model_validate(exp.model_dump())
    text = render_script(exp, base_dir=tmp_path)
    assert repr(str(data.resolve()))[1:-1] in text


def test_an_experiment_with_errors_is_not_exported() -> None:
    exp = Experiment.model_validate({"loss": "binary_crossentropy"})  # digits has 10 classes
    with pytest.raises(ExportError, match="binary crossentropy needs two classes"):
        render_script(exp)


# ---------------------------------------------------------------------- the command


def test_export_of_a_preset_prints_the_script() -> None:
    result = runner.invoke(app, ["export", "digits-overfit", "--set", "training.epochs=3"])
    assert result.exit_code == 0, result.output
    assert "EPOCHS = 3 " in result.output and "from preset digits-overfit" in result.output
    ast.parse(result.output)


def test_export_writes_an_executable_file_and_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "train.py"
    assert runner.invoke(app, ["export", "digits-mlp", "-o", str(out)]).exit_code == 0
    assert out.read_text().startswith("#!/usr/bin/env python3") and os.access(out, os.X_OK)
    out.write_text("# mine\n")
    again = runner.invoke(app, ["export", "digits-mlp", "-o", str(out)])
    assert again.exit_code == 1 and "exists: pass --force" in again.output and out.read_text() == "# mine\n"
    assert runner.invoke(app, ["export", "digits-mlp", "-o", str(out), "--force"]).exit_code == 0
    assert "import keras" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-thing"], "neither a preset"),
        (["digits-mlp", "--set", "training.epochs=0"], "training.epochs"),
        (["digits-mlp", "-o", "{tmp}"], "is a folder"),
        (["digits-mlp", "-o", "{tmp}/missing/train.py"], "does not exist"),
        (["{tmp}"], "not a run directory"),
    ],
)
def test_export_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", *(a.replace("{tmp}", str(tmp_path)) for a in args)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tuitrain: ") and message in lines[0], result.output


def _fake_run(root: Path, name: str, exp: Experiment, seed: int) -> Path:
    run_dir = root / name
    run_dir.mkdir(parents=True)
    paths = RunPaths(run_dir)
    atomic_write_text(paths.experiment, presets.to_toml(exp))
    with EventWriter(paths.events) as writer:
        writer.write(
            RunStarted(
                run_id=name,
                experiment_name=exp.name,
                device="CPU",
                device_kind="cpu",
                params_total=1,
                params_trainable=1,
                pid=1,
                epochs=1,
                steps_per_epoch=1,
                train_samples=1,
                val_samples=1,
                seed=seed,
            )
        )
    return run_dir


def test_export_of_a_run_uses_the_seed_it_drew(tmp_path: Path) -> None:
    exp = presets.load("digits-mlp", ['training.seed="random"']).experiment
    run_dir = _fake_run(tmp_path / "runs", "20260101-000000-digits-mlp", exp, seed=987654)
    by_name = runner.invoke(app, ["export", "20260101-000000", "--runs-dir", str(tmp_path / "runs")])
    assert by_name.exit_code == 0, by_name.output
    assert "SEED = 987654 " in by_name.output and "from run 20260101-000000-digits-mlp" in by_name.output
    by_path = runner.invoke(app, ["export", str(run_dir)])
    assert by_path.exit_code == 0 and "SEED = 987654 " in by_path.output
