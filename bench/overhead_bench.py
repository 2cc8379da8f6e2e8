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
throttled progress events; per epoch the event, analysis and flags, history.csv, status.json (fsync'd),
the best model (copied, then saved atomically by its own thread) and the TensorBoard event files
(handed to a writer thread, flushed at most once a second). Both run ``--repeats`` times, alternating,
in this process; the time of a run is its whole ``fit`` after the first epoch's end (the first holds
tracing and warm-up; the callbacks' work at its end and at training's end still counts), and the
best of the repeats is compared: ratio = tuitrain / bare, in wall time and in the process's CPU time.

On a shared or busy machine both ratios wobble by more than the budget (every run is printed), so
tuitrain's own work is also counted directly, in CPU time, which does not grow while other processes
hold the cores: the training thread's CPU inside tuitrain's callback hooks, plus the CPU of the
best-model and TensorBoard writer threads (read from /proc, Linux), per epoch, as a share of the bare
fit's CPU per epoch. That leaves out Keras' own per-batch log conversion that any batch hook brings
along, which the ratios include. No assertions: the goal (<= 3%) is printed next to the results.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
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


WORKER_THREADS = ("tuitrain-best-model", "tensorboard-writer")
"""tuitrain's background threads during training (their names in tuitrain.engine)."""


@dataclass
class Measured:
    """One fit, counted after the first epoch's end."""

    wall: float
    cpu: float
    hooks_cpu: float
    """The training thread's CPU inside tuitrain's callback hooks."""
    threads_cpu: dict[str, float]
    """Each background thread's CPU (to the last epoch's end: they end with training)."""


def one_run(preset: str, overrides: list[str], data, epochs: int, with_tuitrain: bool, workdir: Path) -> Measured:
    """Build from scratch, fit, and measure the fit after its first epoch."""
    import keras

    from tuitrain.engine.build import build_model
    from tuitrain.engine.datasets import make_pipelines
    from tuitrain.engine.trainer import bench_callbacks
    from tuitrain.presets import load
    from tuitrain.spec.checks import check_experiment

    hooks = [0.0]

    class Timer(keras.callbacks.Callback):
        """Called first: the clocks at the first epoch's end, the threads' CPU at every epoch's end."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.first = (time.perf_counter(), time.process_time(), hooks[0])
                self.threads_first = {name: thread_cpu(name) for name in WORKER_THREADS}
            self.threads_last = {name: thread_cpu(name) for name in WORKER_THREADS}

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
    ours = []
    if with_tuitrain:
        ours = bench_callbacks(exp, data, built, pipes, workdir / f"run-{time.monotonic_ns()}")
        for cb in ours:
            if cb not in pipes.callbacks:
                _time_hooks(cb, hooks)
    callbacks = [timer, *ours] if with_tuitrain else [timer, *pipes.callbacks]
    built.model.fit(
        pipes.train, validation_data=pipes.val, epochs=epochs, callbacks=callbacks, verbose=0, shuffle=False
    )
    # As a run ends: the newest best model still being written by the background thread lands first.
    for cb in ours:
        if hasattr(cb, "finish_best"):
            cb.finish_best()
    wall, cpu, hooks_then = timer.first
    threads = {name: timer.threads_last[name] - timer.threads_first[name] for name in WORKER_THREADS}
    return Measured(time.perf_counter() - wall, time.process_time() - cpu, hooks[0] - hooks_then, threads)


def thread_cpu(name: str) -> float:
    """CPU seconds used so far by this process's live threads called ``name`` (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for thread in threading.enumerate():
        if thread.name != name or thread.native_id is None:
            continue
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_end", "on_test_begin")


def _time_hooks(callback, total: list[float]) -> None:
    """Add the training thread's CPU time spent in ``callback``'s hooks to ``total[0]``."""
    for name in HOOKS:
        method = getattr(callback, name)

        def timed(*args, _method=method, **kwargs):
            start = time.thread_time()
            try:
                return _method(*args, **kwargs)
            finally:
                total[0] += time.thread_time() - start

        setattr(callback, name, timed)


def main() -> None:
    """Run each workload bare and with tuitrain, alternating, and print the ratios and tuitrain's CPU share."""
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
            runs: dict[bool, list[Measured]] = {False: [], True: []}
            for _ in range(args.repeats):
                for with_tuitrain in (False, True):
                    runs[with_tuitrain].append(one_run(preset, overrides, data, epochs, with_tuitrain, Path(tmp)))
            per = epochs - 1
            bare, ours = runs[False], runs[True]
            bare_wall, ours_wall = min(m.wall for m in bare), min(m.wall for m in ours)
            bare_cpu, ours_cpu = min(m.cpu for m in bare), min(m.cpu for m in ours)
            print(
                f"{name:6} bare {bare_wall / per:.3f} s/epoch, tuitrain {ours_wall / per:.3f} s/epoch: wall ratio "
                f"{ours_wall / bare_wall:.3f}, CPU ratio {ours_cpu / bare_cpu:.3f} (load {os.getloadavg()[0]:.1f})"
            )
            # tuitrain's own CPU per epoch, each part the median of the repeats (epochs 2..N; the threads
            # to the last epoch's end, so over one epoch fewer).
            hooks = statistics.median(m.hooks_cpu for m in ours) / per
            threads = {t: statistics.median(m.threads_cpu[t] for m in ours) / max(1, per - 1) for t in WORKER_THREADS}
            own = hooks + sum(threads.values())
            parts = ", ".join(f"{t} {1000 * c:.1f} ms" for t, c in threads.items())
            print(
                f"{'':6} tuitrain's own CPU per epoch: {1000 * own:.1f} ms = {100 * own * per / bare_cpu:.1f}% of "
                f"a bare epoch's CPU (goal <= 3%): callback hooks {1000 * hooks:.1f} ms, {parts}"
            )
            for label, measured in (("bare", bare), ("tuitrain", ours)):
                print(
                    f"{'':6} every {label} run (s, epochs 2..{epochs}): wall "
                    f"{' '.join(f'{m.wall:.2f}' for m in measured)}; CPU {' '.join(f'{m.cpu:.2f}' for m in measured)}"
                )


if __name__ == "__main__":
    main()
