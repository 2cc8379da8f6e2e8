"""Train one run: read its experiment, load data, build, fit with the run callback, record the outcome.

Every way a run can end is recorded: finished (all epochs, or early stopping), stopped (SIGTERM or
SIGINT: after the current batch, final model saved; a second one: at once, with the epochs trained
and the best model kept, see :mod:`tuitrain.engine.signals`), diverged (NaN/inf loss: the history and the best
model are kept, nothing is cleaned up), failed (any error: one line in the final event and the
status, the traceback in ``traceback.txt``). A trainer that dies without recording (kill -9, power
loss) is recognised by the reader as crashed.
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import tuitrain
from tuitrain.analysis import (
    StreamingAnalyzer,
    experiment_guessing,
    keras_early_stopping_arguments,
    keras_plateau_arguments,
)
from tuitrain.data import DataError, LoadedData, load_dataset
from tuitrain.engine.build import BuildError, BuiltModel, build_model
from tuitrain.engine.callbacks import RunCallback, TrainingOutcome, save_model
from tuitrain.engine.datasets import Pipelines, make_pipelines
from tuitrain.engine.device import DeviceInfo, setup_device
from tuitrain.engine.record import RunRecorder
from tuitrain.engine.signals import StopRequest
from tuitrain.engine.tensorboard import TensorBoardLog
from tuitrain.fsutil import os_error_text, remove_temporaries
from tuitrain.presets import PresetError
from tuitrain.spec import DenseLayer, Experiment, ImdbDataset
from tuitrain.spec.checks import check_experiment
from tuitrain.spec.memory import out_of_memory_advice
from tuitrain.spec.training import MAX_SEED

EXIT_OK = 0
"""Finished or stopped."""
EXIT_FAILED = 1
EXIT_DIVERGED = 3


class RunError(Exception):
    """A run that can't go on, with a one-line reason meant for the user (no traceback needed)."""


@dataclass
class Prepared:
    """Everything ``fit`` needs, made before training starts."""

    experiment: Experiment
    seed: int
    device: DeviceInfo
    data: LoadedData
    built: BuiltModel
    pipelines: Pipelines


def resolve_seed(exp: Experiment) -> int:
    """The run's seed: the spec's, or a fresh one for "random" (recorded, so the run can be repeated)."""
    seed = exp.training.seed
    return secrets.randbelow(MAX_SEED) if seed == "random" else int(seed)


def versions() -> dict[str, str]:
    """Versions that decide whether a run can be reproduced exactly."""
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "tuitrain": tuitrain.__version__,
    }


def prepare(
    exp: Experiment,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    allow_download: bool = True,
    base_dir: Path | None = None,
    log: Any = print,
) -> Prepared:
    """Set up the device and seeds, load the data, build the model and the pipelines.

    Raises DataError (a data set can't be had) or RunError (the experiment can't run as specified),
    each with a one-line message.
    """
    # Devices first: GPU options can only be set before TensorFlow touches a GPU.
    device = setup_device(exp.training.mixed_precision)
    log(device.note)
    if limit_op_threads(exp, gpu=device.kind == "gpu"):
        log("A small sparse model on the CPU: TensorFlow runs each op on one thread (faster here).")
    keras.backend.clear_session()
    seed = resolve_seed(exp)
    keras.utils.set_random_seed(seed)

    # Checked before the data is loaded: a spec Keras would refuse fails in a second, not after a download.
    check = check_experiment(exp, base_dir)
    if check.errors or check.output is None:
        raise RunError("; ".join(str(e) for e in check.errors) or "the experiment can't be checked")

    data = load_dataset(
        exp.dataset, data_dir=data_dir, allow_download=allow_download, base_dir=base_dir, progress=_download_log(log)
    )
    log(data.description)
    if check.shape is not None and data.input_dim != check.shape.input_dim:
        raise RunError(f"the data has {data.input_dim} features but the experiment expects {check.shape.input_dim}")
    built = build_model(
        exp,
        check.output,
        data.input_dim,
        sparse_features=data.features == "multi_hot",
        seed=seed,
        mixed_precision=device.mixed_precision,
    )
    pipelines = make_pipelines(
        data,
        batch_size=exp.training.batch_size,
        shuffle=exp.training.shuffle,
        seed=seed,
        label_format=built.label_format,
        output_units=built.output_units,
        sparse_input=built.sparse_input,
    )
    return Prepared(exp, seed, device, data, built, pipelines)


SMALL_SPARSE_KERNEL = 2**20
"""Largest first-layer kernel (words x units) of a model :func:`one_op_thread` applies to."""


def one_op_thread(exp: Experiment, *, gpu: bool) -> bool:
    """Whether TensorFlow should run each op on one thread: a small model on sparse (IMDB) input, on a CPU.

    Such a model's ops are small (IMDB seed: a 10,000 x 16 kernel, batches of ~90,000 nonzeros), and
    splitting each over the CPU's threads costs more than it saves: on two cores the IMDB seed's
    epochs took ~20% less time on one intra-op thread, with a 64-unit first layer ~5% less, with a
    256-unit one about the same, while a dense MNIST model with 512 units took 40% longer.
    """
    if gpu or not isinstance(exp.dataset, ImdbDataset) or not exp.model.layers:
        return False
    first = exp.model.layers[0]
    return isinstance(first, DenseLayer) and exp.dataset.num_words * first.units <= SMALL_SPARSE_KERNEL


def limit_op_threads(exp: Experiment, *, gpu: bool) -> bool:
    """Set one intra-op thread where :func:`one_op_thread` says so; must come before TensorFlow's first op.

    Returns whether it was set (not where TensorFlow already runs, e.g. a second run in one process).
    """
    if not one_op_thread(exp, gpu=gpu):
        return False
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:
        return False
    return True


def _download_log(log: Any) -> Any:
    """A download progress callback that logs at most every 10%."""
    last = [-1]

    def progress(done: int, total: int | None) -> None:
        if total:
            tenth = int(10 * done / total)
            if tenth != last[0]:
                last[0] = tenth
                log(f"downloading: {done / 1e6:.1f} of {total / 1e6:.1f} MB")

    return progress


def make_callbacks(
    prep: Prepared, recorder: Any, stop: StopRequest, best_path: Path | None, tensorboard_dir: Path | None = None
) -> tuple[RunCallback, list[keras.callbacks.Callback]]:
    """The run callback first (so it logs the learning rate an epoch used before ReduceLROnPlateau
    lowers it), then Keras' EarlyStopping and ReduceLROnPlateau when the spec enables them.

    With ``tensorboard_dir`` what the run callback records also goes to TensorBoard event files there.
    """
    exp = prep.experiment
    es = exp.early_stopping
    tensorboard = None
    if tensorboard_dir is not None:
        recorder = tensorboard = TensorBoardLog(recorder, tensorboard_dir, log=getattr(recorder, "log", print))
    run_cb = RunCallback(
        recorder,
        StreamingAnalyzer(
            es,
            exp.overfitting,
            guessing=experiment_guessing(exp, val_class_shares(prep.data), num_classes=prep.data.num_classes),
        ),
        export_model=prep.built.export,
        best_path=best_path,
        monitor=es.monitor,
        mode=es.mode,
        optimizer_name=exp.optimizer.name,
        steps_per_epoch=prep.pipelines.steps_per_epoch,
        stop=stop,
    )
    callbacks: list[keras.callbacks.Callback] = [*prep.pipelines.callbacks, run_cb]
    if es.enabled:
        callbacks.append(keras.callbacks.EarlyStopping(**keras_early_stopping_arguments(es)))
    plateau = exp.training.reduce_lr_on_plateau
    if plateau.enabled:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**keras_plateau_arguments(plateau)))
    if tensorboard is not None:
        callbacks.append(tensorboard.closing_callback())
    return run_cb, callbacks


def val_class_shares(data: LoadedData) -> list[float] | None:
    """The fraction of validation labels in each class (None without validation data): what always
    guessing the majority class scores, and the loss of predicting the balance, follow from it."""
    labels = np.asarray(data.y_val).reshape(-1)
    if labels.size == 0:
        return None
    counts = np.bincount(labels.astype(np.int64), minlength=data.num_classes)
    return [round(float(c) / labels.size, 6) for c in counts]


def start_info(prep: Prepared) -> dict[str, Any]:
    """What is known when training starts: device, versions, parameters, sizes, seed.

    The run_started event records what its schema has fields for; the trainer log gets the rest.
    """
    model = prep.built.export
    trainable = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    return {
        "experiment_name": prep.experiment.name,
        "device": prep.device.name,
        "device_kind": prep.device.kind,
        "device_note": prep.device.note,
        "mixed_precision": prep.device.mixed_precision,
        "versions": versions(),
        "params": int(model.count_params()),
        "trainable_params": trainable,
        "steps_per_epoch": prep.pipelines.steps_per_epoch,
        "validation_steps": prep.pipelines.val_steps,
        "train_size": prep.data.train_size,
        "val_size": prep.data.val_size,
        "val_class_shares": val_class_shares(prep.data),
        "batch_size": prep.experiment.training.batch_size,
        "epochs": prep.experiment.training.epochs,
        "seed": prep.seed,
        "data": prep.data.description,
        "pid": os.getpid(),
    }


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message, shortened."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def failure_message(exc: BaseException, exp: Experiment | None, device: DeviceInfo | None) -> str:
    """The one line a user sees for an error: data problems and out-of-memory come with the fix."""
    if isinstance(exc, DataError | RunError | BuildError | PresetError):
        return str(exc).splitlines()[0]
    if isinstance(exc, tf.errors.ResourceExhaustedError | MemoryError):
        on_gpu = device is not None and device.kind == "gpu"
        where = "GPU memory" if on_gpu else "memory"
        if exp is None:
            return f"out of {where}: use a smaller batch or a smaller model"
        # The estimate names the part that takes the most (the model's size, a batch's activations or
        # the data) and the change that makes it fit.
        return f"out of {where}: {out_of_memory_advice(exp, on_gpu=on_gpu)}"
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f" writing {Path(exc.filename).name}" if exc.filename else ""
        return f"{type(exc).__name__}{where}: {os_error_text(exc)}"
    return one_line(exc)


def run(
    run_dir: Path,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    allow_download: bool = True,
    stop: StopRequest | None = None,
) -> int:
    """Train the run in ``run_dir`` (its ``experiment.toml`` must exist); return the exit code.

    Never raises for a training problem: every ending is recorded in the run directory.
    """
    stop = stop or StopRequest()
    recorder = RunRecorder(Path(run_dir))
    exp: Experiment | None = None
    prep: Prepared | None = None
    run_cb: RunCallback | None = None
    stop.on_force(lambda signal_name: force_stop(recorder, run_cb, signal_name))
    try:
        exp = recorder.read_experiment()
        recorder.log(f"tuitrain trainer pid {os.getpid()}: {exp.name}")
        prep = prepare(exp, data_dir=data_dir, allow_download=allow_download, log=recorder.log)
        recorder.log(f"seed {prep.seed}; {prep.pipelines.steps_per_epoch} batches per epoch")
        recorder.started(start_info(prep))
        if stop.requested:
            recorder.finished("stopped", TrainingOutcome(), f"{_stop_reason(stop)} before training began")
            return EXIT_OK
        run_cb, callbacks = make_callbacks(prep, recorder, stop, recorder.paths.best_model, recorder.paths.tensorboard)
        prep.built.model.fit(
            prep.pipelines.train,
            validation_data=prep.pipelines.val,
            epochs=prep.experiment.training.epochs,
            # Given, Keras makes one training iterator per epoch instead of two (each instantiates the
            # pipeline's map function: ~10 ms on two cores).
            steps_per_epoch=prep.pipelines.steps_per_epoch,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # the pipeline shuffles (seeded); this only silences Keras' warning
        )
        return _finish(prep, run_cb, callbacks, recorder, stop)
    except BaseException as exc:  # every failure is recorded; a fatal one is re-raised
        if run_cb is not None:
            _keep_best(run_cb, recorder)
        message = failure_message(exc, exp, prep.device if prep else None)
        epoch = run_cb.outcome.epochs_done + 1 if run_cb is not None else None
        recorder.failed(message, traceback.format_exc(), epoch=epoch)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return EXIT_FAILED
    finally:
        if run_cb is not None:
            # Idempotent; a warm worker trains its next trial in this process, so no best-model writer
            # thread of this run may outlive it, whatever way it ended.
            _keep_best(run_cb, recorder)
        recorder.close()


def _stop_reason(stop: StopRequest) -> str:
    return f"stopped by {stop.signal_name}" if stop.signal_name else "stopped on request"


FORCED_SAVE_WAIT = 2.0
"""Seconds a forced stop lets a best model that is being saved reach the disk before the process ends."""


def force_stop(recorder: RunRecorder, run_cb: RunCallback | None, signal_name: str) -> None:
    """A second stop request: record the run as stopped now, with what was trained, without the batch.

    Runs on the stop-signal thread while training may be mid-batch; the process ends right after
    (:meth:`tuitrain.engine.signals.StopRequest.received`). A best model already being written gets
    :data:`FORCED_SAVE_WAIT` seconds; the record names the epoch best.keras holds either way.
    """
    if run_cb is not None:
        try:
            run_cb.flush_best(timeout=FORCED_SAVE_WAIT)
        except Exception as exc:  # logged: the stop is what matters now
            recorder.log(f"could not save the best model: {one_line(exc)}")
    recorder.stopped_at_once(signal_name, wait=1.0)
    recorder.log(f"stopped at once by a second {signal_name}")
    recorder.close()
    # Interrupted atomic writes of this process (a best model, history.csv) would stay behind.
    remove_temporaries(recorder.paths.root)


def _keep_best(run_cb: RunCallback, recorder: RunRecorder) -> None:
    """Write best weights still waiting in memory; a failure here must not hide the original error."""
    try:
        run_cb.finish_best()
    except Exception as exc:  # logged: the run's own error is what matters
        recorder.log(f"could not save the best model: {one_line(exc)}")


def _finish(
    prep: Prepared,
    run_cb: RunCallback,
    callbacks: list[keras.callbacks.Callback],
    recorder: RunRecorder,
    stop: StopRequest,
) -> int:
    outcome = run_cb.outcome
    run_cb.finish_best()
    if outcome.halt == "diverged":
        # No final model: its weights are NaN. The best model and the history stay as they are.
        recorder.diverged(outcome)
        return EXIT_DIVERGED
    if outcome.epochs_done > 0 or outcome.halt == "stopped":
        save_model(prep.built.export, recorder.paths.final_model)
    epochs = prep.experiment.training.epochs
    if outcome.halt == "stopped":
        where = f"during epoch {outcome.halt_epoch}" if outcome.epochs_done < (outcome.halt_epoch or 0) else ""
        reason = f"{_stop_reason(stop)} after {_epochs(outcome.epochs_done)}" + (f", {where}" if where else "")
        recorder.finished("stopped", outcome, reason)
        return EXIT_OK
    es = next((cb for cb in callbacks if isinstance(cb, keras.callbacks.EarlyStopping)), None)
    if es is not None and es.stopped_epoch > 0:
        kept = es.best_epoch + 1 if es.restore_best_weights else es.stopped_epoch + 1
        reason = f"early stopping at epoch {es.stopped_epoch + 1}, kept epoch {kept}'s weights"
    else:
        reason = f"all {_epochs(epochs)}"
    recorder.finished("finished", outcome, reason)
    return EXIT_OK


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def bench_callbacks(
    exp: Experiment, data: LoadedData, built: BuiltModel, pipes: Pipelines, run_dir: Path, tensorboard: bool = True
) -> list[Any]:
    """The callbacks a real run uses, recording into a fresh ``run_dir`` (for the benchmarks).

    ``tensorboard=False`` leaves out the TensorBoard writer (every real run has it), so a benchmark
    can tell its share.
    """
    from tuitrain.engine.record import new_bench_recorder

    recorder = new_bench_recorder(run_dir, exp)
    prep = Prepared(exp, 0, DeviceInfo("cpu", "bench", False, ""), data, built, pipes)
    board = recorder.paths.tensorboard if tensorboard else None
    _, callbacks = make_callbacks(prep, recorder, StopRequest(), recorder.paths.best_model, board)
    return callbacks
