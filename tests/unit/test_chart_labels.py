"""Placing a chart's marker labels: never over each other, never past the canvas, shorter when space is short."""

from __future__ import annotations

import itertools

from tuitrain.ui.chart_labels import (
    MarkerLabel,
    PlacedLabel,
    marker_label_texts,
    place_labels,
    place_strip_labels,
)
from tuitrain.ui.chart_math import ChartMarkers


def assert_clean(placed: list[PlacedLabel], width: int) -> None:
    """No label past an edge; no two labels of a row touching."""
    for label in placed:
        assert label.column >= 0 and label.end <= width, (label, width)
    for a, b in itertools.combinations(placed, 2):
        if a.row == b.row:
            assert a.end < b.column or b.end < a.column, (a, b)


def column(epoch: int, last: int, width: int) -> int:
    return round((width - 1) * (epoch - 1) / (last - 1))


def test_marker_labels_merge_markers_of_one_epoch() -> None:
    full = [
        (label.epoch, label.full)
        for label in marker_label_texts(
            ChartMarkers(best_epoch=4, stop_epoch=6, would_stop=True, kept_epoch=4, overfitting_from=4)
        )
    ]
    assert full == [(4, "best/kept 4"), (6, "would stop 6")]
    other = marker_label_texts(ChartMarkers(best_epoch=3, stop_epoch=6, kept_epoch=6))
    assert [(label.epoch, label.full) for label in other] == [(3, "best 3"), (6, "stop/kept 6")]
    assert marker_label_texts(ChartMarkers()) == []


def test_label_texts_merge_one_epoch_and_have_short_forms() -> None:
    labels = marker_label_texts(ChartMarkers(best_epoch=11, stop_epoch=4, would_stop=True, kept_epoch=4))
    assert labels == [MarkerLabel(4, "would stop/kept 4", "ws/k 4"), MarkerLabel(11, "best 11", "b 11")]


def test_neighbouring_markers_keep_their_full_words_when_there_is_room() -> None:
    labels = marker_label_texts(ChartMarkers(best_epoch=11, stop_epoch=12, kept_epoch=11))
    placed = place_labels(labels, [column(11, 19, 60), column(12, 19, 60)], 60)
    assert [p.text for p in placed] == ["best/kept 11", "stop 12"]
    assert placed[0].row == placed[1].row == 0  # side by side: one row taken from the curves
    assert_clean(placed, 60)
    # Narrower: the second label moves to the second row rather than onto the first.
    placed = place_labels(labels, [10, 11], 22)
    assert [(p.text, p.row) for p in placed] == [("best/kept 11", 0), ("stop 12", 1)]
    assert_clean(placed, 22)


def test_short_forms_when_full_labels_do_not_fit() -> None:
    # "kept 4best 11" on an 80x24 monitor: three neighbours on a narrow chart.
    labels = marker_label_texts(ChartMarkers(best_epoch=11, stop_epoch=12, kept_epoch=10))
    width = 14
    placed = place_labels(labels, [column(e, 19, width) for e in (10, 11, 12)], width)
    assert_clean(placed, width)
    texts = " ".join(p.text for p in placed)
    assert "best" not in texts and "b 11" in texts and "k 10" in texts and "s 12" in texts


def test_joined_label_when_even_short_ones_collide() -> None:
    labels = marker_label_texts(ChartMarkers(best_epoch=5, stop_epoch=6, kept_epoch=4))
    placed = place_labels(labels, [3, 4, 5], 16)
    assert placed == [PlacedLabel("k 4 b 5 s 6", 0, 0)]


def test_markers_at_the_edges_stay_inside() -> None:
    labels = marker_label_texts(ChartMarkers(best_epoch=1, stop_epoch=40, kept_epoch=1))
    placed = place_labels(labels, [0, 49], 50)
    assert [p.text for p in placed] == ["best/kept 1", "stop 40"]
    assert placed[0].column == 0 and placed[1].end == 50
    assert_clean(placed, 50)


def test_a_label_wider_than_the_chart_is_left_out_not_cut() -> None:
    labels = marker_label_texts(ChartMarkers(best_epoch=1234, stop_epoch=1300, would_stop=True))
    placed = place_labels(labels, [2, 4], 6)
    assert placed == [PlacedLabel("b 1234", 0, 0)]
    assert place_labels(labels, [0, 1], 3) == []


def test_every_combination_of_nearby_markers_is_clean() -> None:
    for width, last in ((12, 5), (20, 19), (33, 40), (70, 100)):
        for best, stop, kept in itertools.product(range(1, last + 1, max(1, last // 7)), repeat=3):
            markers = ChartMarkers(best_epoch=best, stop_epoch=stop, would_stop=best % 2 == 0, kept_epoch=kept)
            labels = marker_label_texts(markers)
            placed = place_labels(labels, [column(label.epoch, last, width) for label in labels], width)
            assert_clean(placed, width)
            assert placed, (width, markers)


def test_strip_labels_take_the_longest_form_with_room() -> None:
    forms = (" overfitting ", "overfitting", "overfit")
    placed = place_strip_labels([(78, forms)], 80)
    assert placed == [PlacedLabel(" overfitting ", 67, 0)]
    narrow = place_strip_labels([(5, forms), (9, ("✗NaN 9", "✗9"))], 12)
    assert [p.text for p in narrow] == ["overfitting"]  # no room left for the NaN mark: left out, not cut
    assert_clean(narrow, 12)


def test_a_legend_that_does_not_fit_says_how_many_curves_it_leaves_unnamed() -> None:
    from tuitrain.ui.chart_labels import fit_legend

    legend = ["• #1", "× #3", "+ #2", "o #0"]
    assert fit_legend("val_loss by epoch", legend, 80) == "val_loss by epoch  • #1  × #3  + #2  o #0"
    short = fit_legend("val_loss by epoch", legend, 36)
    assert short == "val_loss by epoch  • #1  × #3  +2" and len(short) <= 36
    assert fit_legend("val_loss by epoch", legend, 21) == "val_loss by epoch  +4"
    assert fit_legend("val_loss by epoch", legend, 10) == "val_loss by epoch"  # the title alone, as before
    assert fit_legend("loss", [], 10) == "loss"
