"""Each distribution samples on its own scale (through Optuna's samplers) and grids space values on it."""

from __future__ import annotations

import itertools
import math
import tomllib
from collections import Counter
from typing import Any

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.sweep.resolve import resolve_sweep
from tuitrain.sweep.space import Choice, IntUniform, LogInt, LogUniform, ReverseLog, Uniform, toml_inline
from tuitrain.sweep.spec import sweep_from_data
from tuitrain.sweep.study import draw, grid_space, make_sampler

DRAWS = 2000


def _draws(dist: dict[str, Any], n: int = DRAWS, seed: int = 0, path: str = "optimizer.learning_rate") -> list[Any]:
    """``n`` values drawn for ``path`` the way the controller draws them: Optuna's RandomSampler, suggest_*."""
    spec = sweep_from_data(
        {
            "name": "scales",
            "base": "digits-mlp",
            "set": ['optimizer={name="adam"}'],
            "space": {path: dist},
            "seed": seed,
        }
    )
    sweep = resolve_sweep(spec)
    study = optuna.create_study(sampler=make_sampler(sweep))
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append(draw(trial, sweep).values[path])
        study.tell(trial, 0.0)
    return out


def _assert_even(counts: list[int], n: int) -> None:
    """Each bin within 5 standard deviations of an even share (a real bias fails by far more)."""
    share = n / len(counts)
    sigma = math.sqrt(share * (1 - 1 / len(counts)))
    assert all(abs(c - share) < 5 * sigma for c in counts), (counts, share)


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(low=st.integers(-6, -1), decades=st.integers(2, 4), seed=st.integers(0, 10_000))
def test_log_uniform_spends_equal_trials_per_decade(low: int, decades: int, seed: int) -> None:
    values = _draws({"dist": "log_uniform", "low": 10.0**low, "high": 10.0 ** (low + decades)}, seed=seed)
    assert all(10.0**low <= v <= 10.0 ** (low + decades) for v in values)
    per_decade = Counter(min(decades - 1, math.floor(math.log10(v) - low + 1e-12)) for v in values)
    _assert_even([per_decade[d] for d in range(decades)], len(values))


def test_uniform_would_put_nine_tenths_of_a_learning_rate_search_in_the_top_decade() -> None:
    # The reason rates are drawn log-uniformly: uniform on 1e-4..1 spends ~90% of its trials in 0.1..1.
    values = _draws({"dist": "uniform", "low": 1e-4, "high": 1.0})
    top = sum(v >= 0.1 for v in values) / len(values)
    assert 0.87 < top < 0.93
    logs = _draws({"dist": "log_uniform", "low": 1e-4, "high": 1.0})
    assert 0.2 < sum(v >= 0.1 for v in logs) / len(logs) < 0.3


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(start=st.integers(1, 2), decades=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_reverse_log_spends_equal_trials_per_decade_of_one_minus_x(start: int, decades: int, seed: int) -> None:
    # start=1, decades=2: beta from 0.9 to 0.999, i.e. 1 - beta from 1e-1 down to 1e-3.
    low, high = 1 - 10.0**-start, 1 - 10.0 ** -(start + decades)
    values = _draws({"dist": "reverse_log", "low": low, "high": high}, seed=seed, path="optimizer.beta_1")
    assert all(low <= v <= high < 1 for v in values)
    per_decade = Counter(min(decades - 1, math.floor(-math.log10(1 - v) - start + 1e-9)) for v in values)
    counts = [per_decade[d] for d in range(decades)]
    if decades > 1:
        _assert_even(counts, len(values))
    # A uniform draw would put (0.99 - 0.9) / (0.999 - 0.9) = 91% of beta in its first decade.
    if (start, decades) == (1, 2):
        assert counts[0] / len(values) < 0.6


def test_log_int_spends_equal_trials_per_doubling() -> None:
    values = _draws({"dist": "log_int", "low": 16, "high": 256}, path="model.layers[0].units")
    assert all(isinstance(v, int) and 16 <= v <= 256 for v in values)
    octaves = Counter(min(3, int(math.log2(v / 16))) for v in values)
    _assert_even([octaves[i] for i in range(4)], len(values))


def test_choice_values_can_be_whole_sections() -> None:
    sections = [{"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}, {"name": "adam", "learning_rate": 0.001}]
    values = _draws({"dist": "choice", "values": sections}, n=200, path="optimizer")
    assert {toml_inline(v) for v in values} == {toml_inline(s) for s in sections}


@settings(max_examples=60, deadline=None)
@given(
    low_exp=st.floats(-6, 1),
    width=st.floats(0.5, 6),
    points=st.integers(2, 12),
)
def test_log_grid_is_evenly_spaced_in_log(low_exp: float, width: float, points: int) -> None:
    dist = LogUniform(low=10.0**low_exp, high=10.0 ** (low_exp + width))
    grid = dist.grid(points)
    assert grid[0] == dist.low and grid[-1] == dist.high and len(grid) == points
    ratios = [b / a for a, b in itertools.pairwise(grid)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(start=st.floats(0.5, 2), width=st.floats(0.5, 3), points=st.integers(2, 12))
def test_reverse_log_grid_is_evenly_spaced_in_log_of_one_minus_x(start: float, width: float, points: int) -> None:
    dist = ReverseLog(low=1 - 10.0**-start, high=1 - 10.0 ** -(start + width))
    grid = dist.grid(points)
    assert grid[0] == dist.low and grid[-1] == dist.high and all(v < 1 for v in grid)
    ratios = [(1 - a) / (1 - b) for a, b in itertools.pairwise(grid)]
    assert max(ratios) == pytest.approx(min(ratios), rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(low=st.floats(-10, 10), width=st.floats(0.1, 10), points=st.integers(2, 12))
def test_uniform_grid_is_evenly_spaced(low: float, width: float, points: int) -> None:
    dist = Uniform(low=low, high=low + width)
    grid = dist.grid(points)
    steps = [b - a for a, b in itertools.pairwise(grid)]
    assert max(steps) == pytest.approx(min(steps), rel=1e-6, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(low=st.integers(1, 100), width=st.integers(1, 2000), points=st.integers(2, 12))
def test_int_grids_are_distinct_whole_numbers_inside_the_range(low: int, width: int, points: int) -> None:
    for dist in (IntUniform(low=low, high=low + width), LogInt(low=low, high=low + width)):
        grid = dist.grid(points)
        assert grid == sorted(set(grid)) and all(isinstance(v, int) for v in grid)
        assert grid[0] == low and grid[-1] == low + width and len(grid) <= points


def test_log_int_grid_is_geometric() -> None:
    assert LogInt(low=16, high=256).grid(5) == [16, 32, 64, 128, 256]
    assert IntUniform(low=16, high=256).grid(5) == [16, 76, 136, 196, 256]


def test_grid_sampler_gets_values_spaced_on_each_scale() -> None:
    spec = sweep_from_data(
        {
            "name": "g",
            "base": "digits-mlp",
            "set": ['optimizer={name="adam"}'],
            "sampler": "grid",
            "trials": 9,
            "space": {
                "optimizer.learning_rate": {"dist": "log_uniform", "low": 1e-4, "high": 1e-2},
                "optimizer.beta_1": {"dist": "reverse_log", "low": 0.9, "high": 0.999},
            },
        }
    )
    sweep = resolve_sweep(spec)
    space = grid_space(sweep)
    assert space["optimizer.learning_rate"] == pytest.approx([1e-4, 1e-3, 1e-2])
    # Optuna holds 1 - beta for a reverse_log: the grid is 0.1, 0.01, 0.001 of it.
    assert sorted(space["optimizer.beta_1"]) == pytest.approx([1e-3, 1e-2, 1e-1])
    study = optuna.create_study(sampler=make_sampler(sweep))
    seen = set()
    for _ in range(9):
        trial = study.ask()
        drawn = draw(trial, sweep)
        seen.add((round(drawn.values["optimizer.learning_rate"], 12), round(drawn.values["optimizer.beta_1"], 12)))
        assert drawn.internal["optimizer.beta_1"] == pytest.approx(1 - drawn.values["optimizer.beta_1"])
        study.tell(trial, 0.0)
    assert seen == {(lr, b) for lr in (1e-4, 1e-3, 1e-2) for b in (0.9, 0.99, 0.999)}


def test_reverse_log_records_both_values() -> None:
    dist = ReverseLog(low=0.9, high=0.999)
    assert dist.internal_bounds() == pytest.approx((0.001, 0.1))
    assert dist.from_internal(dist.to_internal(0.95)) == pytest.approx(0.95)
    assert dist.from_internal(0.5) == 0.9  # kept inside the range


@pytest.mark.parametrize(
    "value",
    [0.001, 16, True, "he_normal", 'a "quoted" word\n', [1, 2], {"name": "sgd", "learning_rate": 0.01, "x y": [1]}],
)
def test_toml_inline_reads_back(value: Any) -> None:
    assert tomllib.loads(f"v = {toml_inline(value)}")["v"] == value


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        ({"dist": "log_uniform", "low": 0.0, "high": 1.0}, "low > 0"),
        ({"dist": "uniform", "low": 1.0, "high": 1.0}, "low must be below high"),
        ({"dist": "reverse_log", "low": 0.9, "high": 1.0}, "high < 1"),
        ({"dist": "log_int", "low": 0, "high": 8}, "low >= 1"),
        ({"dist": "int", "low": 1.5, "high": 8}, "whole number"),
        ({"dist": "choice", "values": ["adam", "adam"]}, "listed twice"),
        ({"dist": "choice", "values": []}, "at least 1"),
    ],
)
def test_impossible_distributions_are_refused(dist: dict[str, Any], message: str) -> None:
    from tuitrain.sweep.spec import SweepError

    with pytest.raises(SweepError) as err:
        sweep_from_data({"name": "x", "base": "digits-mlp", "space": {"optimizer.learning_rate": dist}})
    assert message in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_choice_labels_map_back() -> None:
    dist = Choice(values=[0.1, "adam", {"name": "sgd"}])
    for value in dist.values:
        assert dist.from_internal(dist.to_internal(value)) == value
