"""Where draws land before a trial runs: seeded draws on each scale, and the histogram that shows them."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.sweep.preview import Bin, axis_label, draws, histogram, histogram_lines
from tuitrain.sweep.space import Choice, IntUniform, LogInt, LogUniform, ReverseLog, Uniform

LR_LOG = LogUniform(low=1e-4, high=1.0)


def test_uniform_on_1e4_to_1_piles_up_in_the_top_decade_log_uniform_does_not() -> None:
    uniform = histogram(Uniform(low=1e-4, high=1.0), draws(Uniform(low=1e-4, high=1.0), 200), axis=LR_LOG)
    log = histogram(LR_LOG, draws(LR_LOG, 200), axis=LR_LOG)
    assert [b.label for b in log] == ["0.0001..0.001", "0.001..0.01", "0.01..0.1", "0.1..1"]
    assert uniform[-1].count >= 170  # ~90% of uniform draws land in 0.1..1
    assert all(30 <= b.count <= 70 for b in log)  # about 50 per decade


def test_reverse_log_draws_as_many_per_decade_of_one_minus_x() -> None:
    dist = ReverseLog(low=0.9, high=0.999)
    bins = histogram(dist, draws(dist, 400))
    assert [b.label for b in bins] == ["0.9..0.99", "0.99..0.999"]
    assert all(150 <= b.count <= 250 for b in bins)
    linear = histogram(Uniform(low=0.9, high=0.999), draws(Uniform(low=0.9, high=0.999), 400), axis=dist)
    assert linear[0].count > 300  # a uniform beta hardly ever tries 0.99..0.999


def test_draws_are_seeded_and_whole_where_the_range_is() -> None:
    assert draws(LR_LOG, 5, seed=3) == draws(LR_LOG, 5, seed=3) != draws(LR_LOG, 5, seed=4)
    widths = draws(LogInt(low=8, high=512), 300)
    assert all(isinstance(w, int) and 8 <= w <= 512 for w in widths) and min(widths) < 12 and max(widths) > 400
    assert sum(w < 64 for w in widths) > 100  # log-int: as many below the geometric middle as above
    counts = draws(IntUniform(low=1, high=3), 60)
    assert set(counts) == {1, 2, 3}
    choice = Choice(values=["adam", {"name": "sgd", "momentum": 0.9}])
    assert {Choice.label(v) for v in draws(choice, 40)} == set(choice.labels())


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(1e-6, 10.0),
    ratio=st.floats(1.5, 1e5),
    seed=st.integers(0, 2**31 - 1),
)
def test_every_draw_is_inside_its_range_and_counted_once(low: float, ratio: float, seed: int) -> None:
    for dist in (LogUniform(low=low, high=low * ratio), Uniform(low=low, high=low * ratio)):
        values = draws(dist, 20, seed)
        assert all(dist.low <= v <= dist.high for v in values)
        assert sum(b.count for b in histogram(dist, values, axis=LogUniform(low=low, high=low * ratio))) == 20


def test_a_range_from_zero_falls_back_to_its_own_axis() -> None:
    dropout = Uniform(low=0.0, high=0.6)
    bins = histogram(dropout, draws(dropout), axis=LR_LOG)  # no log axis reaches 0
    assert bins[0].label == "0..0.12" and sum(b.count for b in bins) == 20


def test_histogram_lines_read_without_colour() -> None:
    lines = histogram_lines([Bin("0.1..1", 4), Bin("1..10", 0), Bin("10..100", 2)], width=8)
    assert lines == [" 0.1..1 ████████ 4", "  1..10 0", "10..100 ████ 2"]
    assert axis_label(ReverseLog(low=0.9, high=0.999), 3.0) == "0.999"
    assert axis_label(LR_LOG, -4.0) == "0.0001" and math.isclose(float(axis_label(LR_LOG, -2.0)), 0.01)
