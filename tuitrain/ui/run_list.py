"""What the runs screen lists, in which order: filtering and sorting run summaries (plain Python, no Textual).

The list is newest first unless the user sorts by a column; a sort is stable and keeps runs that lack
the value (no validation loss yet) at the end either way. A filter is what the user typed: words that
must all appear in the run's name, state, dataset, experiment name or note, and ``state:``,
``dataset:`` and ``tag:`` (or ``#tag``) terms that must match exactly (several of one kind: any).

A sweep is one row among the runs (:class:`SweepSummary`), sorted and filtered with them; its trials
follow it when it is open (:func:`arrange_tree`). A filter keeps a sweep when the sweep itself or any
of its trials matches; under a sweep the filter matched only through its trials, just those trials
are listed.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tuitrain.runs.listing import RunSummary
from tuitrain.runs.note import RunNote
from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, ranked_trials

if TYPE_CHECKING:
    from tuitrain.sweep.status import SweepRecord


@dataclass(frozen=True)
class SweepSummary:
    """One sweep as a row of the runs list: the values a run's row has, for the sweep as a whole.

    ``name``: the sweep folder's name (its time and the sweep's name, like a run's); ``state``: the
    sweep's state as readers judge it; ``epochs_done``: trials ended (``trials_planned`` the budget);
    ``best_val_loss`` / ``best_val_accuracy``: (trial number, value), the best over its trials' runs;
    ``best``: (trial number, objective) of the best ranked trial, measured in ``metric``; ``reason``:
    why it failed or crashed, or why its folder can't be read (one line); ``trials``: its trials' runs.
    """

    sweep_dir: Path
    name: str
    state: str
    experiment_name: str | None
    dataset: str | None
    epochs_done: int
    trials_planned: int
    best_val_loss: tuple[int, float] | None
    best_val_accuracy: tuple[int, float] | None
    duration: float | None
    started_at: float | None
    metric: str = "val_loss"
    best: tuple[int, float] | None = None
    reason: str | None = None
    trials: tuple[RunSummary, ...] = ()
    trial_numbers: dict[str, int] = field(default_factory=dict)
    """Trial number by trial run folder name (as ``sweep.json`` records them)."""
    note: RunNote = field(default_factory=RunNote)
    """Always empty (a sweep has no note of its own): the filter and the sort read it as a run's."""

    @property
    def state_label(self) -> str:
        """The state in words (a sweep's state is already a word)."""
        return self.state

    def trial_number(self, run: RunSummary) -> int | None:
        """The number of the trial whose run ``run`` is, if ``sweep.json`` names it."""
        return self.trial_numbers.get(run.run_dir.name)


Listed = RunSummary | SweepSummary
"""A top-level row of the runs list: a single run, or a sweep."""
SortValue = Callable[[Any], object]


def _best_of(
    rows: Sequence[RunSummary],
    numbers: dict[str, int],
    pick: Callable[[RunSummary], tuple[int, float] | None],
    lowest: bool,
) -> tuple[int, float] | None:
    """The best finite value ``pick`` gives over ``rows``, with the trial number of its run (-1: not numbered)."""
    found = [(numbers.get(r.run_dir.name, -1), best[1]) for r in rows if (best := pick(r)) and math.isfinite(best[1])]
    if not found:
        return None
    return (min if lowest else max)(found, key=lambda pair: pair[1])


def sweep_summary(
    record: SweepRecord, trials: Sequence[RunSummary], dataset: str | None = None, now: float | None = None
) -> SweepSummary:
    """The runs list's row for a sweep: ``record`` as the source loads it, ``trials`` its trials' runs.

    The data set is the one most of its trials train on, else ``dataset`` (its spec's). A trial the
    pruner stopped is labelled "pruned". A sweep whose ``sweep.json`` can't be read is a "failed" row
    with the reason.
    """
    status = record.status
    numbers = {t.run: t.number for t in record.trials if t.run}
    # A pruned trial's run says "stopped": the list says "pruned", as the sweep screen does.
    pruned = {t.run for t in record.trials if t.run and t.state == "pruned"}
    trials = [replace(r, state_label="pruned") if r.run_dir.name in pruned else r for r in trials]
    datasets = Counter(r.dataset for r in trials if r.dataset)
    shown_dataset = datasets.most_common(1)[0][0] if datasets else dataset
    best_loss = _best_of(trials, numbers, lambda r: r.best_val_loss, lowest=True)
    best_accuracy = _best_of(trials, numbers, lambda r: r.best_val_accuracy, lowest=False)
    if status is None:
        return SweepSummary(
            sweep_dir=record.paths.root,
            name=record.sweep_id,
            state=record.state,
            experiment_name=None,
            dataset=shown_dataset,
            epochs_done=0,
            trials_planned=0,
            best_val_loss=best_loss,
            best_val_accuracy=best_accuracy,
            duration=None,
            started_at=None,
            reason=record.reason,
            trials=tuple(trials),
            trial_numbers=numbers,
        )
    ended = sum(1 for t in record.trials if not t.active and t.state != "lost")
    active = record.state in ACTIVE_SWEEP_STATES
    end = status.ended_at or ((now or time.time()) if active else status.updated_at)
    # Ranked as readers judge the trials (a crashed controller's "running" trials by their runs).
    ranked = ranked_trials(record.trials, status.mode)
    best = ranked[0] if ranked else None
    return SweepSummary(
        sweep_dir=record.paths.root,
        name=record.sweep_id,
        state=record.state,
        experiment_name=status.name,
        dataset=shown_dataset,
        epochs_done=ended,
        trials_planned=status.trials_planned,
        best_val_loss=best_loss,
        best_val_accuracy=best_accuracy,
        duration=None if end is None else max(0.0, end - status.created_at),
        started_at=status.created_at,
        metric=status.metric,
        best=(best.number, best.objective) if best is not None and best.objective is not None else None,
        reason=record.reason,
        trials=tuple(trials),
        trial_numbers=numbers,
    )


def spec_dataset(base: object) -> str | None:
    """The data set's name in a sweep spec's base experiment (an inline table once resolved), if it names one."""
    data = base.get("dataset") if isinstance(base, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _best_value(pick: Callable[[Any], tuple[int, float] | None]) -> SortValue:
    def value(row: Listed) -> float | None:
        best = pick(row)
        return best[1] if best is not None and math.isfinite(best[1]) else None

    return value


def started(row: Listed) -> float | None:
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

    def matches(self, row: Listed) -> bool:
        """True when ``row`` (a run, or a sweep by its own values) passes every part of the filter."""
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

    def keeps(self, row: Listed) -> bool:
        """True when ``row`` stays in the list: it matches, or it is a sweep one of whose trials matches."""
        if self.matches(row):
            return True
        return isinstance(row, SweepSummary) and any(self.matches(t) for t in row.trials)


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


def arrange(rows: Sequence[Listed], run_filter: RunFilter, sort: str = "started", flip: bool = False) -> list[Any]:
    """The rows the filter lets through, in the sort's natural order (``flip``: the other way).

    ``rows`` come newest first (as a run source lists them); ties keep that order. Runs without the
    value sorted by come last in both directions.
    """
    _, value, largest_first = SORTS[sort]
    # Sorts are stable: ties keep the source's order, which is newest first.
    kept = [r for r in rows if run_filter.keeps(r)]
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


RowKind = Literal["run", "sweep", "trial"]


@dataclass(frozen=True)
class TreeRow:
    """One line of the runs table: a run, a sweep, or a trial (a run) under its sweep."""

    key: str
    """The table's row key: the run's or the sweep's folder."""
    kind: RowKind
    row: Listed
    last: bool = False
    """For a trial: the last one listed under its sweep."""


def arrange_tree(
    runs: Sequence[RunSummary],
    sweeps: Sequence[SweepSummary],
    run_filter: RunFilter,
    sort: str = "started",
    flip: bool = False,
    open_sweeps: Collection[str] = (),
) -> list[TreeRow]:
    """The runs and sweeps the filter keeps, sorted together, each sweep in ``open_sweeps`` (keys: its
    folder) followed by its trials in the same order: all of them, or under a filter that matched the
    sweep only through its trials, the trials it matches."""
    lines: list[TreeRow] = []
    for row in arrange([*runs, *sweeps], run_filter, sort, flip):
        if isinstance(row, RunSummary):
            lines.append(TreeRow(str(row.run_dir), "run", row))
            continue
        key = str(row.sweep_dir)
        lines.append(TreeRow(key, "sweep", row))
        if key not in open_sweeps:
            continue
        inner = RunFilter() if run_filter.matches(row) else run_filter
        trials = arrange(row.trials, inner, sort, flip)
        lines += [TreeRow(str(t.run_dir), "trial", t, i == len(trials) - 1) for i, t in enumerate(trials)]
    return lines
