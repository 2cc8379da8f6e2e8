"""The exported script builds exactly tuitrain's model: same layers, weights, optimizer, loss, metrics.

No training here (see ``test_export_matches.py`` for that): the script is loaded as a module, its
``build_model`` called, and everything compared with :func:`tuitrain.engine.build.build_model` for
the same experiment, over every optimizer, schedule, initializer, penalty, layer kind, loss and metric
the spec offers. Quick, so it runs on every change.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from datafiles import write_fake_user_npz

from tuitrain import presets
from tuitrain.engine.build import build_model
from tuitrain.export import render_script
from tuitrain.spec import Experiment
from tuitrain.spec.checks import check_experiment

VARIANTS = {
    "sgd-exponential": [
        'optimizer={name="sgd", momentum=0.8, nesterov=true, clipnorm=2.0, learning_rate={kind="exponential_decay", '
        "initial_learning_rate=0.1, decay_steps=30, decay_rate=0.9, staircase=true}}",
        'model.layers=[{kind="dense", units=9, activation="sigmoid", kernel_initializer="glorot_normal", '
        'kernel_regularizer={kind="l1", l1=0.01}}]',
    ],
    "adagrad-cosine-warmup": [
        'optimizer={name="adagrad", initial_accumulator_value=0.2, epsilon=1e-6, learning_rate={kind="cosine_decay", '
        "initial_learning_rate=0.001, decay_steps=100, alpha=0.05, warmup_target=0.01, warmup_steps=10}}",
        'model.layers=[{kind="dense", units=7, activation="selu", kernel_initializer="lecun_normal", '
        'activity_regularizer={kind="l1_l2", l1=0.001, l2=0.002}}, {kind="batch_norm", momentum=0.9, '
        'epsilon=0.01}, {kind="activation", activation="gelu"}, {kind="dense", units=5, '
        'kernel_initializer="lecun_uniform"}]',
    ],
    "rmsprop-restarts": [
        'optimizer={name="rmsprop", rho=0.8, momentum=0.1, centered=true, learning_rate={kind="cosine_decay_restarts", '
        "initial_learning_rate=0.01, first_decay_steps=20, t_mul=1.5, m_mul=0.9, alpha=0.01}}",
        'model.layers=[{kind="dense", units=6, activation="tanh", kernel_initializer={name="truncated_normal", '
        'stddev=0.3}, bias_initializer="ones"}]',
        'model.output={kernel_initializer="orthogonal", kernel_regularizer={kind="l2", l2=0.003}}',
    ],
    "adamw-piecewise": [
        'optimizer={name="adamw", weight_decay=0.02, beta_1=0.8, beta_2=0.99, amsgrad=true, '
        'learning_rate={kind="piecewise_constant", boundaries=[10, 20], values=[0.01, 0.005, 0.001]}}',
        'model.layers=[{kind="dense", units=8, use_bias=false, kernel_initializer={name="random_uniform", '
        'limit=0.3}}, {kind="dropout", rate=0.25}, {kind="dense", units=4, kernel_initializer={name="random_normal", '
        'stddev=0.2}, bias_initializer={name="random_normal"}}]',
        'model.kernel_regularizer={kind="l1_l2", l1=0.001, l2=0.001}',
    ],
    "nadam-categorical": [
        'optimizer={name="nadam", learning_rate=0.002, beta_1=0.85}',
        'loss="categorical_crossentropy"',
        'metrics=["accuracy", "precision", "recall", "auc", "mse", "mae"]',
        'model.kernel_initializer="he_uniform"',
    ],
    "adamax-huber": [
        'optimizer={name="adamax", learning_rate=0.004, epsilon=1e-5}',
        'loss="huber"',
        "huber_delta=0.25",
        "training.mixed_precision=true",
    ],
    "adam-mse-one-hot": ['optimizer={name="adam", amsgrad=true}', 'loss="mse"'],
    "adam-mae": ['loss="mae"', 'metrics=["mae"]'],
    "sparse-with-elementwise-metric": ['metrics=["accuracy", "auc"]'],
}


def _script_module(exp: Experiment, tmp_path: Path, base_dir: Path | None = None) -> dict[str, Any]:
    path = tmp_path / "train.py"
    path.write_text(render_script(exp, base_dir=base_dir), encoding="utf-8")
    return runpy.run_path(str(path), run_name="exported")  # not "__main__": main() does not run


def _compile_parts(model: Any) -> dict[str, Any]:
    config = model.get_compile_config()
    parts = {key: config[key] for key in ("optimizer", "loss", "metrics")}
    # Keras numbers the optimizers it names ("adam", "adam_1", ...): the name is not part of the choice.
    parts["optimizer"]["config"].pop("name")
    return parts


def _assert_same_model(exp: Experiment, tmp_path: Path, base_dir: Path | None = None) -> None:
    check = check_experiment(exp, base_dir)
    assert check.output is not None and check.shape is not None
    ns = _script_module(exp, tmp_path, base_dir)
    theirs = ns["build_model"](check.shape.input_dim)
    ours = build_model(exp, check.output, check.shape.input_dim, sparse_features=False, seed=ns["SEED"]).export

    our_layers = [layer for layer in ours.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in our_layers]
    for mine, script_layer in zip(our_layers, theirs.layers, strict=True):
        assert script_layer.get_config() == mine.get_config(), mine.name
    for mine, script_w in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(script_w, mine)
    assert _compile_parts(theirs) == _compile_parts(ours)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_exported_model_is_tuitrains_model(name: str, tmp_path: Path) -> None:
    exp = presets.load("digits-mlp", VARIANTS[name]).experiment
    _assert_same_model(exp, tmp_path)


@pytest.mark.parametrize("name", sorted(p.name for p in presets.list_presets() if p.source == "builtin"))
def test_exported_model_of_every_builtin_preset_is_tuitrains_model(name: str, tmp_path: Path) -> None:
    _assert_same_model(presets.load(name).experiment, tmp_path)


def test_exported_model_on_a_binary_npz_with_a_relative_path(tmp_path: Path) -> None:
    write_fake_user_npz(tmp_path / "data" / "two.npz", num_classes=2, features=5)
    preset = tmp_path / "mine.toml"
    preset.write_text(presets.to_toml(presets.load("digits-mlp").experiment), encoding="utf-8")
    exp = presets.load_file(
        preset, ['dataset={name="npz", path="data/two.npz"}', 'loss="binary_crossentropy"']
    ).experiment
    _assert_same_model(exp, tmp_path, base_dir=tmp_path)
