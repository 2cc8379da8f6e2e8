"""Where a chart's marker labels go: never over each other, never cut at the chart's edges.

Plain arithmetic on columns (no Textual, no plotext): :mod:`tuitrain.ui.widgets.charts` works out the
column of each marker line and draws the labels where :func:`place_labels` puts them.

A label first tries its full words ("best 11") in the top label row, beside its line (to the right of
it in the chart's left half, to the left in the right half) or else centred on it, then the second row.
When the full labels do not all fit, every label takes its short form ("b 11"); when those do not fit
either, the short forms are joined into one label ("b 11 k 4") near the markers. A label is never
drawn cut: when even the joined label is wider than the chart, the markers that do not fit are left
unlabelled (their lines still show), the earliest kept first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tuitrain.ui.chart_math import ChartMarkers

SHORT_WORDS = {"best": "b", "stop": "s", "would stop": "ws", "kept": "k"}
"""The short form of each marker word, used when the full labels do not fit ("b 11 k 4")."""

GAP = 1
"""Blank columns kept between two labels of one row."""


@dataclass(frozen=True)
class MarkerLabel:
    """The label of the markers at one epoch: its full text ("best/kept 4") and its short text ("b/k 4")."""

    epoch: int
    full: str
    short: str


@dataclass(frozen=True)
class PlacedLabel:
    """A label where it is drawn: ``column`` of its first character (0 = the canvas's left edge), ``row``
    (0 = the top label row)."""

    text: str
    column: int
    row: int

    @property
    def end(self) -> int:
        """The column after its last character."""
        return self.column + len(self.text)


def marker_label_texts(markers: ChartMarkers) -> list[MarkerLabel]:
    """One label per marked epoch, by epoch, words of one epoch merged ("best/kept 4", short "b/k 4")."""
    words: dict[int, list[str]] = {}
    if markers.best_epoch is not None:
        words.setdefault(markers.best_epoch, []).append("best")
    if markers.stop_epoch is not None:
        words.setdefault(markers.stop_epoch, []).append("would stop" if markers.would_stop else "stop")
    if markers.kept_epoch is not None:
        words.setdefault(markers.kept_epoch, []).append("kept")
    return [
        MarkerLabel(epoch, "/".join(parts) + f" {epoch}", "/".join(SHORT_WORDS[p] for p in parts) + f" {epoch}")
        for epoch, parts in sorted(words.items())
    ]


def _candidates(text: str, column: int, width: int, right_half: bool) -> list[int]:
    """First columns for ``text`` anchored at ``column``, best first, each wholly inside ``width``."""
    size = len(text)
    after, before = column, column - size + 1  # starting at the line, or ending at it
    preferred = [before, after] if right_half else [after, before]
    clamped = min(max(column - size // 2, 0), width - size)
    starts = [s for s in preferred if s >= 0 and s + size <= width]
    if clamped >= 0 and clamped not in starts:
        starts.append(clamped)
    return starts


def _fits(placed: Sequence[PlacedLabel], row: int, start: int, size: int) -> bool:
    return all(p.row != row or start >= p.end + GAP or start + size + GAP <= p.column for p in placed)


def _place_all(texts: Sequence[tuple[int, str]], width: int, rows: int) -> list[PlacedLabel] | None:
    """Every (column, text) placed without overlap in ``rows`` rows, or None when one finds no room."""
    placed: list[PlacedLabel] = []
    for column, text in texts:
        spot = next(
            (
                PlacedLabel(text, start, row)
                # The fewest rows first (they take height from the curves), then the best position.
                for row in range(rows)
                for start in _candidates(text, column, width, column >= width / 2)
                if _fits(placed, row, start, len(text))
            ),
            None,
        )
        if spot is None:
            return None
        placed.append(spot)
    return placed


def place_labels(labels: Sequence[MarkerLabel], columns: Sequence[int], width: int, rows: int = 2) -> list[PlacedLabel]:
    """Where to draw ``labels`` (their marker lines at ``columns``) on a canvas ``width`` columns wide.

    Full texts if they all fit in ``rows`` rows, else short texts, else the short texts joined into one
    label in the top row (see the module's docstring); never a label over another or past an edge.
    """
    if not labels or width <= 0 or rows <= 0:
        return []
    anchored = sorted(zip(columns, labels, strict=True), key=lambda pair: pair[0])
    for form in ("full", "short"):
        placed = _place_all([(c, getattr(label, form)) for c, label in anchored], width, rows)
        if placed is not None:
            return placed
    # Joined: as many short texts as fit, from the earliest marker on.
    joined = ""
    for _, label in anchored:
        candidate = f"{joined} {label.short}" if joined else label.short
        if len(candidate) > width:
            break
        joined = candidate
    if not joined:
        return []
    middle = (anchored[0][0] + anchored[-1][0]) // 2
    return [PlacedLabel(joined, min(max(middle - len(joined) // 2, 0), width - len(joined)), 0)]


def place_strip_labels(texts: Sequence[tuple[int, Sequence[str]]], width: int) -> list[PlacedLabel]:
    """One row of labels along the chart's bottom ("overfitting", "✗NaN 7"): each (column, forms longest
    first) takes the longest form with room, centred on its column as far as the edges allow; a label
    with no room for any form is left out."""
    placed: list[PlacedLabel] = []
    for column, forms in sorted(texts, key=lambda pair: pair[0]):
        for text in forms:
            if len(text) > width:
                continue
            start = min(max(column - len(text) // 2, 0), width - len(text))
            if _fits(placed, 0, start, len(text)):
                placed.append(PlacedLabel(text, start, 0))
                break
    return placed


def fit_legend(head: str, legend: list[str], room: int) -> str:
    """``head`` and as many ``legend`` entries as fit in ``room`` columns, two spaces apart; when some are
    left off, "+N" says how many (a curve drawn without a name in the legend must not pass for nothing)."""
    shown = [head]
    for index, part in enumerate(legend):
        after = len(legend) - index - 1
        needed = len(part) + 2 + (len(f"  +{after}") if after else 0)
        if len("  ".join(shown)) + needed > room:
            while True:
                more = f"+{len(legend) - len(shown) + 1}"
                if len("  ".join([*shown, more])) <= room or len(shown) == 1:
                    break
                shown.pop()
            if len("  ".join([*shown, more])) <= room:
                shown.append(more)
            break
        shown.append(part)
    return "  ".join(shown)
