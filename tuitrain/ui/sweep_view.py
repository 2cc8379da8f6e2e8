"""What the sweep screen shows, worked out in plain Python (no Textual, no plotext).

* the leaderboard: its columns (:func:`board_columns`), each trial's cells (:func:`board_cells`) and the
  order of the rows for each sort (:func:`board_order`), from :mod:`tuitrain.sweep.leaderboard`, the
  same as ``tuitrain sweep show``; rows worked out again only for trials that moved (:class:`BoardRows`);
  what a refresh changes in it (:func:`board_changes`): the cells that differ, the rows that are new,
  the columns whose width moved;
* which of the screen's keys apply (:func:`enabled_actions`), so the footer is redrawn only when that changes;
* which trials' validation curves are overlaid (:func:`curve_trials`): those training, the top ones, and
  the latest pruned ones (drawn dimmed);
* the scatter of the objective against one searched parameter (:func:`scatter_data`): points placed on
  the parameter's own scale (a decade per unit for ``log_uniform`` and ``log_int``, a decade of ``1 - x``
  for ``reverse_log``) with ticks labelled in the parameter's values, categories side by side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len

from tuitrain.formatting import duration, short
from tuitrain.sweep.leaderboard import leaderboard, objective_text, ranks, short_names, value_labels
from tuitrain.sweep.preview import axis_label
from tuitrain.sweep.space import Choice, LogUniform, ReverseLog, Uniform
from tuitrain.sweep.status import ACTIVE_SWEEP_STATES, SweepRecord, TrialEntry
from tuitrain.text import printable
from tuitrain.ui.chart_math import nice_ticks, plottable

SORTS: tuple[str, ...] = ("rank", "trial", "objective", "time")
"""The leaderboard's orders, in the order ``t`` steps through them."""
BEST_MARK = "★"
CURVES_TOP = 5
"""Top trials whose curves are overlaid (beside those training)."""
CURVES_PRUNED = 4
"""Latest pruned trials whose curves are drawn, dimmed: where the pruner cut."""
CUT_SHORT = ("pruned", "stopped")
"""Trial states whose curve ends early and whose objective is partial: drawn dimmed, named in the legend."""


def param_key(name: str) -> str:
    """The leaderboard column key of the searched parameter ``name``."""
    return f"param:{name}"


def board_columns(names: Sequence[str], metric: str) -> list[tuple[str, str]]:
    """(key, label) of every leaderboard column: rank, trial, each searched parameter, then the results, the
    most telling first (at 80 columns the table scrolls sideways and what falls off is where a trial ran).

    Labels are :func:`printable` (parameter and metric names come from sweep.json); shown as Text, not markup.
    """
    params = [(param_key(n), printable(short)) for n, short in zip(names, short_names(names), strict=True)]
    return [
        ("rank", "rank"),
        ("trial", "#"),
        *params,
        ("objective", printable(f"{metric} @ep")),
        ("state", "state"),
        ("onset", "onset"),
        ("time", "time"),
        ("epochs", "epochs"),
        ("where", "where"),
    ]


def board_cells(
    trial: TrialEntry,
    names: Sequence[str],
    shown: dict[tuple[int, str], str],
    rank: int | None,
    best: bool,
    now: float | None = None,
) -> tuple[str, ...]:
    """One trial's leaderboard cells, in :func:`board_columns` order (plain words, readable without colour).

    Every cell is :func:`printable`: values, states and slots come from sweep.json.
    """
    took = trial.duration if now is None or trial.started_at is None or not trial.active else now - trial.started_at
    cells = (
        rank_cell(rank, best),
        str(trial.number),
        *(shown.get((trial.number, n), "-") for n in names),
        objective_text(trial),
        trial.state,
        str(trial.onset_epoch) if trial.onset_epoch else "-",
        duration(took),
        str(trial.epochs_done),
        trial.slot or "-",
    )
    return tuple(printable(cell) for cell in cells)


def rank_cell(rank: int | None, best: bool) -> str:
    """The rank column's cell: the rank, starred for the best trial, ``-`` for a trial without a rank."""
    if rank is None:
        return "-"
    return f"{BEST_MARK}{rank}" if best else str(rank)


def board_order(trials: Sequence[TrialEntry], mode: str, sort: str) -> list[int]:
    """Trial numbers in the order ``sort`` lists them (see :data:`SORTS`)."""
    if sort == "trial":
        return sorted(t.number for t in trials)
    if sort == "objective":
        sign = 1 if mode == "min" else -1
        scored = sorted(
            (t for t in trials if t.objective is not None and math.isfinite(t.objective)),
            key=lambda t: (sign * t.objective, t.number),  # type: ignore[operator]
        )
        numbers = [t.number for t in scored]
        return numbers + sorted(t.number for t in trials if t.number not in set(numbers))
    if sort == "time":
        return [t.number for t in sorted(trials, key=lambda t: (-(t.duration or 0.0), t.number))]
    return [t.number for t in leaderboard(trials, mode)]


BoardRow = tuple[tuple[str, ...], bool]
"""A leaderboard row as shown: its cells (:func:`board_cells`) and whether it is marked the best."""


class BoardRows:
    """Every trial's leaderboard row, worked out again only for trials that moved since the last call.

    A row is reused when its trial, rank, best mark and shown values are what they were, and only its
    rank cell is written again when only its rank moved (a trial that ends well moves every trial below
    it down a rank); a training trial's row is always worked out again (its duration runs with the clock).
    """

    def __init__(self) -> None:
        self._rows: dict[int, tuple[tuple[object, ...], BoardRow]] = {}
        self.computed = 0
        """How many rows :func:`board_cells` worked out (for tests)."""

    def clear(self) -> None:
        """Forget every row (the columns changed)."""
        self._rows.clear()

    def rows(
        self,
        trials: Sequence[TrialEntry],
        names: Sequence[str],
        shown: dict[tuple[int, str], str],
        rank_of: Mapping[int, int],
        best: int | None,
        now: float | None,
    ) -> dict[int, BoardRow]:
        """Trial number -> its row (see :func:`board_cells`), in the order of ``trials``."""
        out: dict[int, BoardRow] = {}
        for trial in trials:
            number = trial.number
            is_best = number == best
            # The trial's fields copied: a trial changed in place (a caller's own object) must not match.
            inputs = (dict(trial.__dict__), rank_of.get(number), is_best, tuple(shown.get((number, n)) for n in names))
            cached = self._rows.get(number)
            if cached is not None and not trial.active:
                (fields, _, was_best, values), (cells, _) = cached
                if cached[0] == inputs:
                    out[number] = cached[1]
                    continue
                if was_best == is_best and fields == inputs[0] and values == inputs[3]:  # only the rank moved
                    row = ((printable(rank_cell(inputs[1], is_best)), *cells[1:]), is_best)
                    self._rows[number] = (inputs, row)
                    out[number] = row
                    continue
            row = (board_cells(trial, names, shown, rank_of.get(number), is_best, now), is_best)
            self.computed += 1
            self._rows[number] = (inputs, row)
            out[number] = row
        return out


@dataclass(frozen=True)
class BoardChanges:
    """What one refresh changes in the leaderboard (see :func:`board_changes`).

    ``changed``: trial number -> indexes of its cells to write again (every cell when the row became or
    stopped being the best, which is drawn bold); ``added``: trials with no row yet, in the order given;
    ``widened``: indexes of the columns whose width changed, when cells changed (the table measures them
    again; new rows it measures itself); ``widths``: each column's width now (see :func:`column_widths`).
    """

    changed: dict[int, tuple[int, ...]]
    added: tuple[int, ...]
    widened: tuple[int, ...]
    widths: tuple[int, ...]


def column_widths(rows: Iterable[tuple[str, ...]], floors: Sequence[int]) -> tuple[int, ...]:
    """Each column's width in terminal cells: its widest cell over ``rows``, at least its ``floors`` (its label)."""
    widest = list(floors)
    for cells in rows:
        for i, cell in enumerate(cells):
            width = cell_len(cell)
            if width > widest[i]:
                widest[i] = width
    return tuple(widest)


def board_changes(
    shown: Mapping[int, BoardRow], new: Mapping[int, BoardRow], labels: Sequence[str], widths: Sequence[int] | None
) -> BoardChanges:
    """What to write so the leaderboard showing ``shown`` shows ``new`` (both: trial number -> row).

    ``labels``: the column labels (a column is never narrower than its label); ``widths``: the columns'
    widths as last measured (None: not yet). Rows in ``shown`` but not in ``new`` are left alone (a
    sweep's trials are never removed).
    """
    changed: dict[int, tuple[int, ...]] = {}
    added: list[int] = []
    for number, (cells, best) in new.items():
        old = shown.get(number)
        if old is None:
            added.append(number)
        elif old != (cells, best):
            old_cells, old_best = old
            restyle = old_best != best  # the best row is bold: every cell changes when it stops being the best
            changed[number] = tuple(
                i for i, (text, before) in enumerate(zip(cells, old_cells, strict=True)) if restyle or text != before
            )
    now = _widths_after(shown, new, changed, added, labels, widths)
    widened = tuple(i for i, width in enumerate(now) if widths is None or i >= len(widths) or widths[i] != width)
    return BoardChanges(changed, tuple(added), widened if changed else (), now)


def _widths_after(
    shown: Mapping[int, BoardRow],
    new: Mapping[int, BoardRow],
    changed: Mapping[int, tuple[int, ...]],
    added: Sequence[int],
    labels: Sequence[str],
    widths: Sequence[int] | None,
) -> tuple[int, ...]:
    """The columns' widths once ``changed`` and ``added`` are shown: worked out from the changed cells alone,
    except for a column whose widest cell got narrower (only then is every row of it measured again)."""
    floors = [cell_len(label) for label in labels]
    if widths is None or len(widths) != len(labels):
        return column_widths((cells for cells, _ in {**shown, **new}.values()), floors)
    now = list(widths)
    again: set[int] = set()
    for number, indexes in changed.items():
        cells, old_cells = new[number][0], shown[number][0]
        for i in indexes:
            width, before = cell_len(cells[i]), cell_len(old_cells[i])
            if width > now[i]:
                now[i] = width
            elif width < before == widths[i]:
                again.add(i)
    for number in added:
        for i, cell in enumerate(new[number][0]):
            now[i] = max(now[i], cell_len(cell))
    if again:
        measured = column_widths((cells for cells, _ in {**shown, **new}.values()), floors)
        for i in again:
            now[i] = measured[i]
    return tuple(now)


def enabled_actions(
    record: SweepRecord | None, trial: TrialEntry | None, params: int, ranked: int, has_best: bool
) -> frozenset[str]:
    """The sweep screen's actions that apply now: ``trial`` is the highlighted one, ``params`` how many
    parameters were searched, ``ranked`` how many trials have a final objective, ``has_best`` whether one
    is the best (both worked out once per refresh). The footer shows these; it is redrawn only when this
    set changes."""
    actions = {"detach", "back", "next_sort"}
    if trial is not None and trial.run:
        actions.add("open_trial")
    if trial is not None and trial.active:
        actions.add("stop_trial")
    if record is not None:
        if record.state in ACTIVE_SWEEP_STATES:
            actions.add("stop_sweep")
        if record.resumable:
            actions.add("resume")
        if has_best:
            actions.add("save_best")
        if ranked >= 2:
            actions.add("refine")
    if params > 1:
        actions.add("next_param")
    return frozenset(actions)


def curve_trials(trials: Sequence[TrialEntry], mode: str) -> list[tuple[int, bool]]:
    """(trial number, dimmed) of the curves to overlay: training ones, the top ranked, the latest cut short
    (pruned, or stopped with the sweep: dimmed, so a stopped sweep still shows how far its trials got)."""
    out: dict[int, bool] = {}
    for trial in trials:
        if trial.active and trial.run:
            out[trial.number] = False
    for number in list(ranks(trials, mode))[:CURVES_TOP]:
        out.setdefault(number, False)
    pruned = [t.number for t in trials if t.state in CUT_SHORT and t.run]
    for number in pruned[-CURVES_PRUNED:]:
        out.setdefault(number, True)
    return list(out.items())


# ---------------------------------------------------------------- the scatter

POINT_KINDS = ("trial", "pruned", "running", "best")
"""Groups of scatter points: ranked trials, pruned/stopped ones (partial objective), training ones, the best."""


@dataclass(frozen=True)
class ScatterData:
    """The scatter of ``metric`` against ``param``: points by group (x on the parameter's scale), x ticks.

    ``scale`` names the x axis for its label ("log", "log of 1 - x", "linear" or "choice").
    """

    param: str
    metric: str
    scale: str
    points: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    xticks: tuple[tuple[float, str], ...] = ()
    x_range: tuple[float, float] = (0.0, 1.0)

    @property
    def count(self) -> int:
        """How many trials are drawn."""
        return sum(len(p) for p in self.points.values())


def _axis_for(dist: Any, values: list[Any]) -> Any:
    """The distribution whose scale places ``values``: the sweep's own, else one guessed from the values."""
    if dist is not None:
        return dist
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values) or not numbers:
        return Choice(values=list({Choice.label(v): v for v in values}.values()) or [0])
    lo, hi = min(numbers), max(numbers)
    if lo > 0 and hi / lo >= 100:
        return LogUniform(low=float(lo), high=float(hi))
    return Uniform(low=float(lo), high=float(hi) if hi > lo else float(lo) + 1.0)


def scatter_data(
    trials: Sequence[TrialEntry], param: str, dist: Any, metric: str, best: int | None, most_ticks: int = 6
) -> ScatterData:
    """The points of every trial with an objective and a value of ``param`` (``dist``: its distribution, if known)."""
    have = [t for t in trials if param in t.params and t.objective is not None and plottable(t.objective)]
    axis = _axis_for(dist, [t.params[param] for t in have])
    groups: dict[str, list[tuple[float, float]]] = {kind: [] for kind in POINT_KINDS}
    labels = axis.labels() if isinstance(axis, Choice) else None
    for trial in have:
        x = _position(axis, trial.params[param], labels)
        if x is None:
            continue
        if trial.number == best:
            kind = "best"
        elif trial.active:
            kind = "running"
        elif trial.state in ("finished", "diverged"):
            kind = "trial"
        else:
            kind = "pruned"
        groups[kind].append((x, float(trial.objective)))  # type: ignore[arg-type]
    points = {k: tuple(v) for k, v in groups.items() if v}
    if isinstance(axis, Choice):
        # A section chosen whole is named by what differs between the choices, as the leaderboard names it;
        # the chart cuts a label to the room its place on the axis has.
        labels = value_labels(axis.values)
        ticks = tuple((float(i), label) for i, label in enumerate(labels))
        return ScatterData(param, metric, "choice", points, ticks, (-0.5, len(labels) - 0.5))
    lo, hi = axis.to_scale(axis.low), axis.to_scale(axis.high)
    xs = [x for pts in points.values() for x, _ in pts]
    lo, hi = min([lo, *xs]), max([hi, *xs])
    scale = {"log": "log", "reverse_log": "log of 1 - x"}.get(axis.scale, "linear")
    return ScatterData(param, metric, scale, points, _ticks(axis, lo, hi, most_ticks), (lo, hi))


def _position(axis: Any, value: Any, labels: list[str] | None = None) -> float | None:
    """Where ``value`` goes on ``axis`` (``labels``: a Choice's labels, worked out once per chart)."""
    if isinstance(axis, Choice):
        labels = axis.labels() if labels is None else labels
        label = Choice.label(value)
        return float(labels.index(label)) if label in labels else None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        position = axis.to_scale(value)
    except (ValueError, ArithmeticError):
        return None  # 0 on a log axis: a value outside what the scale can place
    return position if math.isfinite(position) else None


def _ticks(axis: Any, lo: float, hi: float, most: int) -> tuple[tuple[float, str], ...]:
    whole = not isinstance(axis, ReverseLog) and isinstance(axis.low, int) and isinstance(axis.high, int)
    if axis.scale in ("log", "reverse_log"):
        first, last = math.floor(lo + 1e-9), math.ceil(hi - 1e-9)
        step = max(1, math.ceil((last - first) / max(most - 1, 1)))
        positions = [float(p) for p in range(first, last + 1, step)]
        if len(positions) < 2:
            positions = [lo, hi]
        return tuple((p, axis_label(axis, p, whole)) for p in positions if lo - 1e-9 <= p <= hi + 1e-9) or (
            (lo, axis_label(axis, lo, whole)),
            (hi, axis_label(axis, hi, whole)),
        )
    return tuple((t, str(round(t)) if whole else short(t)) for t in nice_ticks(lo, hi, most))
