"""Sweeps on the runs screen: one row each among the runs, opened to their trials, filtered and sorted
with the runs; a trial is a run row like any other; a broken sweep folder is a row saying why."""

from __future__ import annotations

import json
from pathlib import Path

from runfiles import (
    ScreenApp,
    overfitting_history,
    runs_and_sweep,
    wait_for_screen,
    wait_until,
    write_run,
)
from sweepfiles import make_sweep

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs.note import RunNote
from tuitrain.sweep.layout import SweepPaths
from tuitrain.text import printable
from tuitrain.ui.screens.dialogs import PromptDialog
from tuitrain.ui.screens.runs import RunsScreen


def names(screen: RunsScreen) -> list[str]:
    """The run column of every table row, top to bottom."""
    return [str(screen.table.get_row_at(i)[1]) for i in range(screen.table.row_count)]


async def test_a_sweep_is_one_row_that_opens_to_its_trials(tmp_path: Path) -> None:
    source, sweep_dir = runs_and_sweep(tmp_path)
    screen = RunsScreen(source, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(160, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        # Among the runs by its folder's time (newest first), seven trials kept out of the way.
        assert names(screen) == [
            "20261130-120000-mnist-late",
            "sweep 20261130-101500-digits-search",
            "20261130-080000-digits-early",
        ]
        row = [str(cell) for cell in screen.table.get_row(str(sweep_dir))]
        assert row[0] == "▸" and row[2] == "running" and row[3] == "6/10 trials"
        assert row[4] == "0.21 #1" and row[5] == "0.88 #0" and row[7] == "digits" and row[8] == "best #1 val_loss 0.21"
        assert "2 runs, 1 sweep" in str(screen.query_one("#runs-title").content)

        await pilot.press("down")
        assert screen.check_action("toggle_trials", ()) and not screen.check_action("toggle_mark", ())
        assert not screen.check_action("delete_run", ()) and not screen.check_action("edit_note", ())
        await pilot.press("space")
        await wait_until(pilot, lambda: screen.table.row_count == 10)
        shown = names(screen)
        assert str(screen.table.get_row(str(sweep_dir))[0]) == "▾"
        assert shown[2].startswith("├ 20261130-101607-t0007") and shown[8].startswith("└ 20261130-101600-t0000")
        assert shown[9] == "20261130-080000-digits-early"

        # A trial is a run: marked and opened as one.
        await pilot.press("down")
        assert screen.highlighted() is not None and screen.check_action("toggle_mark", ())
        await pilot.press("space")
        assert screen.marked == [str(sweep_dir / "trials" / "t0007")]
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.chosen))
        assert pilot.app.chosen == [sweep_dir / "trials" / "t0006"]

        # ← on a trial folds its sweep, the cursor back on the sweep's row; → opens it again.
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        assert screen.highlighted_key() == str(sweep_dir)
        await pilot.press("right")
        await wait_until(pilot, lambda: screen.table.row_count == 10)
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.table.row_count == 3)

        # Enter (or o) on the sweep's row opens the sweep screen.
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(pilot.app.sweeps_chosen))
        assert pilot.app.sweeps_chosen == [sweep_dir]
        await pilot.press("o")
        await wait_until(pilot, lambda: len(pilot.app.sweeps_chosen) == 2)
        assert pilot.app.chosen == [sweep_dir / "trials" / "t0006"]


async def test_filter_and_sort_take_sweeps_with_the_runs(tmp_path: Path) -> None:
    source, sweep_dir = runs_and_sweep(tmp_path)
    screen = RunsScreen(source, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(160, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        # A filter matching trials only: the sweep, opened to just those.
        await pilot.press("slash", *"state:pruned")
        await wait_until(pilot, lambda: screen.table.row_count == 2)
        assert names(screen) == ["sweep 20261130-101500-digits-search", "└ 20261130-101602-t0002-digits-search"]
        # Labelled as the sweep knows it (its run says "stopped").
        assert str(screen.table.get_row_at(1)[2]) == "pruned"
        # Folded by hand while filtered, opened again by the next filter.
        await pilot.press("escape", "slash", *"t0002")
        await wait_until(pilot, lambda: screen.table.row_count == 2)
        await pilot.press("enter", "left")
        await wait_until(pilot, lambda: names(screen) == ["sweep 20261130-101500-digits-search"])
        await pilot.press("slash", *" digits")
        await wait_until(pilot, lambda: screen.table.row_count == 2)

        # The sweep's own name: its row, folded; a data set it does not train on: not there.
        await pilot.press("escape")
        await pilot.press("slash", *"digits-search")
        await wait_until(pilot, lambda: names(screen) == ["sweep 20261130-101500-digits-search"])
        await pilot.press("escape", "slash", *"dataset:mnist")
        await wait_until(pilot, lambda: names(screen) == ["20261130-120000-mnist-late"])
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.table.row_count == 3)

        # Sorted by best val_loss: the sweep by its best trial (0.21), first; its trials in the same order.
        await pilot.press("s", "s", "s", "s")
        assert screen.sort == "val_loss"
        screen.table.move_cursor(row=screen.table.get_row_index(str(sweep_dir)))
        await pilot.press("right")
        await wait_until(pilot, lambda: screen.table.row_count == 10)
        shown = names(screen)
        assert shown[0] == "sweep 20261130-101500-digits-search"
        assert [name[2:23] for name in shown[1:8]] == [f"20261130-1016{n:02d}-t{n:04d}" for n in (1, 3, 5, 0, 6, 7, 2)]
        assert shown[8:] == ["20261130-120000-mnist-late", "20261130-080000-digits-early"]


async def test_a_trial_gets_notes_but_is_not_deleted_alone(tmp_path: Path) -> None:
    source, sweep_dir = runs_and_sweep(tmp_path)
    trial_dir = sweep_dir / "trials" / "t0001"
    screen = RunsScreen(source, refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(160, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await pilot.press("down", "right")
        await wait_until(pilot, lambda: screen.table.row_count == 10)
        screen.table.move_cursor(row=screen.table.get_row_index(str(trial_dir)))
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.screen is screen and source.deleted == []
        await pilot.press("e")
        await wait_for_screen(pilot, PromptDialog)
        await pilot.press(*"#best", "enter")
        await wait_until(pilot, lambda: str(screen.table.get_row(str(trial_dir))[8]) == "#best")
        kept = next(r for r in source.trial_rows[sweep_dir] if r.run_dir == trial_dir)
        assert kept.note == RunNote("", ("best",))


async def test_real_sweeps_and_a_broken_one_list_beside_real_runs(tmp_path: Path) -> None:
    single = write_run(tmp_path, "20240101-000001-single", overfitting_history(4), start=1000.0)
    made = make_sweep(
        tmp_path,
        [
            {"val_loss": [0.9, 0.5, 0.6], "objective": 0.5, "best_epoch": 2},
            {"val_loss": [0.8, 0.7], "objective": 0.7, "best_epoch": 2},
        ],
        name="lr",
    )
    # A folder renamed by hand: markup and an escape sequence in the name reach the table as text.
    paths = SweepPaths(made.root.rename(made.root.with_name(made.root.name + "[b]\x1b[31m")))
    broken = tmp_path / "sweeps" / "20240101-000000-broken"
    (broken / "trials").mkdir(parents=True)
    (broken / "sweep.json").write_text("{ not json")
    (broken / "sweep.toml").write_text('name = "broken"\n')
    foreign = tmp_path / "sweeps" / "20240101-000009-[red]odd"
    foreign.mkdir()
    (foreign / "sweep.json").write_text(json.dumps({"sweep_id": 3}))
    screen = RunsScreen(LocalRunsSource(tmp_path), refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(200, 30)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 4)
        rows = {str(screen.table.get_row_at(i)[1]): screen.table.get_row_at(i) for i in range(4)}
        sweep = rows[f"sweep {printable(paths.sweep_id)}"]
        assert "\\x1b[31m" in str(sweep[1]) and "\x1b" not in str(sweep[1])
        assert [str(c) for c in sweep[2:5]] == ["finished", "2/2 trials", "0.5 #0"]
        assert str(sweep[8]) == "best #0 val_loss 0.5"
        for name in ("sweep 20240101-000000-broken", "sweep 20240101-000009-[red]odd"):
            assert str(rows[name][2]) == "failed" and str(rows[name][8]).startswith(
                "sweep.json is unreadable (damaged): "
            )
        assert str(single) in screen.rows

        screen.table.move_cursor(row=screen.table.get_row_index(str(paths.root)))
        await pilot.press("space")
        await wait_until(pilot, lambda: screen.table.row_count == 6)
        trials = sorted(p for p in paths.trials.iterdir())
        assert all(str(t) in screen.lines and screen.lines[str(t)].kind == "trial" for t in trials)
        assert str(screen.table.get_row(str(trials[0]))[3]) == "3/3"

        # The broken sweeps open to nothing, and their screen can still be asked for.
        screen.table.move_cursor(row=screen.table.get_row_index(str(broken)))
        await pilot.press("space", "enter")
        await wait_until(pilot, lambda: pilot.app.sweeps_chosen == [broken])
        assert screen.table.row_count == 6
