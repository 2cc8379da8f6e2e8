"""Overhead of tuitrain's trainer callbacks over a bare ``model.fit`` of the same model and data.

    python bench/overhead_bench.py [--epochs N] [--repeats 3] [--only imdb|mnist]

Two workloads, each built by the engine (same model, same tf.data pipelines, same seed):

* imdb: the seed model on IMDB-shaped multi-hot data (15,000 x 10,000 sparse, batch 512): short
  epochs (~0.1 s here), where per-epoch costs weigh most; 20 epochs, as the seed example trains;
* mnist: Dense 512 relu on MNIST-shaped dense data (60,000 x 784, batch 128): epochs of seconds; 6.

The end of a run costs the same however long it was (the best model's last save), so fewer epochs
give a higher ratio: with ``--epochs 6`` the imdb ratio measured 1.075 where 20 epochs gave 1.027.

Bare: ``model.fit(..., verbose=0)`` with only the pipeline's reshuffling callback (part of the data,
not of the recording). tuitrain: the callbacks of a real run: per-batch NaN check, stop check and
throttled progress events; per epoch the event, analysis and flags, history.csv, status.json (fsync'd)
and the best model (copied, then saved atomically by a background thread). Both run ``--repeats`` times,
alternating, in this process; the time of a run is its whole ``fit`` minus the first epoch (which
holds tracing and warm-up; the callbacks' work at its end still counts), and the best of the repeats
is compared: ratio = tuitrain / bare. On a shared or busy machine that ratio is noisy (every run is
printed), so the time spent inside tuitrain's callback hooks is measured directly too, as a share of
the whole fit (it leaves out Keras' own per-batch log conversion that any batch hook brings along).
No assertions: the goal (<= 1.03) is printed next to the result.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def imdb_data(rng: np.random.Generator):
    """15,000 training and 10,000 validation multi-hot rows over 10,000 words, 120-230 words each."""
    import scipy.sparse as sp

    from tuitrain.data import LoadedData

    def rows(n: int) -> sp.csr_matrix:
        lengths = rng.integers(120, 231, size=n)
        p = 1.0 / np.arange(1, 10_001) ** 0.9
        p /= p.sum()
        cols = [np.unique(rng.choice(10_000, size=int(k * 1.3), p=p))[:k] for k in lengths]
        indptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])])
        return sp.csr_matrix(
            (np.ones(indptr[-1], np.float32), np.concatenate(cols).astype(np.int32), indptr), shape=(n, 10_000)
        )

    x_train, x_val = rows(15_000), rows(10_000)
    w = rng.normal(size=10_000)
    y_train = (x_train @ w > 0).astype(np.int64)
    y_val = (x_val @ w > 0).astype(np.int64)
    return LoadedData(x_train, y_train, x_val, y_val, 2, 10_000, "multi_hot", None, "synthetic imdb")


def mnist_data(rng: np.random.Generator):
    """60,000 training and 10,000 validation 784-pixel rows in [0, 1], 10 classes."""
    from tuitrain.data import LoadedData

    protos = rng.random((10, 784), dtype=np.float32)
    y_train, y_val = rng.integers(0, 10, 60_000), rng.integers(0, 10, 10_000)
    x_train = np.clip(protos[y_train] + rng.normal(0, 0.3, (60_000, 784)).astype(np.float32), 0, 1)
    x_val = np.clip(protos[y_val] + rng.normal(0, 0.3, (10_000, 784)).astype(np.float32), 0, 1)
    return LoadedData(x_train, y_train, x_val, y_val, 10, 784, "dense", None, "synthetic mnist")


WORKLOADS = {
    "imdb": ("imdb-seed", [], imdb_data, 20),
    "mnist": ("mnist-mlp", [], mnist_data, 6),
}


def one_run(preset: str, overrides: list[str], data, epochs: int, with_tuitrain: bool, workdir: Path) -> float:
    """Build from scratch, fit, return the seconds of the epochs after the first."""
    import keras

    from tuitrain.engine.build import build_model
    from tuitrain.engine.datasets import make_pipelines
    from tuitrain.engine.trainer import bench_callbacks
    from tuitrain.presets import load
    from tuitrain.spec.checks import check_experiment

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    exp = load(preset, [*overrides, f"training.epochs={epochs}"]).experiment
    check = check_experiment(exp)
    keras.utils.set_random_seed(0)
    built = build_model(exp, check.output, data.input_dim, sparse_features=data.features == "multi_hot", seed=0)
    pipes = make_pipelines(
        data,
        batch_size=exp.training.batch_size,
        shuffle=True,
        seed=0,
        label_format=built.label_format,
        output_units=built.output_units,
        sparse_input=built.sparse_input,
    )
    timer = Timer()
    timer.seconds = []
    inside = [0.0]
    if with_tuitrain:
        ours = bench_callbacks(exp, data, built, pipes, workdir / f"run-{time.monotonic_ns()}")
        for cb in ours:
            if cb not in pipes.callbacks:
                _time_hooks(cb, inside)
        callbacks = [timer, *ours]
    else:
        callbacks = [timer, *pipes.callbacks]
    # The measure is the whole fit minus the first epoch as the timer (called first) sees it: every
    # other bit of the callbacks' work, including their end of epoch 1 and of training, is counted.
    start = time.perf_counter()
    built.model.fit(
        pipes.train, validation_data=pipes.val, epochs=epochs, callbacks=callbacks, verbose=0, shuffle=False
    )
    if with_tuitrain:
        # As a run ends: the newest best model still being written by the background thread lands first.
        for cb in ours:
            if hasattr(cb, "finish_best"):
                cb.finish_best()
    wall = time.perf_counter() - start
    return wall - timer.seconds[0], inside[0], wall


HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_end", "on_test_begin")


def _time_hooks(callback, total: list[float]) -> None:
    """Add the time spent in ``callback``'s hooks to ``total[0]``."""
    for name in HOOKS:
        method = getattr(callback, name)

        def timed(*args, _method=method, **kwargs):
            start = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start

        setattr(callback, name, timed)


def main() -> None:
    """Run each workload bare and with tuitrain, alternating, and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default: 20 imdb, 6 mnist)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=sorted(WORKLOADS))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="overhead-bench-") as tmp:
        for name, (preset, overrides, make, default_epochs) in WORKLOADS.items():
            if args.only and name != args.only:
                continue
            epochs = args.epochs or default_epochs
            data = make(rng)
            times: dict[bool, list[float]] = {False: [], True: []}
            share = []
            for _ in range(args.repeats):
                for with_tuitrain in (False, True):
                    seconds, inside, wall = one_run(preset, overrides, data, epochs, with_tuitrain, Path(tmp))
                    times[with_tuitrain].append(seconds)
                    if with_tuitrain:
                        share.append(inside / wall)
            bare, ours = min(times[False]), min(times[True])
            per = epochs - 1
            print(
                f"{name:6} bare {bare / per:.3f} s/epoch, tuitrain {ours / per:.3f} s/epoch: "
                f"ratio {ours / bare:.3f} (goal <= 1.03); time inside tuitrain's callbacks: "
                f"{100 * min(share):.1f}% of the fit (median {100 * sorted(share)[len(share) // 2]:.1f}%)"
            )
            print(
                f"{'':6} every run (s, epochs 2..{epochs}): bare {' '.join(f'{t:.2f}' for t in times[False])}; "
                f"tuitrain {' '.join(f'{t:.2f}' for t in times[True])}"
            )


if __name__ == "__main__":
    main()
