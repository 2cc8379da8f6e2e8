"""IMDB multi-hot at full size: the seed example's dense approach vs tuitrain's sparse pipeline.

    python bench/imdb_bench.py [--small] [--epochs 6]

Both sides train the seed example's model (Dense 16 relu, Dense 16 relu, Dense 1 sigmoid, rmsprop,
binary crossentropy, batch 512) from the same initial weights on the same IMDB-shaped synthetic data:
an ``imdb.npz`` in Keras' own format with 25,000 train and 25,000 test reviews over a 10,000-word
vocabulary, 120-230 distinct words per review drawn from a Zipf-like word distribution, labels from
hidden word sentiments plus noise. As the seed does, both validate on the first 10,000 training
reviews and train on the other 15,000 (2/5 and 3/5 with ``--small``).

* seed: the lists ``keras.datasets.imdb.load_data`` returns, ``vectorize_sequences`` of train and test
  (dense float64 one-hot matrices, both kept as the seed keeps them) + ``model.fit``;
* tuitrain: its data layer on the file (read, Keras' transformation, CSR multi-hot) + the engine's
  model and tf.data pipeline (sparse batches assembled in the graph, fed to the first Dense layer,
  several steps per call) + ``model.fit`` called as the trainer calls it (``steps_per_epoch``; one
  TensorFlow thread per op, as the trainer sets for a small sparse model on a CPU) with the callbacks
  of a real run, recording into a run directory (events, history, status, best model).

Each side runs in its own subprocess so that its peak memory (``ru_maxrss``) is its own; the line
below it subtracts what the process held right after importing TensorFlow (~0.6 GB on either side).
Printed: load/encode time (tuitrain's includes reading the file, the seed's only the vectorizing),
seconds per epoch after the first (median), peak memory, the ratios seed/tuitrain, and both
validation curves side by side: each side shuffles with its own RNG, so they agree to noise, not
digit for digit (the engine tests prove sparse == dense exactly on identical batches).
``--small`` runs a 5,000-review, 2,000-word version in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 0
BATCH = 512


# ---------------------------------------------------------------- data (parent)


def make_reviews(n: int, vocab: int, rng: np.random.Generator) -> list[list[int]]:
    """``n`` raw reviews as Keras' ``imdb.npz`` stores them: lists of word ids, 1 = the most frequent word.

    Ids run 1..vocab-4, so after Keras' start mark and index shift (+3) every word stays inside a
    ``num_words=vocab`` vocabulary. Distinct words per review: 120-230 (uniform), picked by a Zipf-like
    law (probability ~ 1/rank^0.9) without repeats, as the multi-hot vector sees them.
    """
    ids = np.arange(1, vocab - 3)
    log_p = -0.9 * np.log(ids.astype(np.float64))
    lengths = rng.integers(120, 231, size=n)
    reviews = []
    for length in lengths:
        # Gumbel top-k: a weighted sample without replacement in one vectorised step.
        keys = log_p - np.log(-np.log(rng.random(len(ids))))
        words = ids[np.argpartition(keys, -length)[-length:]]
        reviews.append(rng.permutation(words).tolist())
    return reviews


def make_labels(reviews: list[list[int]], vocab: int, rng: np.random.Generator) -> np.ndarray:
    """Labels from hidden word sentiments plus noise, so the task is learnable but can be overfitted."""
    sentiment = rng.normal(0.0, 1.0, size=vocab)
    scores = np.array([sentiment[r].sum() for r in reviews])
    scores += rng.normal(0.0, scores.std() * 0.35, size=len(scores))
    return (scores > np.median(scores)).astype(np.int64)


def _object_array(rows: list[list[int]]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def initial_weights(vocab: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Glorot-uniform kernels and zero biases for vocab -> 16 -> 16 -> 1, shared by both sides."""
    out = []
    for fan_in, fan_out in ((vocab, 16), (16, 16), (16, 1)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        out += [rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32), np.zeros(fan_out, np.float32)]
    return out


# ---------------------------------------------------------------- the two sides (children)


def _load(workdir: Path) -> tuple[list[np.ndarray], int]:
    arrays = np.load(workdir / "weights.npz")
    return [arrays[f"w{i}"] for i in range(6)], int(arrays["vocab"])


def _baseline_bytes() -> int:
    """This process's peak memory so far (after importing TensorFlow and Keras)."""
    import resource

    # Linux reports ru_maxrss in KiB (macOS in bytes).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


class _EpochTimer:
    """Wall time of every epoch (training and validation), as a Keras callback."""

    def __new__(cls):  # built lazily: keras is only imported in the children
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.seconds: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds.append(time.perf_counter() - self._start)

        return Timer()


def run_seed(workdir: Path, epochs: int) -> dict:
    """The seed example, as written there: dense float64 one-hot + plain model.fit."""
    import keras

    from tuitrain.data.imdb import Sequences, keras_imdb

    weights, vocab = _load(workdir)
    baseline = _baseline_bytes()
    # What keras.datasets.imdb.load_data(num_words=vocab) returns (same steps; Keras itself would
    # refuse this file, whose checksum is not the real one): lists of word indices.
    with np.load(workdir / "data" / "imdb.npz", allow_pickle=True) as f:
        raw = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    (xs_train, labels_train), (xs_test, _labels_test) = keras_imdb(
        Sequences.from_lists(raw["x_train"]),
        raw["y_train"],
        Sequences.from_lists(raw["x_test"]),
        raw["y_test"],
        num_words=vocab,
    )
    train_data, test_data = xs_train.to_lists(), xs_test.to_lists()
    del raw

    def vectorize_sequences(sequences, dimension=vocab):
        results = np.zeros((len(sequences), dimension))
        for i, sequence in enumerate(sequences):
            results[i, sequence] = 1.0
        return results

    start = time.perf_counter()
    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)  # kept, as the seed keeps it for model.evaluate
    encode = time.perf_counter() - start
    y_train = np.asarray(labels_train).astype("float32")
    split = len(x_train) * 2 // 5  # the seed's 10,000 of 25,000
    x_val, partial_x_train = x_train[:split], x_train[split:]
    y_val, partial_y_train = y_train[:split], y_train[split:]

    # No keras.utils.set_random_seed here, as in the seed example: with a global seed set, Keras 3.15's
    # fit(shuffle=True) on arrays replays the same permutation every epoch (its shuffle op restarts).
    model = keras.Sequential(
        [
            keras.Input((vocab,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.set_weights(weights)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    timer = _EpochTimer()
    history = model.fit(
        partial_x_train,
        partial_y_train,
        epochs=epochs,
        batch_size=BATCH,
        validation_data=(x_val, y_val),
        callbacks=[timer],
        verbose=0,
    )
    assert x_test.shape[0] > 0
    return {"encode": encode, "epochs": timer.seconds, "history": history.history, "baseline_bytes": baseline}


def run_tuitrain(workdir: Path, epochs: int) -> dict:
    """tuitrain: CSR multi-hot + the engine's model, pipelines and trainer callback."""
    import keras
    import tensorflow as tf

    from tuitrain.data import LoadedData, load_dataset
    from tuitrain.engine.build import build_model
    from tuitrain.engine.datasets import make_pipelines
    from tuitrain.engine.trainer import bench_callbacks, limit_op_threads
    from tuitrain.presets import load
    from tuitrain.spec import ImdbDataset
    from tuitrain.spec.checks import check_experiment

    weights, vocab = _load(workdir)
    baseline = _baseline_bytes()
    start = time.perf_counter()
    # tuitrain's own data layer on the same Keras-format file: read, Keras' transformation, CSR multi-hot.
    loaded = load_dataset(ImdbDataset(num_words=vocab), data_dir=workdir / "data", allow_download=False)
    encode = time.perf_counter() - start
    x_train, y_train = loaded.x_train, loaded.y_train
    split = x_train.shape[0] * 2 // 5
    data = LoadedData(
        x_train=x_train[split:],
        y_train=y_train[split:],
        x_val=x_train[:split],
        y_val=y_train[:split],
        num_classes=2,
        input_dim=vocab,
        features="multi_hot",
        label_names=None,
        description="synthetic IMDB",
    )
    exp = load("imdb-seed", [f"dataset.num_words={vocab}", f"training.epochs={epochs}"]).experiment
    limit_op_threads(exp, gpu=bool(tf.config.list_physical_devices("GPU")))  # as the trainer does
    check = check_experiment(exp)
    keras.utils.set_random_seed(SEED)
    built = build_model(exp, check.output, vocab, sparse_features=True, seed=SEED)
    built.export.set_weights(weights)
    pipes = make_pipelines(
        data,
        batch_size=BATCH,
        shuffle=True,
        seed=SEED,
        label_format=built.label_format,
        output_units=built.output_units,
        sparse_input=built.sparse_input,
    )
    timer = _EpochTimer()
    callbacks = bench_callbacks(exp, data, built, pipes, workdir / "run")
    history = built.model.fit(
        pipes.train,
        validation_data=pipes.val,
        epochs=epochs,
        steps_per_epoch=pipes.steps_per_epoch,  # as the trainer calls it
        callbacks=[timer, *callbacks],
        verbose=0,
        shuffle=False,
    )
    assert loaded.x_val.shape[0] > 0  # the test split, kept like the seed keeps x_test
    return {"encode": encode, "epochs": timer.seconds, "history": history.history, "baseline_bytes": baseline}


def child(side: str, workdir: Path, epochs: int) -> None:
    """Run one side and write its numbers, with this process's peak memory, as JSON."""
    result = run_seed(workdir, epochs) if side == "seed" else run_tuitrain(workdir, epochs)
    result["peak_bytes"] = _baseline_bytes()
    (workdir / f"{side}.json").write_text(json.dumps(result))


# ---------------------------------------------------------------- report (parent)


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def main() -> None:
    """Make the data, run both sides one after the other, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="5,000 reviews, 2,000 words: a quick run")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per side (default 6)")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.epochs)
        return

    n, vocab = (5_000, 2_000) if args.small else (25_000, 10_000)
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory(prefix="imdb-bench-") as tmp:
        workdir = Path(tmp)
        print(f"making {n:,} + {n:,} synthetic reviews over {vocab:,} words ...", flush=True)
        train, test = make_reviews(n, vocab, rng), make_reviews(n, vocab, rng)
        distinct = np.array([len(r) for r in train])
        print(f"distinct words per review: {distinct.min()}-{distinct.max()} (mean {distinct.mean():.0f})")
        (workdir / "data").mkdir()
        np.savez(
            workdir / "data" / "imdb.npz",
            x_train=_object_array(train),
            y_train=make_labels(train, vocab, rng),
            x_test=_object_array(test),
            y_test=make_labels(test, vocab, rng),
        )
        del train, test
        weights = initial_weights(vocab, rng)
        np.savez(workdir / "weights.npz", vocab=vocab, **{f"w{i}": w for i, w in enumerate(weights)})
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        results = {}
        for side in ("seed", "tuitrain"):
            print(f"running {side} ...", flush=True)
            cmd = [sys.executable, __file__, "--epochs", str(args.epochs), "--child", side, str(workdir)]
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            results[side] = json.loads((workdir / f"{side}.json").read_text())

    seed, ours = results["seed"], results["tuitrain"]

    def per_epoch(r: dict) -> float:
        later = r["epochs"][1:] or r["epochs"]
        return statistics.median(later)

    seed_extra = seed["peak_bytes"] - seed["baseline_bytes"]
    ours_extra = ours["peak_bytes"] - ours["baseline_bytes"]
    rows = [
        ("load + encode (s)", f"{seed['encode']:.2f}", f"{ours['encode']:.3f}", seed["encode"] / ours["encode"]),
        (
            "s per epoch (median after the 1st)",
            f"{per_epoch(seed):.3f}",
            f"{per_epoch(ours):.3f}",
            per_epoch(seed) / per_epoch(ours),
        ),
        ("peak memory", _gb(seed["peak_bytes"]), _gb(ours["peak_bytes"]), seed["peak_bytes"] / ours["peak_bytes"]),
        ("  of it after importing TensorFlow", _gb(seed_extra), _gb(ours_extra), seed_extra / ours_extra),
    ]
    print()
    print(f"{'':36} {'seed':>10} {'tuitrain':>10} {'seed/tuitrain':>14}")
    for name, a, b, ratio in rows:
        print(f"{name:36} {a:>10} {b:>10} {ratio:>13.1f}x")
    print(f"{'epoch seconds':36} seed: {' '.join(f'{t:.2f}' for t in seed['epochs'])}")
    print(f"{'':36} tuitrain: {' '.join(f'{t:.3f}' for t in ours['epochs'])}")
    print()
    print("validation curves (val_loss / val_accuracy per epoch):")
    print(f"{'epoch':>5} {'seed':>17} {'tuitrain':>17}")
    hs, ht = seed["history"], ours["history"]
    for i in range(len(hs["val_loss"])):
        print(
            f"{i + 1:>5} {hs['val_loss'][i]:8.4f} / {hs['val_accuracy'][i]:.4f} "
            f"{ht['val_loss'][i]:8.4f} / {ht['val_accuracy'][i]:.4f}"
        )
    diff_loss = max(abs(a - b) for a, b in zip(hs["val_loss"], ht["val_loss"], strict=True))
    diff_acc = max(abs(a - b) for a, b in zip(hs["val_accuracy"], ht["val_accuracy"], strict=True))
    print(f"largest difference: val_loss {diff_loss:.4f}, val_accuracy {diff_acc:.4f} (different shuffles)")
    best_s = int(np.argmin(hs["val_loss"])) + 1
    best_t = int(np.argmin(ht["val_loss"])) + 1
    print(f"best val_loss at epoch {best_s} (seed) and {best_t} (tuitrain)")
    print(
        f"goals: >= 10x epoch speed (aim 20x): {per_epoch(seed) / per_epoch(ours):.1f}x; "
        f"<= 1/10 of the memory: 1/{seed['peak_bytes'] / ours['peak_bytes']:.1f}"
    )


if __name__ == "__main__":
    main()
