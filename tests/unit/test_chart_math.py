"""The charts' arithmetic without a widget: downsampling, the focused y range, clipping, ticks, labels."""

from __future__ import annotations

from tuitrain.ui import chart_math as cm


def test_downsample_keeps_ends_and_extremes() -> None:
    xs = [float(i) for i in range(1, 1001)]
    ys = [0.0] * 1000
    ys[500] = 9.0  # a spike must survive
    out_x, out_y = cm.downsample(xs, ys, 50)
    assert len(out_x) <= 102
    assert out_x[0] == 1.0 and out_x[-1] == 1000.0
    assert 9.0 in out_y
    assert cm.downsample([1.0, 2.0], [3.0, 4.0], 50) == ([1.0, 2.0], [3.0, 4.0])


def test_ticks() -> None:
    assert cm.epoch_ticks(1, 10) == [1]
    assert cm.epoch_ticks(5, 10) == [1, 2, 3, 4, 5]
    ticks = cm.epoch_ticks(1000, 10)
    assert ticks[0] == 1 and ticks[-1] == 1000 and len(ticks) <= 11
    assert cm.nice_ticks(0.0, 1.0, 6) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert cm.nice_ticks(0.013, 0.052, 5) == [0.02, 0.03, 0.04, 0.05]
    assert cm.nice_ticks(5.0, 5.0, 5) == [5.0]


def test_focus_range_leaves_out_the_first_epochs_loss_only_when_it_helps() -> None:
    # The digits-overfit shape: training loss starts at 1.5 and falls to ~0; validation loss bottoms
    # at 0.21 and rises to 0.28. The whole range would put the rise in the bottom fifth of the chart.
    train = [1.5, 0.7, 0.3, 0.1] + [0.02 / e for e in range(1, 37)]
    val = [0.5, 0.33, 0.26, 0.22, 0.21] + [0.21 + 0.002 * e for e in range(1, 36)]
    lo, hi = cm.focus_range(train + val)
    assert lo == min(train)  # the bottom is never cut below the data
    assert max(val[5:]) <= hi < 0.4  # the rise of validation loss fills the chart
    assert cm.focus_range(train[:5] + val[:5]) is None  # too few values to call any an outlier
    assert cm.focus_range([0.1 * i for i in range(40)]) is None  # an even spread: nothing to leave out
    assert cm.focus_range([1.0] * 40) is None


def test_clip_off_chart() -> None:
    assert cm.clip_off_chart([0.5, 2.4e8, -1e9, 3.0], 0.0, 1.0) == [0.5, 9.0, -8.0, 3.0]
