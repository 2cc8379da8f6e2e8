"""A hyperparameter search several ways on the same machine, in one run: trials per hour and time to a good model.

    .venv/bin/python bench/sweep_bench.py                 # MNIST-shaped, 20 trials of 10 epochs, every part
    .venv/bin/python bench/sweep_bench.py --search-only   # only the search (serial loop, KerasTuner, sweeps)
    .venv/bin/python bench/sweep_bench.py --small         # every part in its smallest setting (a minute or two)
    .venv/bin/python bench/sweep_bench.py --ray-only      # only the Ray backend against the local one (~10 min)

The same search space (learning rate log-uniform 1e-5..0.3, hidden units log-int 32..512, rmsprop, one
hidden ReLU layer, batch 128) and the same number of trials, on MNIST-shaped data: the 10,000-image
subset in ``--mnist`` (Keras ``mnist.npz`` layout; default ``/work/shared/data/mnist_10k.npz`` when it
exists), else synthetic images of the same shape. The budget (``--trials``, ``--epochs``; see
``TRIALS``) gives a pruner trials to compare and hopeless ones to stop (a learning rate near 1e-5
barely moves in a few epochs; one near 0.3 is unstable), each trial tens of seconds long.

1. **serial loop**: what a user writes by hand: one Python process, ``optuna`` RandomSampler with the
   same seed, build the Keras model, ``model.fit``, ``min(val_loss)``; timed from process start
   (importing TensorFlow included, as the sweep's trainers pay theirs). Each trial is seeded as
   tuitrain's trainer seeds a run (see :func:`serial_child`).
2. **KerasTuner** ``RandomSearch`` (when ``keras_tuner`` imports; ``--skip-tuner`` leaves it out): the
   second baseline, with its own random streams.
3. **tuitrain sweep**, ``parallel = "auto"``, warm workers: without pruning, with the median rule and
   with hyperband, each pruner at the product's defaults (what ``--pruner median`` gives a user);
   timed from making the sweep folder to the controller's exit.

The serial loop and the sweeps draw the very same values trial by trial (the same Optuna sampler and
seed, the same parameter names and order) and train them from the same weights on the same batch
order, so trial n reaches the same objective on both sides (printed: how many agree within 1%).
**Time to an equally good objective**, the same for every method: the level is the worse of the
method's best and the serial loop's; each one's time is when its best so far first came within 1% of
that level; the speedup is the serial loop's time over the method's. (A pruner that stopped the trial
the serial loop's best came from is held to the level it did reach, and so is the serial loop.) Early
stopping's patience is the epoch count, so the sweep's objective (the best epoch under the
early-stopping rule) is the minimum validation loss, as the loop takes it.

Then the **cost of sweeping per trial**: the same experiment trained by ``tuitrain run``'s path
(``launcher.start_run``) and as trials of a sweep (``parallel = 1``, fresh and warm trainers), each
trial timed from its run directory's creation to its final event; and **warm against fresh**
trainers on short trials, side by side.

With Ray installed (``pip install 'tuitrain[ray]'``), the **Ray backend's cost per trial** against the
local backend: the same ``parallel = 1`` sweeps with ``[execution] backend = "ray"`` on a Ray
instance this script starts on this machine (every CPU, no dashboard), each trial timed twice: from
its run directory's creation to its trainer's ``run_started`` event (the start-up a backend adds,
free of training noise) and to its final event. The overhead per trial is the Ray sweep's mean minus
the local one's, shown against a one-minute trial (goal: under 1 s, under 5%). Then the two ways a
remote trial's events could reach the controller, per epoch event: appended to the run's
``events.jsonl`` (flush + fsync) as the trainer does on shared storage, and sent to a Ray actor that
appends it (the alternative of forwarding events through Ray).

Prints ratios against the baselines measured in the same run; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SHARED_MNIST = Path("/work/shared/data/mnist_10k.npz")
LR, UNITS = "optimizer.learning_rate", "model.layers[0].units"
SPACE = {
    LR: {"dist": "log_uniform", "low": 1e-5, "high": 0.3},
    UNITS: {"dist": "log_int", "low": 32, "high": 512},
}
TOLERANCE = 0.01
SEED = 0
"""``training.seed`` of every trial, on every side."""
TRIALS, EPOCHS = 20, 10
"""The search's budget: enough trials for a pruner to compare, each long enough that its epochs, which
pruning saves, outweigh what every trial costs anyway (building and tracing the model, saving it:
about 7 s on the shared 2-core machine, against 1.5-2 s per epoch on the MNIST subset)."""


@dataclass
class Outcome:
    """One method's search: wall seconds, trials done, and (seconds since start, objective) per trial.

    ``by_number``: each completed trial's objective by its Optuna number (the same number draws the same
    values in every method); ``pruned``: how many trials the pruner stopped.
    """

    name: str
    wall: float
    done: list[tuple[float, float | None]] = field(default_factory=list)
    by_number: dict[int, float] = field(default_factory=dict)
    pruned: int = 0

    @property
    def best(self) -> float | None:
        values = [v for _, v in self.done if v is not None and math.isfinite(v)]
        return min(values) if values else None

    @property
    def per_hour(self) -> float:
        return len(self.done) / self.wall * 3600

    def time_to(self, target: float) -> float | None:
        best = math.inf
        for at, value in sorted(self.done, key=lambda d: d[0]):
            if value is not None and value < best:
                best = value
            if best <= target * (1 + TOLERANCE):
                return at
        return None


# ---------------------------------------------------------------- data


def write_data(args: argparse.Namespace, folder: Path) -> Path:
    """An npz of flat float pixels in [0, 1]: the MNIST subset, or synthetic images of its shape."""
    rng = np.random.default_rng(0)
    if args.mnist is not None and args.mnist.is_file() and not args.small:
        raw = np.load(args.mnist)
        x_train, x_test = (raw[k].reshape(len(raw[k]), -1).astype(np.float32) / 255.0 for k in ("x_train", "x_test"))
        y_train, y_test = raw["y_train"].astype(np.int64), raw["y_test"].astype(np.int64)
        source = f"{args.mnist.name}: {len(x_train)} training / {len(x_test)} validation images"
    else:
        n_train, n_test = (600, 200) if args.small else (8000, 2000)
        protos = rng.random((10, 784), dtype=np.float32)
        y_train, y_test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
        x_train = np.clip(protos[y_train] + rng.normal(0, 0.6, (n_train, 784)), 0, 1).astype(np.float32)
        x_test = np.clip(protos[y_test] + rng.normal(0, 0.6, (n_test, 784)), 0, 1).astype(np.float32)
        source = f"synthetic MNIST-shaped: {n_train} training / {n_test} validation images"
    path = folder / "data.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"data: {source}", flush=True)
    return path


def base_experiment(data: Path, epochs: int) -> dict[str, Any]:
    """The experiment every method trains (tuitrain's spec; the baselines build the same Keras model)."""
    return {
        "name": "bench",
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "dataset": {"name": "npz", "path": str(data)},
        "model": {"layers": [{"kind": "dense", "units": 128, "activation": "relu"}]},
        "optimizer": {"name": "rmsprop", "learning_rate": 0.001},
        "training": {"epochs": epochs, "batch_size": 128, "seed": SEED},
        "early_stopping": {"patience": epochs},
    }


# ---------------------------------------------------------------- baselines (child processes)


def mlp(units: int, lr: float, seed: int | None = None) -> Any:
    """The model every method trains: Dense(units, relu), Dense(10, softmax), rmsprop at ``lr``.

    With ``seed``, each layer's Glorot initializer is seeded as tuitrain's trainer seeds it (a seed
    per layer derived from the run's seed), so the serial loop starts from the sweep's very weights.
    """
    import keras

    from tuitrain.spec.derived import derived_seed

    def glorot(layer: int) -> Any:
        return keras.initializers.GlorotUniform(None if seed is None else derived_seed(seed, layer, 0))

    layers = [
        keras.Input((784,)),
        keras.layers.Dense(units, "relu", kernel_initializer=glorot(0)),
        keras.layers.Dense(10, "softmax", kernel_initializer=glorot(1)),
    ]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.RMSprop(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit_options(d: Any, epochs: int) -> dict[str, Any]:
    """``fit`` arguments of the baselines: batch 128, validation on the test split, quiet."""
    return {"batch_size": 128, "epochs": epochs, "validation_data": (d["x_test"], d["y_test"]), "verbose": 0}


def serial_child(data: Path, trials: int, epochs: int, started: float) -> None:
    """The hand-written loop: Optuna draws, Keras trains, one trial after the other in this process.

    Each trial is seeded as tuitrain's trainer seeds a run with ``training.seed = SEED``:
    ``keras.utils.set_random_seed``, each layer's initializer seeded, and epoch ``e`` trained on the
    permutation ``numpy.random.default_rng([SEED, e])`` of the samples (tuitrain's pipeline reshuffles
    every epoch so; ``fit(shuffle=True)`` would replay one order). The same drawn values then train
    alike on both sides, up to floating-point rounding (two threads here, one per trial there), and
    "equally good" is not decided by which random stream a trial happened to get.
    """
    import keras
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    d = np.load(data)
    x, y = d["x_train"], d["y_train"]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(trials):
        trial = study.ask()
        lr = trial.suggest_float(LR, 1e-5, 0.3, log=True)
        units = trial.suggest_int(UNITS, 32, 512, log=True)
        keras.utils.set_random_seed(SEED)
        model = mlp(units, lr, SEED)
        losses = []
        for epoch in range(epochs):
            order = np.random.default_rng([SEED, epoch]).permutation(len(x))
            options = {**fit_options(d, epoch + 1), "initial_epoch": epoch, "shuffle": False}
            losses += model.fit(x[order], y[order], **options).history["val_loss"]
        values = [v for v in losses if math.isfinite(v)]
        value = min(values) if values else float("nan")
        study.tell(trial, value if values else None, state=None if values else optuna.trial.TrialState.FAIL)
        line = {"at": time.time() - started, "value": value if values else None, "number": trial.number}
        print(json.dumps(line), flush=True)
        keras.backend.clear_session()


def tuner_child(data: Path, trials: int, epochs: int, started: float, folder: Path) -> None:
    """KerasTuner's RandomSearch over the same ranges, on the same log scales."""
    import keras
    import keras_tuner as kt

    d = np.load(data)

    def build(hp: Any) -> Any:
        return mlp(hp.Int("units", 32, 512, sampling="log"), hp.Float("lr", 1e-5, 0.3, sampling="log"))

    class Report(keras.callbacks.Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            self.values: list[float] = []

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            value = (logs or {}).get("val_loss")
            if value is not None and math.isfinite(value):
                self.values.append(float(value))

        def on_train_end(self, logs: Any = None) -> None:
            best = min(self.values) if self.values else None
            print(json.dumps({"at": time.time() - started, "value": best}), flush=True)

    tuner = kt.RandomSearch(
        build, objective="val_loss", max_trials=trials, seed=0, directory=str(folder), project_name="kt", overwrite=True
    )
    tuner.search(d["x_train"], d["y_train"], callbacks=[Report()], **fit_options(d, epochs))


def run_child(name: str, args: list[str]) -> Outcome | None:
    """Run this script as a child in ``role``; its JSON lines are trials done."""
    started = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, *args, "--started", repr(started)], capture_output=True, text=True, check=False
    )
    wall = time.time() - started
    if proc.returncode != 0:
        print(f"{name}: failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}", flush=True)
        return None
    done = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    numbers = {d["number"]: d["value"] for d in done if "number" in d and d["value"] is not None}
    return _said(Outcome(name, wall, [(d["at"], d["value"]) for d in done], numbers))


def _said(outcome: Outcome) -> Outcome:
    """Print a method's result as soon as it is known (the table at the end compares them)."""
    pruned = f" ({outcome.pruned} pruned)" if outcome.pruned else ""
    # The machine may be shared: the load it ran under goes with every figure.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"  {outcome.name}: {outcome.wall:.1f} s, {len(outcome.done)} trials{pruned}, best {outcome.best} "
        f"(load average now {load})",
        flush=True,
    )
    return outcome


# ---------------------------------------------------------------- tuitrain


def run_sweep(
    name: str, base: dict[str, Any], trials: int, root: Path, *, parallel: Any = "auto", **fields: Any
) -> tuple[Outcome, Any]:
    """A tuitrain sweep over SPACE, timed from making its folder to its controller's exit."""
    from tuitrain.sweep.process import prepare_sweep, start_controller
    from tuitrain.sweep.resolve import resolve_sweep
    from tuitrain.sweep.spec import sweep_from_data
    from tuitrain.sweep.status import load_sweep

    spec = {"name": name, "base": base, "space": SPACE, "trials": trials, "parallel": parallel, "seed": 0, **fields}
    started = time.time()
    paths = prepare_sweep(resolve_sweep(sweep_from_data(spec)), root)
    code = start_controller(paths, offline=True).wait()
    wall = time.time() - started
    record = load_sweep(paths)
    if code != 0 or record.status is None:
        raise SystemExit(f"{name}: the sweep failed: see {paths.log}")
    done = [(t.ended_at - started, t.objective if t.state == "finished" else None) for t in record.trials if t.ended_at]
    numbers = {t.number: t.objective for t in record.trials if t.state == "finished" and t.objective is not None}
    pruned = sum(t.state == "pruned" for t in record.trials)
    return _said(Outcome(name, wall, done, numbers, pruned)), record


def trial_seconds(run_dir: Path) -> float:
    """From the run directory's making (its experiment.toml, written once) to its final event."""
    from tuitrain import runs

    record = runs.load_run(run_dir)
    assert record.final is not None, f"{run_dir} did not end"
    return record.final.time - (run_dir / "experiment.toml").stat().st_mtime


def start_seconds(run_dir: Path) -> float:
    """From the run directory's making to its trainer's run_started event: what starting the trial took."""
    from tuitrain import runs
    from tuitrain.runs.events import RunStarted

    started = next(e for e in runs.load_run(run_dir).events if isinstance(e, RunStarted))
    return started.time - (run_dir / "experiment.toml").stat().st_mtime


def cost_per_trial(base: dict[str, Any], root: Path, trials: int) -> dict[str, float]:
    """Mean seconds per trial: tuitrain run's path, and a parallel=1 sweep with fresh and with warm trainers."""
    from tuitrain import launcher, presets

    exp = presets.experiment_from_data({**base, "name": "single"})
    runs_seconds = []
    for _ in range(trials):
        handle = launcher.start_run(exp, root / "runs", offline=True)
        launcher.wait(handle)
        runs_seconds.append(trial_seconds(handle.run_dir))
    out = {"tuitrain run": float(np.mean(runs_seconds))}
    for workers in ("fresh", "warm"):
        _, record = run_sweep(f"cost-{workers}", base, trials, root, parallel=1, workers=workers)
        out[f"sweep, {workers} trainer"] = float(np.mean([trial_seconds(record.run_dir(t)) for t in record.trials]))
    return out


# ---------------------------------------------------------------- the Ray backend


def start_ray() -> str | None:
    """Start a Ray instance on this machine (every CPU, no dashboard); its address, or None without Ray."""
    try:
        import ray
    except ImportError:
        print("\nRay backend: Ray is not installed (pip install 'tuitrain[ray]'), left out", flush=True)
        return None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a throwaway local instance: no token in ~/.ray
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    return str(ray.get_runtime_context().gcs_address)


def ray_cost_per_trial(base: dict[str, Any], root: Path, trials: int, address: str) -> None:
    """Seconds to each trial's start and end, local and on Ray, fresh and warm; the overhead of Ray per trial.

    A slot's first trial also pays for starting the slot (a warm worker; on Ray its actor too): shown
    apart from the later trials, whose start is what every further trial of a long sweep costs.
    """
    rows: dict[str, tuple[float, float, float]] = {}
    per_hour: dict[str, float] = {}
    for backend in ("local", "ray"):
        execution = {"backend": backend, "address": address}
        for workers in ("fresh", "warm"):
            outcome, record = run_sweep(
                f"cost-{backend}-{workers}", base, trials, root, parallel=1, workers=workers, execution=execution
            )
            per_hour[f"{backend}, {workers}"] = 3600 * len(outcome.done) / outcome.wall
            dirs = [record.run_dir(t) for t in sorted(record.trials, key=lambda t: t.number)]
            starts = [start_seconds(d) for d in dirs]
            rows[f"{backend}, {workers}"] = (
                starts[0],
                float(np.mean(starts[1:])) if len(starts) > 1 else math.nan,
                float(np.mean([trial_seconds(d) for d in dirs])),
            )
    print(f"\nthe Ray backend against the local one, parallel = 1, {trials} trials each (seconds):")
    print(f"  {'backend, trainers':18} {'first to start':>14} {'later to start':>14} {'to end (mean)':>13}")
    for name, (first, later, end) in rows.items():
        print(f"  {name:18} {first:14.2f} {later:14.2f} {end:13.2f}")
    for workers in ("fresh", "warm"):
        local_rate, ray_rate = per_hour[f"local, {workers}"], per_hour[f"ray, {workers}"]
        print(
            f"  trials/hour, {workers} trainers, whole sweep (controller start to exit): local {local_rate:.0f}, "
            f"Ray {ray_rate:.0f}: ratio Ray/local {ray_rate / local_rate:.2f}",
            flush=True,
        )
    for workers in ("fresh", "warm"):
        local, on_ray = rows[f"local, {workers}"], rows[f"ray, {workers}"]
        per_trial, once = on_ray[1] - local[1], on_ray[0] - local[0]
        print(
            f"  Ray overhead, {workers} trainers: {per_trial:+.2f} s per trial = {100 * per_trial / 60:.1f}% of a "
            f"one-minute trial (goal: under 1 s, under 5%); {once:+.2f} s once per slot (its first trial); "
            f"whole trials {on_ray[2] - local[2]:+.2f} s (training noise included)",
            flush=True,
        )


ONE_MACHINE_NOTE = """\
what one machine shows and does not: Ray here is a head on this machine with its workers on these same
CPUs and one disk, so the figures above are the cost Ray adds per trial (placing a slot's actor, the
actor's calls, its trainer started under it) on top of the same trainer: the floor of a cluster's
overhead. They do not show a cluster's network latency between controller and nodes, shared storage
(NFS) writing and reading events (a remote trainer's fsync and the controller's polling of its
events.jsonl), placement across nodes or GPUs, or a node leaving mid-trial: none of that is measured
here (no multi-node cluster was available); with parallel = 1 there is no speed-up to expect either."""


def event_paths(folder: Path, events: int) -> None:
    """Per epoch event: appended to a file (the trainer on shared storage) vs sent to a Ray actor (forwarding)."""
    import ray

    line = (json.dumps({"type": "epoch_end", "epoch": 1, "logs": {f"m{i}": 0.5 for i in range(8)}}) + "\n").encode()

    class Sink:
        def __init__(self, path: str) -> None:
            self.file = open(path, "ab")  # noqa: SIM115 (open for the actor's life)

        def write(self, data: bytes) -> None:
            self.file.write(data)
            self.file.flush()
            os.fsync(self.file.fileno())

        def take(self, data: bytes) -> None:
            """Receive only: what forwarding costs before anything is written."""

    def mean_ms(call: Any) -> float:
        started = time.perf_counter()
        for _ in range(events):
            call()
        return 1000 * (time.perf_counter() - started) / events

    local = Sink(str(folder / "direct.jsonl"))
    direct = mean_ms(lambda: local.write(line))
    actor = ray.remote(num_cpus=0)(Sink).remote(str(folder / "forwarded.jsonl"))
    ray.get(actor.take.remote(line))  # the actor is up
    sent = mean_ms(lambda: ray.get(actor.take.remote(line)))
    forwarded = mean_ms(lambda: ray.get(actor.write.remote(line)))
    print(
        f"\nan epoch event ({len(line)} bytes), mean of {events}: appended to events.jsonl (flush + fsync) "
        f"{direct:.2f} ms; a Ray actor call carrying it {sent:.2f} ms; "
        f"sent to an actor that appends it {forwarded:.2f} ms",
        flush=True,
    )
    ray.kill(actor)


def ray_part(args: argparse.Namespace, base: dict[str, Any], folder: Path) -> None:
    """The Ray backend's cost per trial and the two event paths, on a Ray instance started here for them."""
    address = start_ray()
    if address is None:
        return
    import ray

    try:
        ray_cost_per_trial(base, folder, 2 if args.small else 5, address)
        event_paths(folder, 50 if args.small else 500)
        print("\n" + ONE_MACHINE_NOTE, flush=True)
    finally:
        ray.shutdown()


def search_part(args: argparse.Namespace, base: dict[str, Any], data: Path, folder: Path) -> None:
    """The same search by the serial loop, KerasTuner, and tuitrain without and with each pruner; the table."""
    common = ["--data", str(data), "--trials", str(args.trials), "--epochs", str(args.epochs)]
    serial = run_child("serial Optuna + model.fit", ["--role", "serial", *common])
    if serial is None:
        raise SystemExit("the serial baseline failed")
    outcomes = [serial]
    if not args.skip_tuner:
        try:
            import keras_tuner  # noqa: F401 (only whether it imports)
        except ImportError:
            print("KerasTuner: not installed (pip install keras-tuner), left out", flush=True)
        else:
            tuner = run_child("KerasTuner RandomSearch", ["--role", "tuner", *common, "--folder", str(folder)])
            if tuner is not None:
                outcomes.append(tuner)
    # Each pruner with the product's defaults, as a user who only names the rule gets it.
    for label, pruner in (("", "none"), (" + median pruning", "median"), (" + hyperband pruning", "hyperband")):
        outcome, _ = run_sweep(f"bench-{pruner}", base, args.trials, folder, pruner={"kind": pruner})
        outcome.name = f"tuitrain sweep, auto{label}"
        outcomes.append(outcome)
    sweeps = outcomes[-3:]
    print("\nthe same draws trained alike? each trial's objective in the sweep against the serial loop's:")
    for o in sweeps:
        both = sorted(set(o.by_number) & set(serial.by_number))
        gaps = [abs(o.by_number[n] - serial.by_number[n]) / abs(serial.by_number[n]) for n in both]
        apart = [n for n, g in zip(both, gaps, strict=True) if g > TOLERANCE]
        worst = f"{100 * max(gaps):.2f}%" if gaps else "-"
        print(
            f"  {o.name}: {len(both)} trials finished on both sides, {len(both) - len(apart)} within 1%, "
            f"largest gap {worst}" + (f"; apart: trials {apart}" if apart else ""),
            flush=True,
        )
    header = ("wall s", "trials", "pruned", "trials/h", "vs serial", "best", "level", "serial s", "to it s", "speedup")
    print("\n" + f"{'method':40} " + " ".join(f"{h:>9}" for h in header))
    for o in outcomes:
        # "Equally good": the worse of this method's best and the serial loop's, within 1%; both reach it.
        level = max(o.best, serial.best) if o.best is not None and serial.best is not None else None
        serial_to = serial.time_to(level) if level is not None else None
        to = o.time_to(level) if level is not None else None
        cells = (
            f"{o.wall:.1f}",
            str(len(o.done)),
            str(o.pruned),
            f"{o.per_hour:.0f}",
            f"{o.per_hour / serial.per_hour:.2f}x",
            "-" if o.best is None else f"{o.best:.4f}",
            "-" if level is None or o is serial else f"{level:.4f}",
            "-" if serial_to is None or o is serial else f"{serial_to:.1f}",
            "-" if to is None or o is serial else f"{to:.1f}",
            f"{serial_to / to:.2f}x" if to and serial_to and o is not serial else "-",
        )
        print(f"{o.name:40} " + " ".join(f"{c:>9}" for c in cells), flush=True)
    print(
        "  (level: the worse of the method's best val_loss and the serial loop's; serial s / to it s: seconds until "
        "each one's best so far came within 1% of that level, from its start; speedup: their ratio. Goals: a sweep "
        ">= 1.7x the serial loop's trials per hour; >= 3x to an equally good objective with pruning)",
        flush=True,
    )


# ---------------------------------------------------------------- main


def main() -> None:
    """Run every part and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--mnist", type=Path, default=SHARED_MNIST if SHARED_MNIST.is_file() else None)
    parser.add_argument("--small", action="store_true", help="2 trials of 1 epoch on 600 synthetic images")
    parser.add_argument("--skip-tuner", action="store_true", help="leave KerasTuner out")
    parser.add_argument("--skip-ray", action="store_true", help="leave the Ray backend out")
    parser.add_argument("--search-only", action="store_true", help="only the search (no cost per trial, no Ray)")
    parser.add_argument("--ray-only", action="store_true", help="only the Ray backend against the local one")
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.small:
        args.trials, args.epochs = 2, 1
    if args.role == "serial":
        serial_child(args.data, args.trials, args.epochs, args.started)
        return
    if args.role == "tuner":
        tuner_child(args.data, args.trials, args.epochs, args.started, args.folder)
        return
    from tuitrain.sweep.executor import plan_slots

    slots = plan_slots("auto", 1, args.trials)
    print(
        f"{args.trials} trials x {args.epochs} epochs; {os.cpu_count()} CPUs; tuitrain sweep parallel=auto: "
        f"{len(slots)} slots ({', '.join(s.name for s in slots)})",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        folder = Path(tmp)
        data = write_data(args, folder)
        base = base_experiment(data, args.epochs)
        if args.ray_only:
            ray_part(args, base, folder)
            return
        search_part(args, base, data, folder)
        if args.search_only:
            return
        cost_trials = 1 if args.small else 3
        cost = cost_per_trial(base, folder, cost_trials)
        print(f"\nseconds per trial (run directory made -> final event), mean of {cost_trials}:")
        for name, seconds in cost.items():
            ratio = seconds / cost["tuitrain run"]
            print(f"  {name:28} {seconds:7.2f} s  ratio {ratio:.3f} (goal for a sweep: <= 1.02)", flush=True)
        short = dict(base, training={**base["training"], "epochs": 1})
        short_trials = 2 if args.small else 8
        fresh, _ = run_sweep("short-fresh", short, short_trials, folder, workers="fresh")
        warm, _ = run_sweep("short-warm", short, short_trials, folder, workers="warm")
        print(
            f"\nshort trials ({short_trials} x 1 epoch, parallel=auto): fresh trainers {fresh.wall:.1f} s, "
            f"warm workers {warm.wall:.1f} s: ratio fresh/warm {fresh.wall / warm.wall:.2f}",
            flush=True,
        )
        if not args.skip_ray:
            ray_part(args, base, folder)


if __name__ == "__main__":
    main()
