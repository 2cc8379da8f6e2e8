"""What the runs screen lists, in which order: filtering and sorting run summaries (plain Python, no Textual).

The list is newest first unless the user sorts by a column; a sort is stable and keeps runs that lack
the value (no validation loss yet) at the end either way. A filter is what the user typed: words that
must all appear in the run's name, state, dataset, experiment name or note, and ``state:``,
``dataset:`` and ``tag:`` (or ``#tag``) terms that must match exactly (several of one kind: any).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tuitrain.runs.listing import RunSummary

SortValue = Callable[[RunSummary], object]


def _best_value(pick: Callable[[RunSummary], tuple[int, float] | None]) -> SortValue:
    def value(row: RunSummary) -> float | None:
        best = pick(row)
        return best[1] if best is not None and math.isfinite(best[1]) else None

    return value


def started(row: RunSummary) -> float | None:
    """When the run was launched: the time in its folder name (``YYYYMMDD-HHMMSS-name``, local time),
    else its trainer's start.

    The folder is made the moment a run is launched; the trainer's start event comes only after it has
    imported TensorFlow (seconds, a minute under load), so a run launched later can start earlier.
    Ordered by the folder's time, the run just launched is always on top.
    """
    try:
        return time.mktime(time.strptime(row.name[:15], "%Y%m%d-%H%M%S"))
    except ValueError:
        return row.started_at


SORTS: dict[str, tuple[str, SortValue, bool]] = {
    "started": ("started", started, True),
    "run": ("run", lambda r: r.name.lower(), False),
    "state": ("state", lambda r: r.state_label, False),
    "epochs": ("epochs", lambda r: r.epochs_done, True),
    "val_loss": ("best val_loss", _best_value(lambda r: r.best_val_loss), False),
    "val_accuracy": ("best val_acc", _best_value(lambda r: r.best_val_accuracy), True),
    "duration": ("time", lambda r: r.duration, True),
    "dataset": ("dataset", lambda r: (r.dataset or "").lower() or None, False),
    "note": ("note", lambda r: r.note.label().lower() or None, False),
}
"""Sort key -> (its name in words, the value sorted by, True when the natural order is largest first).

Keys other than "started" are the runs table's column keys, so clicking a header sorts by it."""
SORT_ORDER: tuple[str, ...] = tuple(SORTS)
"""The order ``s`` steps through the sorts."""


@dataclass(frozen=True)
class RunFilter:
    """A parsed filter: every word must appear; each non-empty set must contain the run's value."""

    words: tuple[str, ...] = ()
    states: frozenset[str] = frozenset()
    datasets: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.words or self.states or self.datasets or self.tags)

    def matches(self, row: RunSummary) -> bool:
        """True when ``row`` passes every part of the filter."""
        if self.states and row.state.lower() not in self.states and row.state_label.lower() not in self.states:
            return False
        if self.datasets and (row.dataset or "").lower() not in self.datasets:
            return False
        if self.tags and not self.tags & {t.lower() for t in row.note.tags}:
            return False
        haystack = " ".join(
            [row.name, row.state_label, row.dataset or "", row.experiment_name or "", row.note.label()]
        ).lower()
        return all(word in haystack for word in self.words)


def parse_filter(text: str) -> RunFilter:
    """``"mnist state:finished #baseline sgd"`` -> a :class:`RunFilter` (case does not matter)."""
    words: list[str] = []
    states: set[str] = set()
    datasets: set[str] = set()
    tags: set[str] = set()
    for term in text.lower().split():
        kind, colon, value = term.partition(":")
        if colon and value and kind in ("state", "dataset", "tag"):
            {"state": states, "dataset": datasets, "tag": tags}[kind].add(value)
        elif term.startswith("#") and len(term) > 1:
            tags.add(term[1:])
        else:
            words.append(term)
    return RunFilter(tuple(words), frozenset(states), frozenset(datasets), frozenset(tags))


def arrange(
    rows: Sequence[RunSummary], run_filter: RunFilter, sort: str = "started", flip: bool = False
) -> list[RunSummary]:
    """The rows the filter lets through, in the sort's natural order (``flip``: the other way).

    ``rows`` come newest first (as a run source lists them); ties keep that order. Runs without the
    value sorted by come last in both directions.
    """
    _, value, largest_first = SORTS[sort]
    # Sorts are stable: ties keep the source's order, which is newest first.
    kept = [r for r in rows if run_filter.matches(r)]
    present = [r for r in kept if value(r) is not None]
    missing = [r for r in kept if value(r) is None]
    present.sort(key=value, reverse=largest_first != flip)  # type: ignore[arg-type]
    return present + missing


def sort_label(sort: str, flip: bool) -> str:
    """The sort in words for the screen's title: "newest first", "best val_loss ↑"."""
    name, _, largest_first = SORTS[sort]
    if sort == "started":
        return "oldest first" if flip else "newest first"
    return f"{name} {'↓' if largest_first != flip else '↑'}"
