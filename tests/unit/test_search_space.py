"""The Search tab's model: searchable fields from the spec's metadata, prefilled ranges, the draft sweep checked."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain import presets
from tuitrain.spec import Experiment
from tuitrain.sweep.space import Distribution
from tuitrain.ui.search_space import (
    SearchDraft,
    parse_number,
    parse_values,
    range_text,
    searchable_fields,
    suggested_distribution,
    sweep_name,
)

PRESETS = ["digits-overfit", "digits-mlp", "imdb-regularized", "imdb-seed", "mnist-mlp", "mnist-sgd-momentum"]


def fields_of(preset: str) -> dict[str, Any]:
    exp = presets.load(preset).experiment
    return {f.path: f for f in searchable_fields(exp.model_dump(mode="json"))}


def test_numbers_and_choices_that_change_training_are_listed() -> None:
    fields = fields_of("imdb-regularized")
    assert fields["optimizer.learning_rate"].kind == "float"
    assert fields["model.layers[0].units"].kind == "int"
    assert fields["model.layers[1].rate"].kind == "float"  # a dropout layer
    assert fields["model.kernel_regularizer.l2"].kind == "float"
    assert fields["model.layers[0].activation"].options[:2] == ("relu", "leaky_relu")
    optimizer = fields["optimizer"]
    assert optimizer.kind == "choice" and optimizer.now == "rmsprop" and "sgd" in optimizer.labels
    # Each optimizer a whole section at its defaults, carrying the current learning rate.
    sgd = optimizer.options[optimizer.labels.index("sgd")]
    assert sgd["name"] == "sgd" and sgd["learning_rate"] == 0.001 and None not in sgd.values()
    # What trials are trained on and measured by is not a hyperparameter.
    assert not any(p.startswith(("dataset", "overfitting", "name", "description", "metrics")) for p in fields)
    assert not any(p.endswith((".monitor", ".mode")) or p.startswith("model.output") for p in fields)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_prefilled_range_is_valid_and_fits_its_field(preset: str) -> None:
    exp = presets.load(preset).experiment
    base = exp.model_dump(mode="json", exclude_none=True)
    for field in searchable_fields(exp.model_dump(mode="json")):
        table = suggested_distribution(field)
        draft = SearchDraft(space={field.path: table}, settings={"name": "x", "trials": 4})
        check = draft.check(exp)
        errors = [str(i) for i in check.issues if i.severity == "error"]
        assert not errors, f"{preset}: {field.path} {table}: {errors}"
        assert check.spec is not None and check.spec.base == base


def test_the_usual_ranges() -> None:
    fields = fields_of("digits-overfit")
    got = {p: range_text(suggested_distribution(f)) for p, f in fields.items()}
    assert got["optimizer.learning_rate"] == "log_uniform 0.0001..1"
    assert got["optimizer.beta_1"] == "reverse_log 0.8..0.999"
    assert got["optimizer.beta_2"] == "reverse_log 0.99..0.9999"
    assert got["model.layers[0].units"] == "log_int 8..512"
    assert got["training.seed"] == "choice 0, 1, 2"
    assert got["model.layers[0].activation"] == "choice relu, sigmoid, tanh"
    imdb = fields_of("imdb-regularized")
    assert range_text(suggested_distribution(imdb["model.layers[1].rate"])) == "uniform 0..0.6"
    assert range_text(suggested_distribution(imdb["optimizer.rho"])).startswith("reverse_log")
    sgd = fields_of("mnist-sgd-momentum")
    assert range_text(suggested_distribution(sgd["optimizer.momentum"])) == "reverse_log 0.5..0.99"


def test_a_range_outside_the_fields_bounds_is_an_error_at_the_range() -> None:
    exp = presets.load("digits-overfit").experiment
    draft = SearchDraft(
        space={
            "optimizer.beta_1": {"dist": "uniform", "low": 0.5, "high": 1.0},
            "model.layers[0].units": {"dist": "int", "low": 0, "high": 5},
            "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": "abc"},
        },
        settings={"name": "x", "trials": 4},
    )
    check = draft.check(exp)
    assert not check.ok
    assert [str(i) for i in check.issues_for("optimizer.learning_rate")] == [
        "space.\"optimizer.learning_rate\".high: must be a number, got 'abc'"
    ]
    draft.space["optimizer.learning_rate"]["high"] = 1.0
    check = draft.check(exp)
    assert [i.message for i in check.issues_for("optimizer.beta_1")] == ["must be < 1.0, got 1.0"]
    assert [i.message for i in check.issues_for("model.layers[0].units")] == ["must be >= 1, got 0"]
    assert check.issues_for("optimizer.learning_rate") == []


def test_settings_problems_and_an_invalid_experiment() -> None:
    exp = presets.load("digits-overfit").experiment
    draft = SearchDraft(
        space={"optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1.0}},
        settings={"name": "x", "trials": 0, "objective": {"metric": "val_los"}},
    )
    paths = {i.path for i in draft.check(exp).issues}
    assert "trials" in paths
    draft.settings["trials"] = 4
    (issue,) = draft.check(exp).issues
    assert issue.path == "objective.metric" and "did you mean 'val_loss'" in issue.message
    (issue,) = draft.check(None).issues
    assert issue.path == "base" and "fix them" in issue.message
    assert SearchDraft().empty and not draft.empty


def test_a_searched_field_the_experiment_lost_is_named() -> None:
    exp = presets.load("digits-overfit").experiment
    space = {"model.layers[5].units": {"dist": "log_int", "low": 8, "high": 64}}
    draft = SearchDraft(space=space, settings={"name": "x"})
    (issue,) = draft.check(exp).issues_for("model.layers[5].units")
    assert "not a field of the base experiment" in issue.message


def test_text_becomes_numbers_where_it_can() -> None:
    assert parse_number(" 1e-4 ", whole=False) == 1e-4 and parse_number("3", whole=False) == 3.0
    assert parse_number("8", whole=True) == 8 and parse_number("8.5", whole=True) == 8.5
    assert parse_number("abc", whole=False) == "abc" and parse_number("inf", whole=False) == "inf"
    assert parse_values("16, 32,64", "int") == [16, 32, 64]
    assert sweep_name("my experiment!") == "my-experiment-search" and sweep_name("") == "experiment-search"
    assert len(sweep_name("x" * 100)) <= 64


@settings(max_examples=40, deadline=None)
@given(value=st.floats(1e-6, 1e6), kind=st.sampled_from(["float", "int"]))
def test_a_range_around_any_value_is_a_valid_distribution(value: float, kind: str) -> None:
    from pydantic import TypeAdapter

    from tuitrain.ui.search_space import Searchable

    field = Searchable("training.some_number", kind, round(value) if kind == "int" else value)  # type: ignore[arg-type]
    TypeAdapter(Distribution).validate_python(suggested_distribution(field))


def test_the_draft_inlines_the_experiment() -> None:
    exp = Experiment()
    draft = SearchDraft(space={"training.epochs": {"dist": "int", "low": 2, "high": 4}}, settings={"name": "e"})
    data = draft.sweep_data(exp.model_dump(mode="json"))
    assert data["base"]["training"]["epochs"] == exp.training.epochs and data["name"] == "e"
