"""The sweep screen's leaderboard worked out from changed trials only equals the one worked out whole."""

from __future__ import annotations

import random

import pytest

from tuitrain.sweep.leaderboard import param_names, ranks, shown_values
from tuitrain.sweep.status import TRIAL_STATES, TrialEntry
from tuitrain.ui.live_board import LiveBoard
from tuitrain.ui.sweep_view import SORTS, board_cells, board_order

NOW = 5000.0


def whole(trials: list[TrialEntry], mode: str, sort: str) -> tuple[dict[int, tuple[tuple[str, ...], bool]], list[int]]:
    """Every row and the order, worked out from scratch as the screen did before it kept a LiveBoard."""
    names = param_names(trials)
    shown = shown_values(trials)
    rank_of = ranks(trials, mode)
    best = next(iter(rank_of), None)
    rows = {
        t.number: (board_cells(t, names, shown, rank_of.get(t.number), t.number == best, NOW), t.number == best)
        for t in trials
    }
    return rows, board_order(trials, mode, sort)


def random_trial(rng: random.Random, number: int, sections: bool) -> TrialEntry:
    state = rng.choice(TRIAL_STATES)
    objective = rng.choice([None, float("nan"), float("inf"), round(rng.uniform(0.1, 1.0), rng.choice([1, 2, 4]))])
    value: object = rng.choice([0.1, 0.01, 1e-4, 3])
    if sections and rng.random() < 0.5:
        value = rng.choice([{"kind": "sgd", "momentum": 0.9}, {"kind": "adam"}, [{"units": 8}, {"units": 16}]])
    params = {"lr": value} if rng.random() < 0.9 else {}
    if rng.random() < 0.7:
        params["units"] = rng.choice([8, 16, 512])
    return TrialEntry(
        number=number,
        state=state,
        run=f"t{number:04d}" if rng.random() < 0.9 else None,
        params=params,
        objective=objective,
        best_epoch=rng.choice([None, 1, 3, 12]),
        epochs_done=rng.randint(0, 30),
        onset_epoch=rng.choice([None, 4]),
        slot=rng.choice([None, "cpu0", "gpu1"]),
        started_at=rng.choice([None, 1000.0, 4000.0]),
        ended_at=rng.choice([None, 4500.0]),
    )


@pytest.mark.parametrize("seed", range(12))
def test_rows_and_order_after_each_read_equal_the_whole_board_worked_out_again(seed: int) -> None:
    rng = random.Random(seed)
    sections = seed % 3 == 0
    mode = "max" if seed % 2 else "min"
    trials = [random_trial(rng, n, sections) for n in range(rng.randint(0, 12))]
    board = LiveBoard()
    shown: dict[int, tuple[tuple[str, ...], bool]] = {}
    order: list[int] = []
    names: list[str] = []
    for _ in range(40):
        # A read: some trials change (state, objective, values), a new one may appear, the sort may move.
        trials = list(trials)
        for _ in range(rng.randint(0, 3)):
            if trials:
                i = rng.randrange(len(trials))
                trials[i] = random_trial(rng, trials[i].number, sections)
        if rng.random() < 0.3:
            trials.append(random_trial(rng, len(trials), sections))
        if rng.random() < 0.2:
            trials[rng.randrange(len(trials))].epochs_done += 1 if trials else 0  # changed in place, as a fake may
        sort = rng.choice(SORTS) if rng.random() < 0.2 else SORTS[0]
        if param_names(trials) != names:
            names = param_names(trials)
            board.reset()
            shown.clear()
        update = board.update(trials, names, mode, sort, NOW)
        shown.update(update.rows)
        if update.order is not None:
            order = update.order
        rows, expected_order = whole(trials, mode, sort)
        assert shown == rows, [(n, list(shown[n][0]), list(rows[n][0])) for n in rows if shown.get(n) != rows[n]]
        if sort != "time":  # by time, a training trial's duration runs with the real clock in board_order
            assert order == expected_order
        assert board.rank_of == ranks(trials, mode)
        assert (board.best.number if board.best else None) == next(iter(board.rank_of), None)
        assert board.active == {t.number for t in trials if t.active}


def test_a_read_that_changes_nothing_works_out_only_the_training_rows_and_keeps_the_order() -> None:
    trials = [
        TrialEntry(number=n, state="finished", run=f"t{n}", objective=0.5 - n / 100, best_epoch=2, params={"lr": 0.1})
        for n in range(50)
    ] + [TrialEntry(number=50, state="running", run="t50", started_at=4000.0, params={"lr": 0.2})]
    board = LiveBoard()
    first = board.update(trials, ["lr"], "min", "rank", NOW)
    assert len(first.rows) == 51 and first.order == [*range(49, -1, -1), 50]
    computed = board.rows.computed
    again = board.update([t.model_copy() for t in trials], ["lr"], "min", "rank", NOW + 1)
    assert set(again.rows) == {50} and again.order is None and again.changed == frozenset()
    assert board.rows.computed == computed + 1
    # One trial ends best: its row, and those whose rank moved, are worked out; the order moves.
    ended = trials[50].model_copy(update={"state": "finished", "objective": 0.01, "best_epoch": 3, "ended_at": NOW})
    moved = board.update([*trials[:50], ended], ["lr"], "min", "rank", NOW + 2)
    assert moved.changed == frozenset({50}) and moved.order == [50, *range(49, -1, -1)]
    assert set(moved.rows) == set(range(51))  # every rank moved down one
