"""The learning-rate range test, run by the trainer process in a run directory of its own.

A fresh model is built from the run's experiment exactly as for training (same data, pipeline,
initialization, seed) and trained one batch at a time while the learning rate rises exponentially
(:class:`~tuitrain.runs.lr_find.LrFindSettings`). Each batch's own loss (``train_on_batch`` resets the
loss average every call) and its debiased moving average go into the event log as ``lr_step`` events.
The test stops at the last rate, once the smoothed loss is ``stop_factor`` times its lowest, when the
loss is no longer a number, or on a stop request. Nothing is saved but the record: the model lives
only in this process, and no other run directory is read or written.

The test trains with a constant rate per batch, set on the optimizer's learning-rate variable: an
experiment with a schedule is tested with the same optimizer at constant rates (the schedule's
starting rate is what the suggestion stands for), and reduce-on-plateau plays no part.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuitrain.analysis import EmaSmoother
from tuitrain.analysis.lr_finder import analyze_lr_range
from tuitrain.engine.callbacks import TrainingOutcome
from tuitrain.engine.record import RunRecorder
from tuitrain.engine.signals import StopRequest
from tuitrain.engine.trainer import EXIT_FAILED, EXIT_OK, Prepared, failure_message, prepare, start_info
from tuitrain.runs.lr_find import LrFindSettings, read_settings
from tuitrain.spec import Experiment

LOG_EVERY = 50
"""Batches between progress lines in ``trainer.log``."""


def range_test_experiment(exp: Experiment, settings: LrFindSettings) -> Experiment:
    """The experiment as the test trains it: a constant rate starting at ``min_lr``, no plateau rule."""
    out = exp.model_copy(deep=True)
    out.optimizer.learning_rate = settings.min_lr
    out.training.reduce_lr_on_plateau.enabled = False
    return out


def batches(prep: Prepared) -> Iterator[Any]:
    """Training batches without end, epoch after epoch, each epoch in its seeded order (as in training)."""
    epoch = 0
    while True:
        for callback in prep.pipelines.callbacks:
            callback.on_epoch_begin(epoch)
        yield from prep.pipelines.train.take(prep.pipelines.steps_per_epoch)
        epoch += 1


def run(
    run_dir: Path,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    allow_download: bool = True,
    stop: StopRequest | None = None,
) -> int:
    """Run the range test of ``run_dir`` (``experiment.toml`` and ``lr_find.json`` must exist); exit code.

    Never raises for a problem of the test: every ending is recorded in the run directory.
    """
    stop = stop or StopRequest()
    recorder = RunRecorder(Path(run_dir))
    exp: Experiment | None = None
    prep: Prepared | None = None
    try:
        settings = read_settings(Path(run_dir))
        exp = range_test_experiment(recorder.read_experiment(), settings)
        recorder.log(f"tuitrain trainer pid {os.getpid()}: learning-rate range test of {exp.name}")
        prep = prepare(exp, data_dir=data_dir, allow_download=allow_download, log=recorder.log)
        info = start_info(prep)
        info.update(kind="lr_find", epochs=0)  # it counts batches (lr_step events), not epochs
        recorder.started(info)
        state, reason = _range_test(prep, settings, recorder, stop)
        recorder.finished(state, TrainingOutcome(), reason)
        return EXIT_OK
    except BaseException as exc:  # every failure is recorded; a fatal one is re-raised
        recorder.failed(failure_message(exc, exp, prep.device if prep else None), traceback.format_exc())
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return EXIT_FAILED
    finally:
        recorder.close()


def _range_test(prep: Prepared, settings: LrFindSettings, recorder: RunRecorder, stop: StopRequest) -> tuple[str, str]:
    """Train batch by batch at rising rates; return the final state and its one-line reason."""
    model = prep.built.model
    # One step per call (a sparse model runs several per call in training): each batch needs its own
    # rate and its own loss. The loss alone is computed: metrics would only cost time here.
    model.compile(optimizer=model.optimizer, loss=model.loss, steps_per_execution=1)
    smoother = EmaSmoother(settings.smoothing)
    rates: list[float] = []
    losses: list[float] = []
    lowest = math.inf
    ending = f"all {settings.steps} batches"
    state = "finished"
    for step, (x, y) in zip(range(settings.steps), batches(prep), strict=False):
        rate = settings.rate_at(step)
        model.optimizer.learning_rate.assign(rate)
        loss = float(model.train_on_batch(x, y, return_dict=True)["loss"])
        smoothed = smoother.update(loss)
        recorder.lr_step(step + 1, rate, loss, smoothed)
        rates.append(rate)
        losses.append(loss)
        if (step + 1) % LOG_EVERY == 0:
            recorder.log(f"batch {step + 1}: learning rate {rate:.3g}, loss {loss:.4g} (smoothed {smoothed:.4g})")
        if not math.isfinite(loss):
            ending = f"the loss became {'NaN' if math.isnan(loss) else 'infinite'} at {rate:.3g}"
            break
        lowest = min(lowest, smoothed)
        if step + 1 >= settings.min_steps and smoothed > settings.stop_factor * lowest:
            ending = f"the smoothed loss reached {settings.stop_factor:g}x its lowest at {rate:.3g}"
            break
        if stop.requested:
            state = "stopped"
            ending = f"stopped by {stop.signal_name or 'request'} at {rate:.3g}"
            break
    report = analyze_lr_range(rates, losses, blow_up_factor=settings.stop_factor)
    verdict = report.suggestion.source if report.suggestion else report.problem
    return state, f"range test of {len(rates)} batches, {ending}; {verdict}"
