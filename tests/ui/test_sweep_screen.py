"""The sweep screen over a fake sweep source: leaderboard, scatter, curves, progress and every action."""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import ScreenApp, raced_sweep, trial, wait_until
from textual.screen import Screen

from tuitrain.ui.screens.dialogs import ConfirmDialog, PromptDialog
from tuitrain.ui.screens.sweep import SweepScreen
from tuitrain.ui.widgets.sweep_charts import ScatterChart

NOW = 1600.0


def screen_on(state: str = "running") -> tuple[SweepScreen, ScreenApp, object, Path]:
    """The screen over the raced fake sweep; its charts' builds look free, so every change is drawn at once."""
    source, sweep_dir = raced_sweep(state=state)
    screen = SweepScreen(sweep_dir, source, refresh_seconds=None, clock=lambda: NOW, build_clock=lambda: 0.0)
    return screen, ScreenApp(screen), source, sweep_dir


async def shown(pilot, screen: SweepScreen) -> None:
    await wait_until(pilot, lambda: screen.table.row_count == 8 and bool(screen.dists) and screen.curves.series)
    await pilot.pause()


def cells(screen: SweepScreen, number: int) -> list[str]:
    return [str(c) for c in screen.table.get_row(str(number))]


def rows_in_order(screen: SweepScreen) -> list[int]:
    table = screen.table
    return [int(str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def test_the_leaderboard_ranks_marks_the_best_and_says_where_each_trained() -> None:
    screen, app, _, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        labels = [str(c.label) for c in screen.table.columns.values()]
        expected = ["rank", "#", "learning_rate", "units", "val_loss @ep", "state", "onset", "time", "epochs", "where"]
        assert labels == expected
        assert rows_in_order(screen) == [1, 3, 5, 0, 2, 4, 6, 7]  # ranked best first, then by number
        assert cells(screen, 1) == ["★1", "1", "0.004", "256", "0.21 @ 4", "finished", "5", "1:00", "8", "cpu1"]
        assert cells(screen, 2)[0] == "-" and cells(screen, 2)[5] == "pruned"
        assert cells(screen, 6)[5:] == ["running", "-", "4:00", "3", "cpu0"]  # 4 minutes since it started
        head = str(screen.query_one("#sweep-head").content)
        assert "digits-search · running · 6/10 done, 2 running, 2 left" in head
        assert "ETA" in head and "trials/h" in head
        running = str(screen.query_one("#sweep-running").content)
        assert running.startswith("best #1: val_loss 0.21 @ 4") and "#6 on cpu0 epoch 3, #7 on cpu1 epoch 1" in running


async def test_sorting_steps_through_rank_trial_objective_and_time() -> None:
    screen, app, _, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("t")
        await pilot.pause()
        assert screen.sort == "trial" and rows_in_order(screen) == list(range(8))
        await pilot.press("t")
        await pilot.pause()
        assert screen.sort == "objective" and rows_in_order(screen)[:6] == [1, 3, 5, 0, 6, 7]  # partial ones too
        await pilot.press("t", "t")
        await pilot.pause()
        assert screen.sort == "rank" and rows_in_order(screen)[0] == 1


async def test_the_scatter_places_the_learning_rate_on_a_log_axis_and_p_moves_to_the_next_parameter() -> None:
    screen, app, _, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        scatter = screen.scatter
        assert isinstance(scatter, ScatterChart)
        data = scatter.data
        assert data is not None and data.param == "optimizer.learning_rate" and data.scale == "log"
        assert [label for _, label in data.xticks] == ["0.0001", "0.001", "0.01", "0.1", "1"]
        assert set(data.points) == {"best", "trial", "pruned", "running"} and data.count == 7  # invalid: no objective
        assert data.points["best"] == ((-2.3979400086720375, 0.21),)
        await pilot.press("p")
        await pilot.pause()
        assert scatter.data is not None and scatter.data.param == "model.layers[0].units"
        assert [label for _, label in scatter.data.xticks] == ["10", "100"]


async def test_curves_overlay_the_running_and_top_trials_and_dim_the_pruned_ones() -> None:
    screen, app, _, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        chart = screen.curves
        assert set(chart.series) == {"6", "7", "1", "3", "5", "0", "2"}
        assert chart.dimmed == frozenset({"2"}) and chart.series["2"].label == "#2 pruned"
        assert len(chart.series["6"].values) == 3 and chart.metric == "val_loss"


async def test_a_refresh_redraws_only_what_changed() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.pause()
        updates: list[tuple[str, str]] = []
        original = screen.table.update_rows

        def counting(changes, widened=()):
            updates.extend((row, column) for row, cells in changes.items() for column in cells)
            return original(changes, widened)

        screen.table.update_rows = counting  # type: ignore[method-assign]
        scatter_version, curves_version = screen.scatter.version, screen.curves.version
        screen.refresh_sweep()
        await pilot.pause(0.2)
        assert updates == [] and screen.scatter.version == scatter_version and screen.curves.version == curves_version

        # Trial 6 trains one more epoch: its epochs cell and curve change, nothing else.
        record = source.sweeps[sweep_dir]
        moved = [t.model_copy(update={"epochs_done": 4}) if t.number == 6 else t for t in record.trials]
        record.trials = moved
        record.status.trials = moved
        source.histories[sweep_dir / "trials" / "t0006"]["val_loss"].append(0.45)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: updates)
        await pilot.pause()
        assert updates == [("6", "epochs")]
        assert len(screen.curves.series["6"].values) == 4 and screen.scatter.version == scatter_version


def move(source, sweep_dir: Path, number: int, **update) -> None:
    """Trial ``number`` of the fake sweep changes as ``update`` says (what the next read of sweep.json gives)."""
    record = source.sweeps[sweep_dir]
    moved = [t.model_copy(update=update) if t.number == number else t for t in record.trials]
    record.trials = moved
    record.status.trials = moved


def drawn_rows(screen: SweepScreen) -> dict[str, str]:
    """The leaderboard's visible rows as painted, by trial number (the second cell of each line)."""
    table = screen.table
    lines = ["".join(segment.text for segment in table.render_line(y)) for y in range(1, table.row_count + 1)]
    return {line.split()[1]: line for line in lines}


async def test_a_moved_trial_repaints_its_own_row_and_no_other() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.pause()
        table = screen.table
        before = drawn_rows(screen)
        rendered: list[int] = []
        original = table._render_cell

        def counting(row_index, column_index, *args, **kwargs):
            rendered.append(row_index)
            return original(row_index, column_index, *args, **kwargs)

        table._render_cell = counting  # type: ignore[method-assign]
        full = table.full_repaints
        move(source, sweep_dir, 6, epochs_done=4)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: "4 " in table.get_row("6")[8] + " ")
        await pilot.pause()
        after = drawn_rows(screen)
        # What is painted is the new epoch count (a stale cached row would still say 3) ...
        assert after["6"] != before["6"] and " 4 " in after["6"] and " 3 " not in after["6"].split("running")[1]
        assert {k: v for k, v in after.items() if k != "6"} == {k: v for k, v in before.items() if k != "6"}
        # ... and only trial 6's row was rendered again: the table was not repainted whole.
        assert table.full_repaints == full and set(rendered) == {table.get_row_index("6")}


async def test_a_trial_that_ends_best_is_ranked_first_and_the_others_move_down_a_rank() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        move(source, sweep_dir, 7, state="finished", objective=0.1, best_epoch=1, epochs_done=8, ended_at=1500.0)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: rows_in_order(screen)[0] == 7)
        await pilot.pause()
        assert rows_in_order(screen) == [7, 1, 3, 5, 0, 2, 4, 6]
        drawn = drawn_rows(screen)
        assert drawn["7"].split()[:2] == ["★1", "7"] and "finished" in drawn["7"]
        assert drawn["1"].split()[:2] == ["2", "1"]  # no longer the best: no star
        assert [drawn[str(n)].split()[0] for n in (3, 5, 0)] == ["3", "4", "5"]
        assert cells(screen, 7)[4:6] == ["0.1 @ 1", "finished"]


async def test_the_footer_is_redrawn_only_when_the_keys_that_apply_change() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.pause()
        calls: list[int] = []
        original = screen.refresh_bindings

        def counting() -> None:
            calls.append(1)
            original()

        screen.refresh_bindings = counting  # type: ignore[method-assign]
        move(source, sweep_dir, 6, epochs_done=4)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: str(screen.table.get_row("6")[8]) == "4")
        await pilot.pause()
        assert calls == []  # a trial one epoch further changes no key
        screen.table.move_cursor(row=screen.table.get_row_index("6"))
        await pilot.pause()
        assert calls and screen.check_action("stop_trial", ()) is True
        calls.clear()
        move(source, sweep_dir, 6, state="finished", ended_at=1500.0)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: calls)
        assert screen.check_action("stop_trial", ()) is None  # the highlighted trial stopped training


async def test_enter_opens_the_trial_in_the_monitor_and_a_trial_without_a_run_says_so() -> None:
    screen, app, _, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("enter")  # the best trial, at the top
        await wait_until(pilot, lambda: app.chosen)
        assert app.chosen == [sweep_dir / "trials" / "t0001"]
        await pilot.press("t")  # by trial number: 0 1 2 3 4 ...
        await pilot.press("down", "down", "down", "down")
        await pilot.pause()
        assert screen.highlighted().number == 4 and screen.check_action("open_trial", ()) is None
        assert "loss: does not fit the output" in str(screen.query_one("#sweep-detail").content)


async def test_stop_trial_asks_then_stops_it_through_the_normal_stop_path() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        assert screen.check_action("stop_trial", ()) is None  # the best trial has ended
        await pilot.press(*["down"] * 7)  # the last row: trial 7, training
        await pilot.pause()
        assert screen.highlighted().number == 7
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await pilot.pause()
        assert source.stopped == []
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: source.stopped)
        assert source.stopped == [sweep_dir / "trials" / "t0007"] and source.sweeps_stopped == []


async def test_stop_sweep_asks_then_stops_it() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: source.sweeps_stopped)
        assert source.sweeps_stopped == [sweep_dir]


async def test_refine_asks_for_k_then_starts_the_finer_sweep_and_shows_it() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        dialog = app.screen
        assert dialog.query_one("Input").value == "4"  # four trials finished with an objective
        dialog.query_one("Input").value = "9"
        await pilot.press("enter")
        await pilot.pause()
        assert "from 2 to 4" in dialog.error and app.screen is dialog  # stays open until K is possible
        dialog.query_one("Input").value = "3"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.sweeps_chosen)
        assert source.refined == [(sweep_dir, 3)]
        ((spec, _),) = source.sweeps_started
        assert spec.name == "digits-search-fine" and spec.parent == sweep_dir.name
        assert app.sweeps_chosen[0].name.endswith("digits-search-fine")


async def test_save_best_asks_for_a_name_and_saves_the_best_trial() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        assert app.screen.query_one("Input").value == "digits-search-best"
        await pilot.press("enter")
        await wait_until(pilot, lambda: source.saved_best)
        assert source.saved_best == [(sweep_dir, "digits-search-best", False)]


async def test_save_best_refuses_a_built_in_preset_name_in_the_prompt_as_the_setup_screen_does() -> None:
    screen, app, source, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptDialog))
        dialog = app.screen
        dialog.query_one("Input").value = "imdb-seed"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "built-in preset" in dialog.error)
        assert app.screen is dialog and source.saved_best == []


async def test_detach_leaves_the_sweep_running() -> None:
    screen, app, source, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("d")
        await wait_until(pilot, lambda: app.screen is not screen)
        assert source.sweeps_stopped == [] and source.stopped == []


async def test_an_ended_sweep_offers_no_stop() -> None:
    screen, app, _, _ = screen_on(state="stopped")
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        assert screen.check_action("stop_sweep", ()) is False and not screen.running
        assert "0 running" in str(screen.query_one("#sweep-head").content)
        assert "ETA" not in str(screen.query_one("#sweep-head").content)


async def test_a_stopped_sweep_resumes_with_r_and_keeps_its_stopped_trials_curves_dimmed() -> None:
    screen, app, source, sweep_dir = screen_on(state="stopped")
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        chart = screen.curves
        assert {"6", "7"} <= chart.dimmed and chart.series["6"].label == "#6 stopped"
        assert screen.check_action("resume", ()) is True
        await pilot.press("r")
        await wait_until(pilot, lambda: source.sweeps_resumed)
        assert source.sweeps_resumed == [sweep_dir] and source.sweeps_stopped == []


async def test_a_running_sweep_offers_no_resume_and_a_refused_resume_says_why_in_one_line() -> None:
    screen, app, source, _ = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        assert screen.check_action("resume", ()) is False  # not even in the footer
    screen, app, source, _ = screen_on(state="stopped")
    source.sweep_error = ValueError("fake has finished all 10 trials: nothing to resume")
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        await pilot.press("r")
        await wait_until(pilot, lambda: app._notifications)
        (note,) = list(app._notifications)
        assert note.message == "fake has finished all 10 trials: nothing to resume" and note.severity == "error"


async def test_a_sweep_without_trials_yet_draws_empty_charts() -> None:
    from runfiles import FakeSource, fake_sweep

    sweep_dir = Path("runs/sweeps/20261130-000000-new")
    source = FakeSource()
    source.sweeps[sweep_dir] = fake_sweep(sweep_dir, [], state="pending", trials_planned=4)
    screen = SweepScreen(sweep_dir, source, refresh_seconds=None, clock=lambda: NOW)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: screen.record is not None)
        await pilot.pause()
        assert screen.table.row_count == 0 and screen.error is None
        assert "0/4 done, 0 running, 4 left" in str(screen.query_one("#sweep-head").content)
        assert screen.check_action("refine", ()) is None and screen.check_action("save_best", ()) is None
        source.sweeps[sweep_dir] = fake_sweep(sweep_dir, [trial(0, "running", epochs_done=1)], trials_planned=4)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        assert screen.table.columns["state"].content_width == len("running")
        ended = trial(0, "finished", objective=0.3, best_epoch=2, epochs_done=2)
        source.sweeps[sweep_dir] = fake_sweep(sweep_dir, [ended], trials_planned=4)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: str(screen.table.get_cell("0", "state")) == "finished")
        await pilot.pause()
        # The column grows with what it holds: "finished" is not cut to "finish…" at 80 columns.
        assert screen.table.columns["state"].content_width == len("finished")


class CountingClock:
    """A CPU clock that moves ``step`` seconds at each reading: every build the charts measure costs ``step``."""

    def __init__(self, step: float) -> None:
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def train_one_more_epoch(source, sweep_dir: Path, number: int, value: float) -> None:
    """Trial ``number`` trains an epoch more, ending at ``value`` (its leaderboard row and its curve change)."""
    record = source.sweeps[sweep_dir]
    epochs = next(t.epochs_done for t in record.trials if t.number == number)
    move(source, sweep_dir, number, epochs_done=epochs + 1)
    source.histories[sweep_dir / "trials" / f"t{number:04d}"]["val_loss"].append(value)


async def test_with_cheap_builds_every_change_of_the_curves_is_drawn_at_once() -> None:
    screen, app, source, sweep_dir = screen_on()
    async with app.run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        for epochs, value in ((4, 0.45), (5, 0.44)):
            built = screen.curves.build_count
            train_one_more_epoch(source, sweep_dir, 6, value)
            screen.refresh_sweep()
            await wait_until(pilot, lambda epochs=epochs: len(screen.curves.series["6"].values) == epochs)
            await pilot.pause()
            assert screen.curves.build_count == built + 1


async def test_with_a_dear_build_changes_wait_and_only_the_latest_is_drawn_once_but_keys_draw_at_once() -> None:
    from tuitrain.ui.screens.sweep import CHART_SHARE

    source, sweep_dir = raced_sweep()
    seconds = [0.0]  # the pacer's clock, moved by the test
    # Each build costs half a second's share of the UI time: the next redraw waits 0.5 s after it.
    screen = SweepScreen(
        sweep_dir,
        source,
        refresh_seconds=None,
        clock=lambda: NOW,
        pacer_clock=lambda: seconds[0],
        build_clock=CountingClock(0.5 * CHART_SHARE),
    )
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        curves, scatter = screen.curves, screen.scatter
        built = curves.build_count
        assert curves.build_seconds == pytest.approx(0.5 * CHART_SHARE)
        for epochs, value in ((4, 0.45), (5, 0.44)):
            train_one_more_epoch(source, sweep_dir, 6, value)
            screen.refresh_sweep()
            await wait_until(pilot, lambda epochs=epochs: cells(screen, 6)[8] == str(epochs))  # the board at once
            await pilot.pause()
            assert len(curves.series["6"].values) == 3 and curves.build_count == built  # the curves wait

        # The key asks for another picture: drawn at once, though the scatter's wait is not over.
        scatter_built = scatter.build_count
        assert screen.pacers["scatter"].wait(scatter.build_seconds) > 0
        await pilot.press("p")
        await pilot.pause()
        assert scatter.data is not None and scatter.data.param == "model.layers[0].units"
        assert scatter.build_count == scatter_built + 1

        # The wait is over: the timer draws the latest state, in one build for both changes.
        seconds[0] += 0.5
        await wait_until(pilot, lambda: len(curves.series["6"].values) == 5)
        await pilot.pause()
        assert curves.series["6"].values[-1] == 0.44 and curves.build_count == built + 1


async def test_a_resize_or_the_end_of_the_sweep_draws_a_waiting_change_at_once() -> None:
    from tuitrain.ui.screens.sweep import CHART_SHARE

    source, sweep_dir = raced_sweep()
    screen = SweepScreen(
        sweep_dir,
        source,
        refresh_seconds=None,
        clock=lambda: NOW,
        pacer_clock=lambda: 0.0,  # frozen: only a resize or the sweep's end can draw a waiting change
        build_clock=CountingClock(0.5 * CHART_SHARE),
    )
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await shown(pilot, screen)
        curves = screen.curves
        train_one_more_epoch(source, sweep_dir, 6, 0.45)
        screen.refresh_sweep()
        await wait_until(pilot, lambda: cells(screen, 6)[8] == "4")
        await pilot.pause()
        assert len(curves.series["6"].values) == 3
        await pilot.resize_terminal(170, 40)
        await wait_until(pilot, lambda: len(curves.series["6"].values) == 4)

        train_one_more_epoch(source, sweep_dir, 6, 0.44)
        source.sweeps[sweep_dir].state = "finished"
        screen.refresh_sweep()
        await wait_until(pilot, lambda: len(curves.series["6"].values) == 5)


async def test_a_section_chosen_whole_is_named_on_the_axis_as_on_the_leaderboard_and_fits_at_80_columns() -> None:
    from runfiles import trial

    from tuitrain.sweep.leaderboard import shown_values
    from tuitrain.sweep.spec import Choice
    from tuitrain.ui.sweep_view import scatter_data

    layers = "model.layers"
    relu = [{"kind": "dense", "units": 64, "activation": "relu"}, {"kind": "dropout", "rate": 0.2}]
    sigmoid = [{"kind": "dense", "units": 64, "activation": "sigmoid"}, {"kind": "dropout", "rate": 0.2}]
    trials = [trial(0, objective=0.3, params={layers: relu}), trial(1, objective=2.3, params={layers: sigmoid})]
    data = scatter_data(trials, layers, Choice(values=[relu, sigmoid]), "val_loss", best=0)
    shown = shown_values(trials)
    assert [label for _, label in data.xticks] == [shown[(0, layers)], shown[(1, layers)]]
    assert [label for _, label in data.xticks] == ["activation=relu", "activation=sigmoid"]

    chart = ScatterChart("val_loss", title="objective by parameter")
    app = ScreenApp(Screen())

    async with app.run_test(size=(40, 16)) as pilot:
        await app.screen.mount(chart)
        chart.set_data(data)
        await pilot.pause()
        text = "\n".join("".join(s.text for s in chart.render_line(y)) for y in range(chart.size.height))
        assert "[{" not in text  # never the raw TOML of the section
        assert "activation=r…" in text or "activation=relu" in text
