"""A sweep's leaderboard as the sweep screen keeps it, read again every second: worked out from the trials
that changed since the last read, not from all of them.

A busy sweep of 200 trials changes two or three trials a second (those training one epoch further, now
and then one that ends). :class:`LiveBoard` compares each trial with the one last read (their fields, a
C-level dict comparison) and works out again only what can follow from the ones that differ: the
ranking only when a changed trial is or was ranked, the shown values of the changed trials (every
trial's, for a parameter chosen as whole sections, whose labels depend on the others'), the rows of
the changed trials, of those whose rank or best mark moved and of those training (their duration runs
with the clock), the order only when what it sorts by may have moved. Everything it gives is what
:func:`~tuitrain.ui.sweep_view.board_cells` and :func:`~tuitrain.ui.sweep_view.board_order` give for
the whole sweep (a property the tests check on random sequences of reads). Plain Python: no Textual.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuitrain.sweep.leaderboard import value_labels, value_text
from tuitrain.sweep.status import RANKED_TRIAL_STATES, TrialEntry, ranked_trials
from tuitrain.ui.sweep_view import BoardRow, BoardRows, board_order


@dataclass(frozen=True)
class BoardUpdate:
    """What one read changes in the leaderboard.

    ``rows``: trial number -> its row, for the rows worked out again (the others are as last given),
    in trial-number order (new rows are appended in it); ``order``: every trial's number in the order
    the rows are listed, or None when it is what it was; ``changed``: the trials that are new or differ
    from the last read (nothing else the screen shows of them can have moved).
    """

    rows: dict[int, BoardRow]
    order: list[int] | None
    changed: frozenset[int]


class LiveBoard:
    """The leaderboard of one sweep, kept up to date read after read (see the module's text).

    After :meth:`update`: :attr:`rank_of` (trial number -> rank, ranked trials only), :attr:`best` (the
    best trial), :attr:`active` (numbers of the trials starting or training), :attr:`by_number`.
    """

    def __init__(self) -> None:
        self.rows = BoardRows()
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next :meth:`update` works every row out (the columns or the sweep changed)."""
        self._seen: dict[int, dict[str, Any]] = {}
        """Trial number -> its fields as last read."""
        self._key: tuple[tuple[str, ...], str] | None = None
        """The parameter names and the mode the rows were worked out for."""
        self._shown: dict[tuple[int, str], str] = {}
        """(trial, parameter) -> its value as shown."""
        self._sections: set[str] = set()
        """Parameters chosen as whole sections (tables or lists): labelled by what differs between trials."""
        self._ranking: list[int] = []
        self._sort: str | None = None
        self._order: list[int] = []
        self.rank_of: dict[int, int] = {}
        self.best: TrialEntry | None = None
        self.active: set[int] = set()
        self.by_number: dict[int, TrialEntry] = {}
        self.rows.clear()

    def update(
        self, trials: Sequence[TrialEntry], names: Sequence[str], mode: str, sort: str, now: float | None
    ) -> BoardUpdate:
        """Read ``trials`` (the sweep as just read): the rows that changed, and the order if it moved.

        ``names``: the searched parameters (the columns); ``mode``: "min" or "max"; ``sort``: one of
        :data:`~tuitrain.ui.sweep_view.SORTS`; ``now``: the wall time for the training trials' durations.
        """
        by_number = {t.number: t for t in trials}
        key = (tuple(names), mode)
        if key != self._key or not self._seen.keys() <= by_number.keys():
            self.reset()  # other columns, another mode, or a trial gone (a damaged read): start again
            self._key = key
        seen = self._seen
        fields: dict[int, dict[str, Any]] = {}
        changed: set[int] = set()
        for number, trial in by_number.items():
            old = seen.get(number)
            if old is not None and old == trial.__dict__:
                fields[number] = old
            else:
                fields[number] = dict(trial.__dict__)  # a copy: a caller may change a trial in place
                changed.add(number)
        added = by_number.keys() - seen.keys()
        self._seen = fields
        self.by_number = by_number

        moved = set(changed)
        ranking = self._ranking
        if not seen or any(number in self.rank_of or _ranked(by_number[number]) for number in changed):
            moved |= self._rank(mode)
        reranked = self._ranking != ranking
        self.active = {n for n in self.active if n not in changed} | {n for n in changed if by_number[n].active}
        moved |= self._show_values(names, changed)
        moved |= self.active
        best = self.best.number if self.best is not None else None
        worked = self.rows.rows([by_number[n] for n in sorted(moved)], names, self._shown, self.rank_of, best, now)
        return BoardUpdate(worked, self._order_now(trials, mode, sort, changed, added, reranked), frozenset(changed))

    @property
    def ranking(self) -> list[int]:
        """The ranked trials' numbers, best first."""
        return self._ranking

    def _rank(self, mode: str) -> set[int]:
        """Rank the trials again; the numbers whose rank or best mark moved."""
        before, best_before = self.rank_of, self.best
        ranked = ranked_trials(self.by_number.values(), mode)
        self._ranking = [t.number for t in ranked]
        self.rank_of = {number: rank for rank, number in enumerate(self._ranking, start=1)}
        self.best = ranked[0] if ranked else None
        moved = {n for n in before.keys() | self.rank_of.keys() if before.get(n) != self.rank_of.get(n)}
        for best in (best_before, self.best):
            if best is not None:
                moved.add(best.number)
        return moved

    def _show_values(self, names: Sequence[str], changed: set[int]) -> set[int]:
        """Write the shown values of the changed trials (every trial's for a sectioned parameter); the numbers
        whose shown value moved."""
        shown, by_number = self._shown, self.by_number
        moved: set[int] = set()
        for name in names:
            if name not in self._sections and any(
                isinstance(by_number[n].params.get(name), dict | list) for n in changed
            ):
                self._sections.add(name)
            if name in self._sections:
                having = [t for t in by_number.values() if name in t.params]
                labels = value_labels([t.params[name] for t in having])
                now: dict[int, str | None] = {n: None for n in by_number}
                now.update((t.number, label) for t, label in zip(having, labels, strict=True))
            else:
                now = {n: value_text(p[name]) if name in (p := by_number[n].params) else None for n in changed}
            for number, label in now.items():
                if shown.get((number, name)) == label:
                    continue
                moved.add(number)
                if label is None:
                    del shown[(number, name)]  # the trial no longer records the parameter
                else:
                    shown[(number, name)] = label
        return moved

    def _order_now(
        self, trials: Sequence[TrialEntry], mode: str, sort: str, changed: set[int], added: set[int], reranked: bool
    ) -> list[int] | None:
        """The rows' order when it may have moved and did; else None. By rank it moves only with the ranking
        or a new trial, by number only with a new trial; by objective or time with any change (by time also
        while a trial trains: its duration grows)."""
        if sort != self._sort or added:
            again = True
        elif sort == "rank":
            again = reranked
        elif sort == "trial":
            again = False
        else:
            again = bool(changed) or (sort == "time" and bool(self.active))
        self._sort = sort
        if not again:
            return None
        if sort == "rank":
            ranked = set(self._ranking)
            order = self._ranking + sorted(n for n in self.by_number if n not in ranked)
        else:
            order = board_order(trials, mode, sort)
        if order == self._order:
            return None
        self._order = order
        return order


def _ranked(trial: TrialEntry) -> bool:
    """Whether ``trial`` has a final, finite objective (it takes a rank; as :func:`ranked_trials` keeps it)."""
    return trial.state in RANKED_TRIAL_STATES and trial.objective is not None and math.isfinite(trial.objective)
