"""Record the corpus of real training histories in ``corpus/``: each case is a real ``tuitrain run``.

    python tests/data/histories/record_corpus.py                 # every case not recorded yet
    python tests/data/histories/record_corpus.py NAME [NAME ...]   # these cases (again)
    python tests/data/histories/record_corpus.py --list

Each case trains with the product's own trainer (``tuitrain run``, offline, on the subsets in
``/work/shared/data`` copied as ``mnist.npz``/``imdb.npz``, IMDB with 500 words) and is written as one
compact JSON file: the command, the seed, the data, what the analysis needs to know about the run (loss,
classes, the validation labels' class balance, the early-stopping and overfitting settings, whether the
logged loss includes L1/L2 penalties), and the per-epoch logs (7 significant digits, float32 precision).

The ``expected`` block of each file is a person's reading of the curves, written by hand after looking at
them and before the analysis rules were tuned against them: the overfitting onset epoch (or null), the
lowest-validation-loss epoch, the learning-rate call, whether the model never got past guessing, whether
training diverged. Re-recording a case keeps its ``expected`` block (and says so if the curve moved).

The tests read the JSON files; they never run this (it needs TensorFlow and minutes of CPU).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SHARED = Path("/work/shared/data")
IMDB = ["--set", "dataset.num_words=500"]
NO_ES = ["--set", "early_stopping.enabled=false"]
SGD_1 = 'optimizer={name="sgd",learning_rate=1.0}'

# name -> (preset or preset file, --set arguments, what it is meant to show)
CASES: dict[str, tuple[str, list[str], str]] = {
    # --- the runs ------------------------------------------------------------------------------
    "digits_sgd_lr1_stuck": (
        "digits-overfit",
        ["--set", SGD_1, "--set", "training.epochs=20", "--set", "training.seed=0"],
        "issue 10 #1: SGD at 1.0 never gets past guessing; called overfitting and 'converging' before.",
    ),
    "digits_adam_lr5_stuck": (
        "digits-overfit",
        ["--set", "optimizer.learning_rate=5", "--set", "training.epochs=10"],
        "issue 10 #1: Adam at 5, worse than chance then at chance; called overfitting at the end before.",
    ),
    "imdb_rmsprop_lr1_blowup": (
        "imdb-seed",
        [*IMDB, "--set", "optimizer.learning_rate=1.0", "--set", "training.epochs=15", "--set", "training.seed=0"],
        "issue 10 #2: epoch 1 loss in the hundreds, then validation accuracy pinned at the majority class.",
    ),
    "mnist_rmsprop_lr005_blowup": (
        "mnist-mlp",
        ["--set", "optimizer.learning_rate=0.05", "--set", "training.epochs=20", "--set", "training.seed=2"],
        "issue 10 #2: a first-epoch blow-up, then it learns; the onset was put at the blow-up epoch.",
    ),
    "imdb_256_35ep": (
        "imdb-seed",
        [*IMDB, "--set", "model.layers[0].units=256", "--set", "training.epochs=35", "--set", "training.seed=0"],
        "issue 10 #3: a wide first layer overfits; 'best epoch' differed from the lowest validation loss.",
    ),
    "imdb_256_40ep_b128_seed1": (
        "imdb-seed",
        [
            *IMDB,
            "--set",
            "model.layers[0].units=256",
            "--set",
            "training.epochs=40",
            "--set",
            "training.batch_size=128",
            "--set",
            "training.seed=1",
        ],
        "issue 10 #4: training loss near zero jumps 0.0015 -> 0.03, called divergence before.",
    ),
    # --- clean runs that should not be called overfitting -------------------------------------------------
    "mnist_mlp_seed0": ("mnist-mlp", ["--set", "training.seed=0", *NO_ES], "The MNIST preset, 10 epochs."),
    "mnist_mlp_seed1": ("mnist-mlp", ["--set", "training.seed=1", *NO_ES], "The MNIST preset, 10 epochs, seed 1."),
    "mnist_mlp_dropout": (
        "mnist-mlp",
        [
            "--set",
            'model.layers=[{kind="dense",units=512,activation="relu"},{kind="dropout",rate=0.5}]',
            "--set",
            "training.epochs=12",
            *NO_ES,
        ],
        "Regularized by dropout 0.5: validation keeps up with training.",
    ),
    "digits_mlp_default": ("digits-mlp", [*NO_ES], "The small digits MLP with dropout, 30 epochs."),
    "digits_mlp_seed3": ("digits-mlp", ["--set", "training.seed=3", "--set", "training.epochs=25", *NO_ES], "Seed 3."),
    "imdb_seed_20ep": ("imdb-seed", [*IMDB], "The classic 20 epochs on 500 words: barely overfits."),
    "imdb_seed_20ep_seed2": ("imdb-seed", [*IMDB, "--set", "training.seed=2"], "The same with seed 2."),
    "imdb_regularized": (
        "imdb-regularized",
        [*IMDB, "--set", "training.epochs=25", *NO_ES],
        "L2 and dropout: a logged loss with penalties, slow clean convergence.",
    ),
    # --- overfitting ---------------------------------------------------------------------------------------
    "digits_overfit_default": ("digits-overfit", ["--set", "training.epochs=30", *NO_ES], "The overfitting preset."),
    "digits_overfit_seed1": (
        "digits-overfit",
        ["--set", "training.epochs=30", "--set", "training.seed=1", *NO_ES],
        "The overfitting preset, seed 1.",
    ),
    "digits_overfit_batch4": (
        "digits-overfit",
        ["--set", "training.epochs=25", "--set", "training.batch_size=4", *NO_ES],
        "Noisy small batches (4 samples).",
    ),
    "digits_overfit_dropout": (
        "digits-overfit",
        [
            "--set",
            'model.layers=[{kind="dense",units=512,activation="relu"},{kind="dropout",rate=0.5},'
            '{kind="dense",units=512,activation="relu"},{kind="dropout",rate=0.5}]',
            "--set",
            "training.epochs=30",
            *NO_ES,
        ],
        "The over-sized net with dropout 0.5: overfits later and less.",
    ),
    "imdb_seed_60ep": (
        "imdb-seed",
        [*IMDB, "--set", "training.epochs=60"],
        "Late onset: the classic model trained on.",
    ),
    "imdb_256_25ep": (
        "imdb-seed",
        [*IMDB, "--set", "model.layers[0].units=256", "--set", "training.epochs=25", "--set", "training.seed=2"],
        "Wide first layer, seed 2.",
    ),
    "imdb_adam_25ep": (
        "imdb-seed",
        [*IMDB, "--set", 'optimizer={name="adam",learning_rate=0.001}', "--set", "training.epochs=25"],
        "Adam on the classic model: overfits sooner.",
    ),
    "mnist_mlp_30ep_1k": (
        "mnist-mlp",
        ["--set", "dataset.train_subset=1000", "--set", "training.epochs=30", *NO_ES],
        "MNIST with 1,000 training images: overfits.",
    ),
    # --- learning rate too small ------------------------------------------------------------------------------
    "digits_sgd_lr1e-4": (
        "digits-mlp",
        ["--set", 'optimizer={name="sgd",learning_rate=0.0001}', "--set", "training.epochs=20", *NO_ES],
        "SGD at 1e-4: hardly moves, accuracy creeps up.",
    ),
    "digits_sgd_lr1e-3": (
        "digits-mlp",
        ["--set", 'optimizer={name="sgd",learning_rate=0.001}', "--set", "training.epochs=30", *NO_ES],
        "SGD at 1e-3: a straight line down.",
    ),
    "mnist_sgd_lr1e-3": (
        "mnist-mlp",
        ["--set", 'optimizer={name="sgd",learning_rate=0.001}', "--set", "training.epochs=15", *NO_ES],
        "MNIST, SGD at 1e-3: slow.",
    ),
    # --- learning rate too large --------------------------------------------------------------------------------
    "digits_adam_lr005": (
        "digits-mlp",
        ["--set", "optimizer.learning_rate=0.05", "--set", "training.epochs=25", *NO_ES],
        "Adam at 0.05 on the small net: noisy.",
    ),
    "mnist_rmsprop_lr001": (
        "mnist-mlp",
        ["--set", "optimizer.learning_rate=0.01", "--set", "training.epochs=15", *NO_ES],
        "RMSprop at 0.01: a big first epoch, then noisy.",
    ),
    "mnist_rmsprop_lr002_seed0": (
        "mnist-mlp",
        ["--set", "optimizer.learning_rate=0.02", "--set", "training.epochs=15", *NO_ES],
        "RMSprop at 0.02: first-epoch blow-up.",
    ),
    "imdb_rmsprop_lr01": (
        "imdb-seed",
        [*IMDB, "--set", "optimizer.learning_rate=0.1", "--set", "training.epochs=15"],
        "RMSprop at 0.1 on IMDB: first-epoch blow-up.",
    ),
    "digits_adam_lr05_stuck": (
        "digits-mlp",
        ["--set", "optimizer.learning_rate=0.5", "--set", "training.epochs=15", *NO_ES],
        "Adam at 0.5: never learns.",
    ),
    "imdb_sgd_lr5_stuck": (
        "imdb-seed",
        [*IMDB, "--set", 'optimizer={name="sgd",learning_rate=5.0}', "--set", "training.epochs=15"],
        "SGD at 5 on IMDB.",
    ),
    "digits_sgd_lr3_blowup_stuck": (
        "digits-overfit",
        ["--set", 'optimizer={name="sgd",learning_rate=3.0}', "--set", "training.epochs=10", *NO_ES],
        "SGD at 3 on the big net: a blow-up to 1e9, then stuck at chance.",
    ),
    "digits_sgd_lr2_blowup": (
        "digits-overfit",
        ["--set", 'optimizer={name="sgd",learning_rate=2.0}', "--set", "training.epochs=10", *NO_ES],
        "SGD at 2 on the big net: a blow-up to 1e13, then stuck at chance.",
    ),
    "mnist_sgd_lr10_blowup": (
        "mnist-mlp",
        ["--set", 'optimizer={name="sgd",learning_rate=10.0}', "--set", "training.epochs=6", *NO_ES],
        "SGD at 10 on MNIST: a blow-up, then stuck at chance.",
    ),
    "digits_overfit_adam_lr003": (
        "digits-overfit",
        ["--set", "optimizer.learning_rate=0.03", "--set", "training.epochs=20", *NO_ES],
        "The big net with Adam at 0.03 (ten times the preset).",
    ),
    "digits_sgd_lr05": (
        "digits-overfit",
        ["--set", 'optimizer={name="sgd",learning_rate=0.5}', "--set", "training.epochs=15", *NO_ES],
        "SGD at 0.5 on the big net.",
    ),
    "mnist_sgd_lr1": (
        "mnist-mlp",
        ["--set", SGD_1, "--set", "training.epochs=8", *NO_ES],
        "SGD at 1 on MNIST.",
    ),
    # --- mean squared error on an npz of my own ------------------------------------------------------------------
    "npz_mse_linear_sgd_lr012": (
        "npz-mse.toml",
        [
            "--set",
            'model.output.activation="linear"',
            "--set",
            'optimizer={name="sgd",learning_rate=0.12}',
            "--set",
            "training.epochs=10",
        ],
        "A linear output with mse and SGD at 0.12: a rough first epoch.",
    ),
    "npz_mse_linear_sgd_lr02_blowup": (
        "npz-mse.toml",
        [
            "--set",
            'model.output.activation="linear"',
            "--set",
            'optimizer={name="sgd",learning_rate=0.2}',
            "--set",
            "training.epochs=10",
        ],
        "A linear output with mse and SGD at 0.2: a first-epoch blow-up, then it learns.",
    ),
    "npz_mse_linear_sgd_rise": (
        "npz-mse.toml",
        [
            "--set",
            'model.output.activation="linear"',
            "--set",
            'optimizer={name="sgd",learning_rate=0.05}',
            "--set",
            "training.epochs=15",
        ],
        "A linear output with mse and SGD at 0.05.",
    ),
    "npz_mse_overfit": (
        "npz-mse.toml",
        ["--set", "training.epochs=40"],
        "Sigmoid output with mse on a small two-class npz: overfits.",
    ),
    "npz_mse_clean": (
        "npz-mse.toml",
        ["--set", "training.epochs=30", "--set", 'model.layers=[{kind="dense",units=16,activation="relu"}]'],
        "A small net with mse on the same npz.",
    ),
}


def _npz_preset(folder: Path) -> Path:
    """A two-class npz of digits 3 vs 8 with noisy labels (15% flipped), and a preset for it with mse."""
    import numpy as np
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = (data.target == 3) | (data.target == 8)
    x, y = data.data[keep] / 16.0, (data.target[keep] == 8).astype("int64")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    flip = rng.random(len(y)) < 0.15
    y = np.where(flip, 1 - y, y)
    np.savez(folder / "digits38.npz", x_train=x[:120], y_train=y[:120], x_test=x[120:], y_test=y[120:])
    preset = folder / "npz-mse.toml"
    preset.write_text(
        'name = "npz-mse"\nloss = "mse"\nmetrics = ["accuracy"]\n'
        '[dataset]\nname = "npz"\npath = "digits38.npz"\n'
        '[[model.layers]]\nkind = "dense"\nunits = 256\nactivation = "relu"\n'
        '[[model.layers]]\nkind = "dense"\nunits = 256\nactivation = "relu"\n'
        '[model.output]\nunits = 1\nactivation = "sigmoid"\n'
        '[optimizer]\nname = "adam"\nlearning_rate = 0.003\n'
        "[training]\nepochs = 40\nbatch_size = 8\nseed = 0\n",
        encoding="utf-8",
    )
    return preset


def _classes(exp: Any) -> int:
    units = exp.model.output.units
    return 2 if units == 1 else units


def _compact(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(f"{value:.7g}")


def _val_class_shares(exp: Any, data_dir: Path, base_dir: Path) -> list[float]:
    import numpy as np

    from tuitrain.data import load_dataset

    data = load_dataset(exp.dataset, data_dir, allow_download=False, base_dir=base_dir)
    counts = np.bincount(np.asarray(data.y_val).reshape(-1), minlength=data.num_classes)
    return [round(float(c) / counts.sum(), 6) for c in counts]


def record(name: str, tuitrain: Path, data_dir: Path, runs_dir: Path, work: Path) -> Path:
    """Run one case with ``tuitrain run`` and write its JSON; return the file."""
    from tuitrain.analysis.chance import has_penalties
    from tuitrain.presets import experiment_from_data
    from tuitrain.runs import load_run

    preset, sets, description = CASES[name]
    if preset.endswith(".toml"):
        preset = str(work / preset)
    argv = [str(tuitrain), "run", preset, *sets, "--runs-dir", str(runs_dir), "--data-dir", str(data_dir)]
    env = {**os.environ, "TUITRAIN_OFFLINE": "1", "NO_COLOR": "1"}
    before = set(runs_dir.iterdir())
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    new = sorted(set(runs_dir.iterdir()) - before)
    if len(new) != 1:
        raise SystemExit(f"{name}: expected one new run directory, got {new}: {proc.stderr.strip()[-500:]}")
    run_dir = new[0]
    exp_path = run_dir / "experiment.toml"
    exp = experiment_from_data(tomllib.loads(exp_path.read_text(encoding="utf-8")), str(exp_path))
    record = load_run(run_dir)
    if not record.epoch_events:
        raise SystemExit(f"{name}: the run recorded no epoch ({record.state}: {record.reason}); see {run_dir}")
    history = [{k: _compact(float(v)) for k, v in sorted(e.logs.items()) if k != "epoch"} for e in record.epoch_events]
    learning_rates = [
        _compact(float(e.learning_rate)) if e.learning_rate is not None else None for e in record.epoch_events
    ]
    shown = ["tuitrain", "run", CASES[name][0], *sets, "--data-dir", "DATA"]
    payload: dict[str, Any] = {
        "name": name,
        "description": description,
        "command": "TUITRAIN_OFFLINE=1 " + shlex.join(shown),
        "data": "DATA holds /work/shared/data/mnist_10k.npz as mnist.npz and imdb_500w_5k.npz as imdb.npz; "
        "digits ship with scikit-learn; npz-mse: digits 3 vs 8, 15% labels flipped (record_corpus.py)",
        "seed": exp.training.seed,
        "state": record.state,
        "loss": exp.loss,
        "classes": _classes(exp),
        "output_units": exp.model.output.units,
        "val_class_shares": _val_class_shares(exp, data_dir, work),
        "penalties": has_penalties(exp),
        "early_stopping": exp.early_stopping.model_dump(mode="json"),
        "overfitting": exp.overfitting.model_dump(mode="json"),
    }
    path = CORPUS / f"{name}.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if "expected" in old:
            payload["expected"] = old["expected"]
            if old.get("history") != history:
                print(f"{name}: the curve changed; check its expected reading", file=sys.stderr)
    payload.update(learning_rates=learning_rates, history=history)
    path.write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"{name}: {len(history)} epochs, {record.state} ({run_dir.name})", flush=True)
    return path


def main(argv: list[str]) -> int:
    """Record the named cases (default: those without a file yet)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="cases to record (default: every case not recorded yet)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--tuitrain", type=Path, default=Path(sys.executable).parent / "tuitrain")
    parser.add_argument("--work", type=Path, default=None, help="folder for data copies and runs (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.list:
        for name, (preset, sets, description) in CASES.items():
            print(f"{name}: {preset} {shlex.join(sets)}  # {description}")
        return 0
    unknown = [n for n in args.names if n not in CASES]
    if unknown:
        raise SystemExit(f"unknown cases: {', '.join(unknown)} (see --list)")
    names = args.names or [n for n in CASES if not (CORPUS / f"{n}.json").exists()]
    work = args.work or Path(tempfile.mkdtemp(prefix="tuitrain-corpus-"))
    data_dir, runs_dir = work / "data", work / "runs"
    data_dir.mkdir(parents=True, exist_ok=True)
    runs_dir.mkdir(exist_ok=True)
    for source, target in (("mnist_10k.npz", "mnist.npz"), ("imdb_500w_5k.npz", "imdb.npz")):
        if not (data_dir / target).exists():
            shutil.copy(SHARED / source, data_dir / target)
    _npz_preset(work)
    CORPUS.mkdir(exist_ok=True)
    failed = 0
    for name in names:
        try:
            record(name, args.tuitrain, data_dir, runs_dir, work)
        except SystemExit as exc:  # one case that recorded nothing must not stop the others
            print(exc, file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
