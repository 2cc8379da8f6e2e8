"""The end-of-run summary (``tuitrain run``'s last lines and ``tuitrain runs show``) on recorded real runs.

Each run directory is written on the spot from a corpus history and its real experiment, as the trainer
writes it (with the validation labels' class balance in run_started).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from tuitrain import presets
from tuitrain.cli.runs_cmd import summary_lines
from tuitrain.fsutil import atomic_write_text
from tuitrain.runs import EpochEnded, EventWriter, RunFinished, RunPaths, RunStarted

HISTORIES = Path(__file__).resolve().parents[1] / "data" / "histories"


def _cases() -> dict[str, tuple[str, list[str], str]]:
    spec = importlib.util.spec_from_file_location("record_corpus", HISTORIES / "record_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def run_dir_of(tmp_path: Path, name: str, *, with_balance: bool = True) -> Path:
    """A finished run directory holding the corpus run ``name``: its experiment, its events."""
    preset, sets, _ = _cases()[name]
    exp = presets.load(preset, [s for s in sets if s != "--set"]).experiment
    case: dict[str, Any] = json.loads((HISTORIES / "corpus" / f"{name}.json").read_text(encoding="utf-8"))
    run_dir = tmp_path / name
    run_dir.mkdir()
    paths = RunPaths(run_dir)
    atomic_write_text(paths.experiment, presets.to_toml(exp))
    history = case["history"]
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
                epochs=len(history),
                steps_per_epoch=1,
                train_samples=1,
                val_samples=1,
                val_class_shares=case["val_class_shares"] if with_balance else None,
            )
        )
        for epoch, logs in enumerate(history, start=1):
            writer.write(EpochEnded(epoch=epoch, logs=logs, learning_rate=1e-3, epoch_seconds=1.0))
        writer.write(RunFinished(status="finished", reason="all epochs", epochs_done=len(history)))
    return run_dir


def test_each_best_epoch_is_said_once_by_its_own_name(tmp_path: Path) -> None:
    # Issue 10 #3: "best epoch 5 by val_loss ... 0.4124" stood beside the minimum 0.3689 at epoch 15.
    lines = summary_lines(run_dir_of(tmp_path, "imdb_256_35ep"), "finished", None)
    text = "\n".join(lines)
    assert not any(line.startswith("best epoch") for line in lines)
    assert "Lowest validation loss: 0.369 at epoch 15 (val_accuracy 0.836)." in text
    assert "Early stopping (patience 2) would stop at epoch 7 and keep epoch 5's weights (val_loss 0.412)." in text
    assert text.count("Lowest validation loss") == 1


def test_a_model_at_chance_is_not_overfitting_nor_converging(tmp_path: Path) -> None:
    # Issue 10 #1: SGD at 1.0 on digits, accuracy 0.10-0.25, was "Overfitting since epoch 5" and "converges".
    text = "\n".join(summary_lines(run_dir_of(tmp_path, "digits_sgd_lr1_stuck"), "finished", None))
    assert "the model has not learned" in text and "learning rate" in text
    assert "verfitting since" not in text and "converges" not in text
    flags = next(line for line in text.splitlines() if line.startswith("flags: "))
    assert "not_learned" in flags and "overfitting_onset" not in flags and "GL" not in flags


def test_a_first_epoch_blow_up_is_named_and_is_no_onset(tmp_path: Path) -> None:
    # Issue 10 #2: IMDB at rmsprop 1.0, epoch 1 loss 692, then pinned at the majority class: no remark at all.
    text = "\n".join(summary_lines(run_dir_of(tmp_path, "imdb_rmsprop_lr1_blowup"), "finished", None))
    assert "blew up at the start (692" in text and "the learning rate is too high" in text
    assert "has not learned" in text and "verfitting since" not in text


@pytest.mark.parametrize("name", ["digits_mlp_default", "digits_mlp_seed3", "mnist_mlp_seed1"])
def test_the_flags_line_lists_only_what_the_final_analysis_holds(tmp_path: Path, name: str) -> None:
    # Issue 10 #5: "No sign of overfitting" next to "flags: epoch 20 GL; epoch 24 GL".
    lines = summary_lines(run_dir_of(tmp_path, name), "finished", None)
    text = "\n".join(lines)
    assert "No sign of overfitting" in text
    assert not [line for line in lines if line.startswith("flags:")], text


def test_a_run_recorded_before_the_class_balance_still_summarises(tmp_path: Path) -> None:
    text = "\n".join(
        summary_lines(run_dir_of(tmp_path, "imdb_rmsprop_lr1_blowup", with_balance=False), "finished", None)
    )
    assert "has not learned" in text and "blew up at the start" in text
