"""An exported script trains what tuitrain trains: for every built-in preset, the same history.

Each case trains a small version of the experiment with tuitrain's trainer (in this process, on a run
directory made by the launcher, on the data files of ``tests/datafiles.py``), exports the run with
``tuitrain export RUN -o train.py``, runs the script in a fresh interpreter on the same files
(``--data-dir``), and compares the two ``history.csv`` files epoch by epoch.

Tolerances: dense models see the same batches, weights and dropout masks in the same order, so the
training numbers agree to float32 rounding; validation is batched differently (tuitrain validates in
larger batches), which moves the mean by a few float32 ulps. IMDB differs more: tuitrain multiplies
sparse batches (``sparse_dense_matmul``, in column blocks) where the script multiplies dense multi-hot
rows; the sums are the same numbers added in another order, so the weights drift apart by float32
rounding that grows with every step. Measured (2026-11-30, 3-6 epochs): at most 1.4e-7 relative for
every case, IMDB included; the tolerances (1e-5 dense, 1e-4 sparse) leave room for other CPUs' kernels
while any real difference (a wrong seed, batch order or option) shows at 1e-2 or more.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datafiles import write_fake_imdb_npz, write_fake_keras_cache, write_fake_user_npz
from typer.testing import CliRunner

from tuitrain import launcher, presets
from tuitrain.cli import app
from tuitrain.engine import trainer

DENSE_RTOL = 1e-5
SPARSE_RTOL = 1e-4

QUICK = {
    # Keep each case to seconds: a few epochs, and the larger sets cut down.
    "digits-mlp": ["training.epochs=3", "dataset.train_subset=400"],
    "digits-overfit": ["training.epochs=3"],
    "imdb-seed": ["training.epochs=3"],
    "imdb-regularized": ["training.epochs=3"],
    "mnist-mlp": ["training.epochs=3"],
    "mnist-sgd-momentum": ["training.epochs=3"],
    "fashion-mnist-mlp": ["training.epochs=3"],
}


def _builtin_names() -> list[str]:
    return sorted(p.name for p in presets.list_presets() if p.source == "builtin")


def _history(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _train_and_export(exp: object, tmp_path: Path, data_dir: Path | None) -> tuple[Path, Path]:
    run_dir = launcher.prepare_run(exp, tmp_path / "runs")  # type: ignore[arg-type]
    assert trainer.run(run_dir, data_dir=data_dir, allow_download=False) == 0, run_dir / "trainer.log"
    script = tmp_path / "train.py"
    result = CliRunner().invoke(app, ["export", str(run_dir), "-o", str(script)])
    assert result.exit_code == 0, result.output
    return run_dir, script


def _run_script(script: Path, out: Path, *args: str) -> str:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTHONPATH", None)  # the script must not need tuitrain
    done = subprocess.run(
        [sys.executable, "-I", str(script), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=out.parent,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _compare(run_dir: Path, out: Path, rtol: float) -> None:
    ours = _history(run_dir / "history.csv")
    theirs = _history(out / "history.csv")
    assert len(theirs) == len(ours), f"script trained {len(theirs)} epochs, tuitrain {len(ours)}"
    worst = 0.0
    for mine, script_row in zip(ours, theirs, strict=True):
        for key, value in script_row.items():
            if key == "epoch":
                continue
            other = mine[key]
            assert math.isfinite(value) and math.isfinite(other), (key, value, other)
            worst = max(worst, abs(value - other) / max(abs(other), 1e-3))
    assert worst <= rtol, f"largest relative difference {worst:.2e} (tolerance {rtol:g})"
    print(f"{run_dir.name}: largest relative difference {worst:.2e} over {len(ours)} epochs")


@pytest.mark.slow
@pytest.mark.parametrize("name", _builtin_names())
def test_exported_script_of_every_builtin_preset_matches_the_tuitrain_run(name: str, tmp_path: Path) -> None:
    data_dir = write_fake_keras_cache(tmp_path / "keras")
    # More reviews than the default fake file, so an IMDB epoch has several batches of 512.
    write_fake_imdb_npz(data_dir / "imdb.npz", n_train=1200, n_test=300, vocab=400)
    exp = presets.load(name, QUICK.get(name, ["training.epochs=3"])).experiment
    run_dir, script = _train_and_export(exp, tmp_path, data_dir)
    out = tmp_path / "script-out"
    # digits ships with scikit-learn: no data files, no --data-dir.
    _run_script(script, out, *(["--data-dir", str(data_dir)] if exp.dataset.name != "digits" else []))
    assert (out / "final.keras").is_file() and (out / "best.keras").is_file()
    _compare(run_dir, out, SPARSE_RTOL if exp.dataset.name == "imdb" else DENSE_RTOL)


def _npz_float_one_hot(tmp_path: Path) -> list[str]:
    data = write_fake_user_npz(
        tmp_path / "mine.npz", n_train=240, n_test=60, features=(4, 3), num_classes=3, one_hot=True
    )
    return [
        'name="npz-holdout-sgd"',
        f'dataset={{name="npz", path="{data}", validation="holdout", holdout_fraction=0.25, '
        'scaling="standardize", train_subset=200, val_subset=40}',
        'model.layers=[{kind="dense", units=12, activation="tanh", kernel_initializer={name="random_normal", '
        'stddev=0.1}, kernel_regularizer={kind="l1", l1=0.001}}, {kind="batch_norm"}, {kind="activation", '
        'activation="elu"}, {kind="dropout", rate=0.1}, {kind="dense", units=8, activation="relu", '
        'use_bias=false, activity_regularizer={kind="l1_l2", l1=0.0001, l2=0.0001}, '
        'kernel_initializer={name="random_uniform", limit=0.2}}]',
        'model.kernel_regularizer={kind="l2", l2=0.001}',
        'optimizer={name="sgd", momentum=0.9, nesterov=true, clipnorm=1.0, learning_rate={kind="cosine_decay", '
        "initial_learning_rate=0.05, decay_steps=40, alpha=0.1, warmup_target=0.1, warmup_steps=5}}",
        'metrics=["accuracy", "precision", "auc"]',
        "training.epochs=6",
        "training.batch_size=16",
        'training.seed="random"',
        "early_stopping.enabled=true",
        'early_stopping.monitor="val_accuracy"',
        "early_stopping.patience=2",
    ]


def _digits_huber_plateau(tmp_path: Path) -> list[str]:
    return [
        'name="digits-huber-plateau"',
        "dataset.train_subset=300",
        "dataset.val_subset=120",
        'dataset.scaling="none"',
        'model.layers=[{kind="dense", units=24, activation="selu", kernel_initializer="lecun_normal"}, '
        '{kind="dense", units=16, activation="relu", kernel_initializer="he_uniform", '
        'bias_initializer={name="truncated_normal", stddev=0.02}}]',
        'model.output={kernel_initializer="orthogonal"}',
        'optimizer={name="adamw", learning_rate=0.002, weight_decay=0.01, amsgrad=true}',
        'loss="huber"',
        "huber_delta=0.5",
        'metrics=["mae", "mse", "accuracy"]',
        "training.epochs=5",
        "training.batch_size=50",
        "training.shuffle=false",
        "training.mixed_precision=true",
        "training.reduce_lr_on_plateau.enabled=true",
        "training.reduce_lr_on_plateau.patience=0",
        "training.reduce_lr_on_plateau.min_delta=0.5",
    ]


def _npz_uint8_binary(tmp_path: Path) -> list[str]:
    data = write_fake_user_npz(tmp_path / "bits.npz", n_train=160, n_test=40, features=10, num_classes=2, dtype="uint8")
    return [
        'name="npz-binary"',
        f'dataset={{name="npz", path="{data}", scaling="normalize"}}',
        'model.layers=[{kind="dense", units=10, activation="relu", kernel_initializer="glorot_normal", '
        'kernel_regularizer={kind="l1_l2", l1=0.0001, l2=0.001}}]',
        'optimizer={name="rmsprop", centered=true, momentum=0.5, learning_rate={kind="exponential_decay", '
        "initial_learning_rate=0.01, decay_steps=7, decay_rate=0.5, staircase=true}}",
        'loss="binary_crossentropy"',
        'metrics=["accuracy", "recall"]',
        "training.epochs=4",
        "training.batch_size=32",
        "training.seed=7",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_npz_float_one_hot, _digits_huber_plateau, _npz_uint8_binary])
def test_exported_script_matches_on_the_choices_the_presets_do_not_make(variant: object, tmp_path: Path) -> None:
    """User npz files (float one-hot, uint8), holdout, standardize/none/normalize, every layer kind,
    every penalty, seeded random initializers, SGD/AdamW/RMSprop with schedules, huber, element-wise
    metrics (one-hot labels), reduce-on-plateau, early stopping on accuracy, no shuffling, mixed
    precision (ignored on a CPU), and a seed the trainer drew at random."""
    exp = presets.load("digits-mlp", variant(tmp_path)).experiment  # type: ignore[operator]
    run_dir, script = _train_and_export(exp, tmp_path, None)
    out = tmp_path / "script-out"
    _run_script(script, out)
    _compare(run_dir, out, DENSE_RTOL)


REPO = Path(__file__).resolve().parents[2]
# The real subsets live in shared/data beside the repository (or inside a checkout that carries it).
SHARED_IMDB = next(
    (
        p
        for p in (REPO.parent / "shared" / "data" / "imdb_500w_5k.npz", REPO / "shared" / "data" / "imdb_500w_5k.npz")
        if p.is_file()
    ),
    REPO.parent / "shared" / "data" / "imdb_500w_5k.npz",
)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["made-up", "shared-subset"])
def test_exported_imdb_script_reads_an_already_encoded_file_as_tuitrain_does(source: str, tmp_path: Path) -> None:
    """A prepared subset stores reviews as Keras returns them (start mark 1, words cut): both sides use
    it as stored, cut to num_words. The real subset is optional (absent in a fresh clone)."""
    data_dir = tmp_path / "data"
    if source == "shared-subset":
        if not SHARED_IMDB.is_file():
            pytest.skip(f"{SHARED_IMDB} is not here (a real IMDB subset; optional)")
        data_dir.mkdir()
        (data_dir / "imdb.npz").write_bytes(SHARED_IMDB.read_bytes())
        overrides = ["dataset.num_words=500", "dataset.train_subset=2000", "dataset.val_subset=500"]
    else:
        write_fake_imdb_npz(data_dir / "imdb.npz", n_train=600, n_test=200, vocab=300, encoded=True)
        overrides = ["dataset.num_words=200"]  # fewer than the file's words: the rest become 2
    exp = presets.load("imdb-seed", [*overrides, "training.epochs=3"]).experiment
    run_dir, script = _train_and_export(exp, tmp_path, data_dir)
    out = tmp_path / "script-out"
    _run_script(script, out, "--data-dir", str(data_dir))
    _compare(run_dir, out, SPARSE_RTOL)
