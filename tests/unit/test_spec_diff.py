"""The difference of experiments: only the fields that differ, nested ones and layers included."""

from __future__ import annotations

from tuitrain.spec import Experiment
from tuitrain.spec.diff import MISSING, experiment_diff, flatten


def test_flatten_nests_tables_and_lists() -> None:
    assert flatten({"a": {"b": 1, "c": [{"u": 2}, 3]}, "e": []}) == {"a.b": 1, "a.c.0.u": 2, "a.c.1": 3, "e": []}


def test_only_differing_fields_of_real_experiments() -> None:
    base = Experiment.model_validate({"name": "a"}).model_dump(mode="json")
    other = Experiment.model_validate(
        {"name": "b", "optimizer": {"name": "sgd", "learning_rate": 0.1}, "training": {"epochs": 3}}
    ).model_dump(mode="json")
    diff = dict(experiment_diff([base, other]))
    assert diff["optimizer.name"][1] == "sgd" and diff["optimizer.name"][0] != "sgd"
    assert diff["optimizer.learning_rate"][1] == "0.1"
    assert diff["training.epochs"][1] == "3"
    assert "name" not in diff and "dataset.name" not in diff
    assert experiment_diff([base, base]) == []


def test_missing_fields_and_unreadable_experiments() -> None:
    diff = dict(experiment_diff([{"a": 1, "l": [{"u": 8}, {"u": 9}]}, {"a": 1, "l": [{"u": 8}]}, None]))
    assert diff == {"a": ["1", "1", MISSING], "l.0.u": ["8", "8", MISSING], "l.1.u": ["9", MISSING, MISSING]}
