"""HParams summaries of a sweep, read back through TensorBoard's own HParams backend.

The backend (the code behind TensorBoard's HParams tab) answers "what is the search space" and "which
trials are there, with which values and results" from the files, exactly as in a browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tensorboard.plugins.hparams import api_pb2
from tensorboard_view import hparams_view, proto_value

from tuitrain.hparams import write_hparams_config, write_trial_hparams

SPACE = {
    "optimizer.learning_rate": (1e-4, 0.1),
    "model.layers[0].units": [16, 32, 64],
    "optimizer.name": ["adam", "sgd"],
}


def test_sweep_space_and_trials_show_in_tensorboards_hparams_view(tmp_path: Path) -> None:
    write_hparams_config(tmp_path, SPACE, ["best_val_loss", "validation/epoch_loss"])
    trials = [(0.001, 16, "adam", 0.31), (0.02, 64, "sgd", 0.27), (0.05, 32, "sgd", float("nan"))]
    for i, (lr, units, name, loss) in enumerate(trials):
        params = {"optimizer.learning_rate": lr, "model.layers[0].units": units, "optimizer.name": name}
        write_trial_hparams(tmp_path / "trials" / f"trial-{i}", f"trial-{i}", params, {"best_val_loss": loss}, step=4)

    experiment, groups = hparams_view(tmp_path)
    infos = {info.name: info for info in experiment.hparam_infos}
    lr = infos["optimizer.learning_rate"].domain_interval
    assert (lr.min_value, lr.max_value) == (1e-4, 0.1)
    assert [proto_value(v) for v in infos["model.layers[0].units"].domain_discrete.values] == [16, 32, 64]
    assert [proto_value(v) for v in infos["optimizer.name"].domain_discrete.values] == ["adam", "sgd"]
    assert [(m.name.group, m.name.tag) for m in experiment.metric_infos] == [
        ("", "best_val_loss"),
        ("validation", "epoch_loss"),
    ]

    by_name = {g.name: g for g in groups.session_groups}
    assert set(by_name) == {"trial-0", "trial-1", "trial-2"}
    second = by_name["trial-1"]
    assert {k: proto_value(v) for k, v in second.hparams.items()} == {
        "optimizer.learning_rate": 0.02,
        "model.layers[0].units": 64,
        "optimizer.name": "sgd",
    }
    (metric,) = [m for m in second.metric_values if m.name.tag == "best_val_loss"]
    assert metric.value == pytest.approx(0.27) and metric.training_step == 4
    assert second.sessions[0].name == "trials/trial-1/tensorboard"
    # A diverged trial has no objective: no NaN in the table.
    assert not [m for m in by_name["trial-2"].metric_values if m.name.tag == "best_val_loss"]


def test_two_writes_in_one_second_keep_both(tmp_path: Path) -> None:
    for i in range(2):
        write_trial_hparams(tmp_path / "t", "t", {"x": float(i)}, {"r": float(i)}, now=1000.0)
    assert len(list((tmp_path / "t" / "tensorboard").iterdir())) == 2


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"x": (2.0, 1.0)}, "low > high"),
        ({"x": []}, "no values"),
    ],
)
def test_a_bad_domain_is_refused_with_its_name(space: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"hyperparameter x: .*{message}"):
        write_hparams_config(tmp_path, space, ["best_val_loss"])


def test_a_value_tensorboard_cannot_show_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="hyperparameter x"):
        write_trial_hparams(tmp_path, "t", {"x": [1, 2]}, {})  # type: ignore[dict-item]


def test_writing_hparams_never_imports_tensorflow(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from tuitrain.hparams import write_hparams_config, write_trial_hparams\n"
        f"write_hparams_config(Path({str(tmp_path)!r}), {{'lr': (0.1, 1.0)}}, ['best_val_loss'])\n"
        f"write_trial_hparams(Path({str(tmp_path)!r}) / 't', 't', {{'lr': 0.5}}, {{'best_val_loss': 0.3}})\n"
        "print(json.dumps('tensorflow' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False


def test_the_sweep_controllers_writes_show_its_space_trials_and_objectives(tmp_path: Path) -> None:
    """What the controller writes (tuitrain.sweep.hparams_log) for each kind of distribution, read back."""
    from tuitrain.sweep.hparams_log import write_space, write_trial_result, write_trial_start
    from tuitrain.sweep.resolve import resolve_sweep
    from tuitrain.sweep.spec import sweep_from_data

    sweep = resolve_sweep(
        sweep_from_data(
            {
                "name": "hp",
                "base": "digits-mlp",
                "space": {
                    "optimizer": {"dist": "choice", "values": [{"name": "sgd"}, {"name": "adam"}]},
                    "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1e-1},
                    "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 64},
                    "model.layers[0].activation": {"dist": "choice", "values": ["relu", "tanh"]},
                    "training.batch_size": {"dist": "choice", "values": [32, 64]},
                    "early_stopping.min_delta": {"dist": "uniform", "low": 0, "high": 1},
                },
            }
        )
    )
    assert write_space(tmp_path, sweep) is not None
    assert write_space(tmp_path, sweep) is None  # a resumed sweep: the space is there already
    assert len(list((tmp_path / "tensorboard").iterdir())) == 1
    trials = [
        ({"name": "adam"}, 0.003, 16, "tanh", 64, 0.5, (0.25, 3)),
        ({"name": "sgd"}, 0.05, 64, "relu", 32, 0.125, None),  # ended without an objective: no result
    ]
    for i, (opt, lr, units, act, batch, rate, result) in enumerate(trials):
        run_dir = tmp_path / "trials" / f"t{i}"
        values = {
            "optimizer": opt,
            "optimizer.learning_rate": lr,
            "model.layers[0].units": units,
            "model.layers[0].activation": act,
            "training.batch_size": batch,
            "early_stopping.min_delta": rate,
        }
        write_trial_start(run_dir, sweep, values)
        if result is not None:
            write_trial_result(run_dir, "val_loss", result[0], result[1])

    experiment, groups = hparams_view(tmp_path)
    infos = {info.name: info for info in experiment.hparam_infos}
    # (TensorBoard lists a choice's values sorted.)
    assert [proto_value(v) for v in infos["optimizer"].domain_discrete.values] == ['{name = "adam"}', '{name = "sgd"}']
    assert [proto_value(v) for v in infos["model.layers[0].activation"].domain_discrete.values] == ["relu", "tanh"]
    assert [proto_value(v) for v in infos["training.batch_size"].domain_discrete.values] == [32, 64]
    for name, bounds in [("optimizer.learning_rate", (1e-4, 0.1)), ("early_stopping.min_delta", (0.0, 1.0))]:
        interval = infos[name].domain_interval
        assert (interval.min_value, interval.max_value) == bounds and infos[name].type == api_pb2.DATA_TYPE_FLOAT64
    assert (infos["model.layers[0].units"].domain_interval.max_value, infos["model.layers[0].units"].type) == (
        64,
        api_pb2.DATA_TYPE_FLOAT64,
    )
    assert [(m.name.group, m.name.tag) for m in experiment.metric_infos] == [
        ("", "best_val_loss"),
        ("validation", "epoch_loss"),
    ]
    by_name = {g.name: g for g in groups.session_groups}
    assert set(by_name) == {"t0", "t1"}
    assert {k: proto_value(v) for k, v in by_name["t0"].hparams.items()} == {
        "optimizer": '{name = "adam"}',
        "optimizer.learning_rate": 0.003,
        "model.layers[0].units": 16,
        "model.layers[0].activation": "tanh",
        "training.batch_size": 64,
        "early_stopping.min_delta": 0.5,
    }
    ((metric,),) = [[m for m in by_name["t0"].metric_values if m.name.tag == "best_val_loss"]]
    assert (metric.value, metric.training_step) == (0.25, 3)
    assert not [m for m in by_name["t1"].metric_values if m.name.tag == "best_val_loss"]
