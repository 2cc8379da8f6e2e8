"""What a sweep screen refresh changes: leaderboard cells, new rows, column widths, the keys that apply."""

from __future__ import annotations

from pathlib import Path

from tuitrain.sweep.layout import SweepPaths
from tuitrain.sweep.status import SweepRecord, SweepStatus, TrialEntry
from tuitrain.ui.sweep_view import BoardRows, board_changes, column_widths, enabled_actions

LABELS = ["rank", "#", "val_loss @ep", "state", "epochs"]


def row(rank: str, number: int, objective: str, state: str, epochs: str, best: bool = False):
    return (rank, str(number), objective, state, epochs), best


def test_a_first_refresh_adds_every_row_and_writes_no_cell() -> None:
    new = {0: row("1", 0, "0.4 @ 2", "finished", "8"), 1: row("-", 1, "-", "running", "2")}
    changes = board_changes({}, new, LABELS, None)
    assert changes.added == (0, 1) and changes.changed == {} and changes.widened == ()
    assert changes.widths == (4, 1, 12, 8, 6)  # labels wider than the cells set the floor


def test_only_the_cells_that_differ_are_written_and_unchanged_rows_are_left_alone() -> None:
    shown = {0: row("1", 0, "0.4 @ 2", "finished", "8"), 1: row("-", 1, "-", "running", "2")}
    widths = board_changes({}, shown, LABELS, None).widths
    new = {0: shown[0], 1: row("-", 1, "-", "running", "3")}
    changes = board_changes(shown, new, LABELS, widths)
    assert changes.changed == {1: (4,)} and changes.added == () and changes.widened == ()


def test_a_row_that_becomes_the_best_is_written_whole_because_the_best_row_is_bold() -> None:
    shown = {0: row("1", 0, "0.4 @ 2", "finished", "8", best=True), 1: row("-", 1, "0.5 @ 1", "running", "2")}
    widths = board_changes({}, shown, LABELS, None).widths
    new = {0: row("2", 0, "0.4 @ 2", "finished", "8"), 1: row("★1", 1, "0.3 @ 3", "finished", "3", best=True)}
    changes = board_changes(shown, new, LABELS, widths)
    assert changes.changed == {0: (0, 1, 2, 3, 4), 1: (0, 1, 2, 3, 4)}


def test_a_column_is_measured_again_only_when_its_widest_cell_grows_or_shrinks() -> None:
    shown = {n: row(str(n + 1), n, f"0.{n} @ 2", "finished", "8") for n in range(3)}
    widths = board_changes({}, shown, LABELS, None).widths
    grown = {**shown, 2: row("3", 2, "0.123456789 @ 12", "finished", "8")}
    changes = board_changes(shown, grown, LABELS, widths)
    assert changes.widened == (2,) and changes.widths[2] == len("0.123456789 @ 12")
    shrunk = board_changes(grown, shown, LABELS, changes.widths)
    assert shrunk.widened == (2,) and shrunk.widths[2] == len("val_loss @ep")  # back to its label's width
    # A cell narrower than the column's widest changes no width.
    same = board_changes(shown, {**shown, 1: row("2", 1, "0.7 @ 3", "finished", "9")}, LABELS, widths)
    assert same.changed == {1: (2, 4)} and same.widened == ()


def test_column_widths_count_terminal_cells_not_characters() -> None:
    assert column_widths([("★1", "x"), ("12", "日本")], [1, 1]) == (2, 4)


def record_of(trials: list[TrialEntry], state: str = "running") -> SweepRecord:
    status = SweepStatus(sweep_id="s", name="s", state=state, created_at=0.0, trials_planned=4, trials=trials)
    return SweepRecord(SweepPaths(Path("runs/sweeps/s")), status, state, None, trials)


def test_the_actions_that_apply_follow_the_highlighted_trial_and_the_sweep() -> None:
    running = TrialEntry(number=0, state="running", run="t0000", started_at=0.0)
    invalid = TrialEntry(number=1, state="invalid", run=None)
    record = record_of([running, invalid])
    assert {"open_trial", "stop_trial", "stop_sweep"} <= enabled_actions(record, running, 2, 0, False)
    for_invalid = enabled_actions(record, invalid, 1, 0, False)
    assert not {"open_trial", "stop_trial", "next_param", "refine", "save_best"} & for_invalid
    assert {"refine", "save_best"} <= enabled_actions(record, running, 2, 2, True)
    ended = enabled_actions(record_of([running], state="finished"), None, 2, 1, True)
    assert "stop_sweep" not in ended and "refine" not in ended and "save_best" in ended


def test_board_rows_works_out_again_only_the_rows_of_trials_that_moved_and_those_training() -> None:
    names = ["lr"]
    ended = TrialEntry(number=0, state="finished", run="t0000", objective=0.4, best_epoch=2, params={"lr": 0.1})
    other = TrialEntry(number=1, state="finished", run="t0001", objective=0.5, best_epoch=3, params={"lr": 0.2})
    training = TrialEntry(number=2, state="running", run="t0002", started_at=0.0, params={"lr": 0.3})
    shown = {(0, "lr"): "0.1", (1, "lr"): "0.2", (2, "lr"): "0.3"}
    board = BoardRows()
    first = board.rows([ended, other, training], names, shown, {0: 1, 1: 2}, 0, 10.0)
    assert board.computed == 3 and first[2][0][-3] == "0:10"
    again = board.rows([ended, other, training], names, shown, {0: 1, 1: 2}, 0, 20.0)
    assert board.computed == 4 and again[0] is first[0] and again[2][0][-3] == "0:20"  # the clock moved
    # Trial 1 ends better than trial 0: both rows change (rank, best mark), the training one as always.
    better = other.model_copy(update={"objective": 0.3})
    moved = board.rows([ended, better, training], names, shown, {1: 1, 0: 2}, 1, 20.0)
    assert board.computed == 7 and moved[1] == (("★1", "1", "0.2", "0.3 @ 3", "finished", "-", "-", "0", "-"), True)
    # A value shown with more digits (another trial made two read alike) changes the row too.
    board.rows([ended, better, training], names, {**shown, (0, "lr"): "0.10"}, {1: 1, 0: 2}, 1, 20.0)
    assert board.computed == 9
