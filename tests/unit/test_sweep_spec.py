"""The sweep spec, its search-space paths against the base experiment, and each trial's experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tuitrain.sweep.resolve import applies, resolve_sweep, trial_experiment
from tuitrain.sweep.spec import (
    SweepError,
    find_sweep,
    list_sweep_presets,
    parse_space_option,
    read_sweep_file,
    space_from_options,
    sweep_from_data,
    to_toml,
)

REPO = Path(__file__).resolve().parents[2]
BUILTIN_SWEEPS = sorted(p.stem for p in (REPO / "presets" / "sweeps").glob("*.toml"))
LR = {"dist": "log_uniform", "low": 1e-4, "high": 1.0}


def _sweep(space: dict[str, Any], base: Any = "digits-mlp", **fields: Any) -> Any:
    return resolve_sweep(sweep_from_data({"name": "t", "base": base, "space": space, **fields}))


def _error(space: dict[str, Any], **fields: Any) -> str:
    with pytest.raises(SweepError) as err:
        _sweep(space, **fields)
    text = str(err.value)
    assert "Traceback" not in text
    return text


# ---------------------------------------------------------------- paths


def test_a_path_not_in_the_experiment_names_the_closest_valid_path() -> None:
    text = _error({"optimizer.learnig_rate": LR})
    assert text == (
        '<sweep>: space."optimizer.learnig_rate": not a field of the base experiment: '
        "the closest valid path is 'optimizer.learning_rate'"
    )
    assert "'model.layers[0].units'" in _error({"model.layers[0].unit": {"dist": "log_int", "low": 8, "high": 64}})
    # A list item the base does not have.
    assert "'model.layers[0].units'" in _error({"model.layers[4].units": {"dist": "log_int", "low": 8, "high": 64}})


def test_a_field_of_another_optimizer_is_not_a_path_of_this_base() -> None:
    # digits-mlp trains with adam: rho belongs to rmsprop.
    text = _error({"optimizer.rho": {"dist": "reverse_log", "low": 0.8, "high": 0.99}})
    assert "not a field of the base experiment" in text


def test_paths_that_default_to_empty_are_valid() -> None:
    sweep = _sweep({"optimizer.clipnorm": {"dist": "log_uniform", "low": 0.1, "high": 10.0}})
    assert [p.name for p in sweep.params] == ["optimizer.clipnorm"]


def test_a_malformed_path_is_one_line() -> None:
    text = _error({"optimizer..learning_rate": LR})
    assert text.startswith('<sweep>: space."optimizer..learning_rate": not a --set path')
    assert len(text.splitlines()) == 1


# ---------------------------------------------------------------- ranges against the field's bounds


def test_a_range_outside_the_fields_bounds_is_an_error_at_the_range() -> None:
    text = _error({"model.layers[1].rate": {"dist": "uniform", "low": 0.0, "high": 1.5}})
    assert text == '<sweep>: space."model.layers[1].rate".high: dropout rate must be in [0, 1), got 1.5'
    text = _error({"training.epochs": {"dist": "int", "low": 0, "high": 5}})
    assert text == '<sweep>: space."training.epochs".low: must be >= 1, got 0'


def test_a_float_range_on_a_whole_number_field_says_which_distribution_fits() -> None:
    text = _error({"model.layers[0].units": {"dist": "uniform", "low": 16, "high": 512}})
    assert 'space."model.layers[0].units".low: must be a whole number, got 16.0' in text
    assert 'use dist = "int" or "log_int"' in text


def test_every_choice_value_is_checked() -> None:
    text = _error({"optimizer": {"dist": "choice", "values": [{"name": "adam"}, {"name": "sgdd"}]}})
    assert text.startswith("<sweep>: space.optimizer.values[1]: unknown name 'sgdd'")
    assert "did you mean 'sgd'?" in text


def test_the_objective_must_be_logged() -> None:
    text = _error({"optimizer.learning_rate": LR}, objective={"metric": "val_acc"})
    assert "objective.metric: 'val_acc' is not logged by the trials" in text
    assert "did you mean 'val_accuracy'?" in text


def test_the_base_is_checked_like_a_preset() -> None:
    text = _error({"optimizer.learning_rate": LR}, set=["training.epochs=0"])
    assert "training.epochs: must be >= 1, got 0" in text
    with pytest.raises(SweepError) as err:
        _sweep({"optimizer.learning_rate": LR}, base="no-such-preset")
    assert "no preset of that name" in str(err.value)


def test_an_inline_base_and_a_base_file_next_to_the_sweep(tmp_path: Path) -> None:
    inline = _sweep({"optimizer.learning_rate": LR}, base={"name": "mine", "dataset": {"name": "digits"}})
    assert inline.base.name == "mine"
    (tmp_path / "base.toml").write_text('name = "b"\n[dataset]\nname = "digits"\n')
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        'name = "s"\nbase = "base.toml"\n[space]\n'
        '"optimizer.learning_rate" = {dist = "log_uniform", low = 1e-4, high = 1.0}\n'
    )
    resolved = resolve_sweep(read_sweep_file(sweep_file), str(sweep_file), tmp_path)
    assert resolved.base.name == "b"
    # The resolved spec inlines the base: the sweep folder no longer depends on the file.
    assert isinstance(resolved.spec.base, dict) and resolved.spec.base["name"] == "b"
    again = resolve_sweep(sweep_from_data(dict(__import__("tomllib").loads(to_toml(resolved.spec)))))
    assert again.base == resolved.base


# ---------------------------------------------------------------- sections and conditional fields


def test_a_field_inside_a_section_choice_is_drawn_only_where_the_section_has_it() -> None:
    sweep = _sweep(
        {
            "optimizer.momentum": {"dist": "uniform", "low": 0.0, "high": 0.99},
            "optimizer": {"dist": "choice", "values": [{"name": "sgd"}, {"name": "adam"}]},
            "optimizer.learning_rate": LR,
        }
    )
    # The section first (its fields are drawn into it), then the spec's order.
    assert [p.name for p in sweep.params] == ["optimizer", "optimizer.momentum", "optimizer.learning_rate"]
    momentum = sweep.params[1]
    assert applies(sweep, momentum, {**sweep.base_data, "optimizer": {"name": "sgd"}})
    assert not applies(sweep, momentum, {**sweep.base_data, "optimizer": {"name": "adam"}})
    made = trial_experiment(sweep, {"optimizer": {"name": "adam"}, "optimizer.learning_rate": 0.01}, "t0000-t")
    assert made.experiment is not None and made.experiment.optimizer.name == "adam"
    assert made.experiment.optimizer.learning_rate == 0.01


# ---------------------------------------------------------------- trials


def test_a_sampled_experiment_that_does_not_validate_is_an_invalid_trial_with_one_line() -> None:
    sweep = _sweep({"loss": {"dist": "choice", "values": ["sparse_categorical_crossentropy", "binary_crossentropy"]}})
    good = trial_experiment(sweep, {"loss": "sparse_categorical_crossentropy"}, "t0000-t")
    assert good.experiment is not None and good.experiment.name == "t0000-t" and good.invalid is None
    bad = trial_experiment(sweep, {"loss": "binary_crossentropy"}, "t0001-t")
    assert bad.experiment is None
    assert bad.invalid is not None and "binary" in bad.invalid and "\n" not in bad.invalid


def test_values_are_applied_by_their_set_paths() -> None:
    sweep = _sweep({"optimizer.learning_rate": LR, "model.layers[0].units": {"dist": "log_int", "low": 8, "high": 64}})
    made = trial_experiment(sweep, {"optimizer.learning_rate": 0.0123, "model.layers[0].units": 32}, "t0002-t")
    exp = made.experiment
    assert exp is not None
    assert exp.optimizer.learning_rate == 0.0123 and exp.model.layers[0].units == 32
    assert exp.model.layers[1] == sweep.base.model.layers[1]


# ---------------------------------------------------------------- the file and --space


def test_unknown_keys_suggest_the_sweeps_own_names() -> None:
    with pytest.raises(SweepError) as err:
        sweep_from_data(
            {
                "name": "x",
                "base": "digits-mlp",
                "trails": 3,
                "pruner": {"kind": "median", "warmup": 2},
                "space": {"a.b": {"dist": "int", "low": 1, "high": 4, "hi": 3}, "c": {"low": 1}},
            }
        )
    lines = str(err.value).splitlines()
    assert "<sweep>: trails: unknown field (did you mean 'trials'?)" in lines
    assert "<sweep>: pruner.warmup: unknown field (did you mean 'warmup_epochs'?)" in lines
    assert "<sweep>: space.\"a.b\".hi: unknown field (did you mean 'high'?)" in lines
    assert any(line.startswith('<sweep>: space.c: needs dist = "..."') for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "optimizer.learning_rate=log_uniform:1e-4:1",
            ("optimizer.learning_rate", {"dist": "log_uniform", "low": 0.0001, "high": 1}),
        ),
        (
            "optimizer.beta_1=reverse_log:0.9:0.999",
            ("optimizer.beta_1", {"dist": "reverse_log", "low": 0.9, "high": 0.999}),
        ),
        (
            "model.layers[0].units=log_int:16:512",
            ("model.layers[0].units", {"dist": "log_int", "low": 16, "high": 512}),
        ),
        ("optimizer.name=choice:adam,sgd", ("optimizer.name", {"dist": "choice", "values": ["adam", "sgd"]})),
        (
            'optimizer=choice:{name="sgd", learning_rate=0.01},{name="adam"}',
            ("optimizer", {"dist": "choice", "values": [{"name": "sgd", "learning_rate": 0.01}, {"name": "adam"}]}),
        ),
    ],
)
def test_space_options_parse(text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert parse_space_option(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("optimizer.learning_rate", "expected PATH=DIST:LOW:HIGH"),
        ("optimizer.learning_rate=logscale:1:2", "unknown distribution 'logscale'"),
        ("optimizer.learning_rate=log_uniform:1e-4", "log_uniform needs LOW:HIGH"),
        ("optimizer..lr=uniform:0:1", "is not a valid key"),
    ],
)
def test_bad_space_options_are_one_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        space_from_options([text])
    assert message in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- built-ins


def test_the_required_builtin_sweeps_exist_and_list_apart_from_experiment_presets() -> None:
    from tuitrain import presets

    required = {"imdb-lr", "digits-grid-vs-random", "mnist-adam-betas", "mnist-optimizers", "digits-activation-init"}
    assert required <= set(BUILTIN_SWEEPS)
    listed = {name for name, source, _p, _d in list_sweep_presets() if source == "builtin"}
    assert listed == set(BUILTIN_SWEEPS)
    assert not required & {info.name for info in presets.list_presets()}


@pytest.mark.parametrize("name", BUILTIN_SWEEPS)
def test_builtin_sweeps_resolve_and_say_what_they_show(name: str) -> None:
    path = find_sweep(name)
    assert path is not None
    spec = read_sweep_file(path)
    assert spec.name == name
    assert "Look at" in spec.description or "sweep show" in spec.description
    resolved = resolve_sweep(spec, str(path), path.parent)
    assert resolved.params


def test_a_relative_npz_path_of_the_base_is_made_absolute_for_the_sweep_folder(tmp_path: Path) -> None:
    from datafiles import write_fake_user_npz

    write_fake_user_npz(tmp_path / "data" / "mine.npz")
    (tmp_path / "base.toml").write_text('name = "b"\n[dataset]\nname = "npz"\npath = "data/mine.npz"\n')
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        'name = "s"\nbase = "base.toml"\n[space]\n"training.batch_size" = {dist = "log_int", low = 8, high = 64}\n'
    )
    resolved = resolve_sweep(read_sweep_file(sweep_file), str(sweep_file), tmp_path)
    assert resolved.spec.base["dataset"]["path"] == str((tmp_path / "data" / "mine.npz").resolve())
