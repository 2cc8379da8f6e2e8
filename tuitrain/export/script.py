"""A whole exported script: header, data, the seeded batches, the model, callbacks and ``fit``.

:func:`render_script` turns a checked experiment into the text of a standalone Keras program. It never
imports TensorFlow or Keras (it writes text), so ``tuitrain export`` is as quick as the rest of the CLI.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path

import tuitrain
from tuitrain.analysis import keras_early_stopping_arguments, keras_plateau_arguments, resolve_mode
from tuitrain.export.data_code import DataCode, data_code
from tuitrain.export.model_code import layer_lines, loss_code, metrics_code, optimizer_code
from tuitrain.export.pycode import Code, call, comment, string
from tuitrain.spec import Experiment
from tuitrain.spec.checks import check_experiment, resolve
from tuitrain.spec.derived import LabelFormat, derived_seed, label_format


class ExportError(ValueError):
    """The experiment can't be exported (it does not pass its checks); the message says why."""


_BATCHES = '''
class Batches(keras.utils.PyDataset):
    """(features, labels) batches of BATCH_SIZE samples; with shuffle, every epoch in a new order.

    Epoch e takes the samples in the order np.random.default_rng([SEED, e]).permutation(n), as
    tuitrain's pipeline does, so both train on the very same batches. (Keras' fit(shuffle=True) on
    arrays draws its orders differently.)
    """

    def __init__(self, x, y, shuffle):
        super().__init__()
        self.x, self.y, self.shuffle = x, y, shuffle
        self.order = np.arange(len(y))
        self.epochs_begun = 0

    def on_epoch_begin(self):
        # Keras calls this before every epoch (and on_epoch_end also once before the first one, so
        # counting epochs there would be off by one).
        if self.shuffle and len(self.y) > 1:
            self.order = np.random.default_rng([SEED, self.epochs_begun]).permutation(len(self.y))
        self.epochs_begun += 1

    def __len__(self):
        return -(-len(self.y) // BATCH_SIZE)  # the last batch may be smaller

    def __getitem__(self, k):
        rows = self.order[k * BATCH_SIZE : (k + 1) * BATCH_SIZE]
        return {features}, self.y[rows]
'''


def render_script(
    exp: Experiment,
    *,
    base_dir: Path | None = None,
    seed: int | None = None,
    source: str = "",
) -> str:
    """The standalone Keras script that trains ``exp`` as tuitrain does.

    ``base_dir`` anchors a relative npz path (the preset's folder); ``seed`` is the seed a run actually
    used (needed when the experiment says ``seed = "random"``; without it the script draws its own);
    ``source`` says where the experiment came from, for the script's header. Raises ExportError when
    the experiment has errors.
    """
    check = check_experiment(exp, base_dir)
    if check.errors or check.output is None:
        raise ExportError("; ".join(str(e) for e in check.errors) or "the experiment can't be checked")
    exp = resolve(exp, base_dir)
    output = check.output
    labels = label_format(exp, output.units)
    data = data_code(exp, labels, output.units, base_dir)
    training = exp.training
    if seed is None and training.seed != "random":
        seed = int(training.seed)

    parts = [
        _header(exp, source, data),
        _imports(data, seed is None, training.mixed_precision),
        _constants(exp, seed, data),
        "\n\n" + inspect.getsource(derived_seed).strip() + "\n",
        *("\n\n" + fn.strip() + "\n" for fn in data.functions),
        "\n\n" + _BATCHES.replace("{features}", data.features).strip() + "\n",
        _build_model(exp, output.units, output.activation, labels),
        _main(exp, data, seed is None),
        '\n\nif __name__ == "__main__":\n    main()\n',
    ]
    return "".join(parts)


def _printable(text: str) -> str:
    """User text for a comment: one line of printable characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _header(exp: Experiment, source: str, data: DataCode) -> str:
    args = "[--data-dir DIR] " if "--data-dir" in data.argument else "[--data FILE] " if data.argument else ""
    lines = [
        "#!/usr/bin/env python3",
        f'"""Train the tuitrain experiment {_printable(exp.name)!r} with plain Keras.',
        "",
        f"Exported by tuitrain {tuitrain.__version__} on {time.strftime('%Y-%m-%d')}"
        + (f" from {_printable(source)}" if source else "")
        + ". Needs Keras 3 with the",
        "TensorFlow backend and NumPy (scikit-learn for digits), not tuitrain. With the same seed on a",
        "CPU it trains the same model on the same batches as the tuitrain run, so the losses match up",
        "to float rounding.",
        "",
        f"    python {{this file}} {args}[--out DIR]",
        "",
        "Writes best.keras (the best epoch's model), final.keras and history.csv (one row per epoch)",
        'to --out (default: the current folder)."""',
    ]
    header = "\n".join(lines).replace("{this file}", "train.py")
    if exp.description:
        header += "\n\n" + comment(_printable(exp.description))
    return header + "\n"


def _imports(data: DataCode, random_seed: bool, mixed_precision: bool) -> str:
    stdlib = ["argparse", *sorted(data.imports & {"gzip", "math"}), "os"]
    if random_seed:
        stdlib.append("random")
    lines = [f"import {name}" for name in sorted(set(stdlib))]
    lines.append("")
    lines.append("import keras")
    lines.append("import numpy as np")
    if mixed_precision:
        lines.append("import tensorflow as tf")
    if "sklearn" in data.imports:
        lines.append("from sklearn.datasets import load_digits")
        lines.append("from sklearn.model_selection import train_test_split")
    return "\n" + "\n".join(lines) + "\n"


def _constants(exp: Experiment, seed: int | None, data: DataCode) -> str:
    training = exp.training
    if seed is None:
        seed_line = 'SEED = random.randrange(2**31 - 1)  # training.seed = "random": a new run each time (printed)'
    else:
        seed_line = f"SEED = {seed}  # training.seed: the same seed gives the same run on a CPU"
    lines = [
        seed_line,
        f"EPOCHS = {training.epochs}  # passes over the training data",
        f"BATCH_SIZE = {training.batch_size}  # samples per gradient step",
        *data.constants,
    ]
    if training.mixed_precision:
        lines.append("# training.mixed_precision: float16 compute on a GPU (tensor cores); a CPU stays in float32.")
        lines.append('MIXED_PRECISION = bool(tf.config.list_physical_devices("GPU"))')
    return "\n" + "\n".join(lines) + "\n"


def _build_model(exp: Experiment, units: int, activation: str, labels: LabelFormat) -> str:
    items = layer_lines(exp, units, activation, exp.training.mixed_precision)
    optimizer, optimizer_note = optimizer_code(exp, 2)
    loss, loss_note = loss_code(exp, labels)
    lines = [
        "def build_model(input_dim):",
        '    """The layer stack, compiled. Random initializers and dropout get seeds derived from SEED."""',
        "    model = keras.Sequential(",
        "        [",
        '            keras.Input(shape=(input_dim,), name="features"),',
        "\n".join(items),
        "        ]",
        "    )",
        "    model.compile(",
        comment(optimizer_note, 2),
        f"        optimizer={optimizer},",
        comment(loss_note, 2),
        f"        loss={loss},",
        comment("Reported every epoch, on the training batches and as val_... on the validation data.", 2),
        f"        metrics={metrics_code(exp)},",
        "    )",
        "    return model",
    ]
    return "\n\n" + "\n".join(lines) + "\n"


def _main(exp: Experiment, data: DataCode, random_seed: bool) -> str:
    es = exp.early_stopping
    plateau = exp.training.reduce_lr_on_plateau
    lines = [
        "def main():",
        f"    parser = argparse.ArgumentParser(description={string(f'Train {_printable(exp.name)} with Keras.')})",
    ]
    if data.argument:
        lines.append("    " + data.argument)
    lines += [
        '    parser.add_argument("--out", default=".", help="where best.keras, final.keras, history.csv go")',
        "    args = parser.parse_args()",
        "    os.makedirs(args.out, exist_ok=True)",
        "",
    ]
    if random_seed:
        lines.append('    print(f"seed {SEED}")')
    lines.append("    # Python's, NumPy's and TensorFlow's random generators, all from SEED.")
    lines.append("    keras.utils.set_random_seed(SEED)")
    if exp.training.mixed_precision:
        lines.append("    if MIXED_PRECISION:")
        lines.append('        keras.mixed_precision.set_global_policy("mixed_float16")')
    lines.append("")
    lines += ["    " + line if line else line for line in "\n".join(data.main_lines).split("\n")]
    lines += [
        '    print(f"{len(y_train)} training and {len(y_val)} validation samples")',
        "",
        f"    model = build_model({data.input_dim})",
        "    model.summary()",
        "",
        "    callbacks = [",
    ]
    monitor_mode = resolve_mode(es.monitor, es.mode)
    if es.enabled:
        keep = "then go back to the best epoch's weights" if es.restore_best_weights else "keeping the last weights"
        lines.append(
            comment(
                f"Early stopping: stop once {es.monitor} has not improved by more than {es.min_delta:g} for "
                f"{es.patience} epochs, {keep}.",
                2,
            )
        )
        early = call("keras.callbacks.EarlyStopping", indent=2, **keras_early_stopping_arguments(es))
        lines.append(f"        {early},")
    else:
        lines.append(
            comment(
                f"Early stopping is off in this experiment (tuitrain shows where it would stop: {es.monitor}, "
                f"patience {es.patience}).",
                2,
            )
        )
    if plateau.enabled:
        lines.append(
            comment(
                f"When {plateau.monitor} stalls for {plateau.patience} epochs, multiply the learning rate by "
                f"{plateau.factor:g}.",
                2,
            )
        )
        reduce = call("keras.callbacks.ReduceLROnPlateau", indent=2, **keras_plateau_arguments(plateau))
        lines.append(f"        {reduce},")
    lines += [
        comment(f"The model of the best epoch so far by {es.monitor} (tuitrain's best.keras).", 2),
        "        "
        + call(
            "keras.callbacks.ModelCheckpoint",
            Code('os.path.join(args.out, "best.keras")'),
            indent=2,
            monitor=es.monitor,
            mode=monitor_mode,
            save_best_only=True,
        )
        + ",",
        "        # One row per epoch with every loss and metric (tuitrain's history.csv).",
        '        keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv")),',
        "    ]",
        "    model.fit(",
        "        Batches(x_train, y_train, shuffle=" + repr(exp.training.shuffle) + "),",
        "        validation_data=Batches(x_val, y_val, shuffle=False),",
        "        epochs=EPOCHS,",
        "        callbacks=callbacks,",
        "        shuffle=False,  # Batches orders the samples (seeded); Keras must not reorder the batches",
        "        verbose=2,",
        "    )",
        '    model.save(os.path.join(args.out, "final.keras"))',
        '    print(f"saved best.keras, final.keras and history.csv in {os.path.abspath(args.out)}")',
    ]
    return "\n\n" + "\n".join(lines) + "\n"
