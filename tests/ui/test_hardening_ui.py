"""The dashboard under hostile or broken run folders (issue 9): literal text, skipped folders, no blocked threads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from runfiles import FakeSource, ScreenApp, append_event, overfitting_history, wait_for_screen, wait_until, write_run

from tuitrain.run_source import LocalRunsSource
from tuitrain.runs import BestSaved, NotARunDirectory, RunFailed
from tuitrain.ui.screens.dialogs import ConfirmDialog
from tuitrain.ui.screens.monitor import MonitorScreen
from tuitrain.ui.screens.runs import RunsScreen

HOSTILE = "[b]x[i]\x1b]0;pwned\x07\x1b[2J"
"""Markup and escape sequences (no "/": it also names run folders)."""


def _shown(screen) -> str:
    """Every notification's text so far."""
    return " ".join(n.message for n in screen.app._notifications)


def _monitor(run_dir: Path) -> MonitorScreen:
    """The monitor on a local source (the run directory's folder), fast polling, a frozen clock."""
    return MonitorScreen(run_dir, LocalRunsSource(run_dir.parent, pace=(0.01, 0.05)), clock=lambda: 1030.0)


async def test_runs_screen_shows_hostile_names_literally_and_notes_skipped_folders(tmp_path: Path) -> None:
    run = write_run(tmp_path, f"20240101-000001-{HOSTILE}", overfitting_history(3))
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    screen = RunsScreen(LocalRunsSource(tmp_path), refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        await wait_until(pilot, lambda: bool(screen.skipped))
        rendered = "".join(str(cell) for cell in screen.table.get_row(str(run)))
        assert "\x1b" not in rendered and "\\x1b]0;pwned" in rendered
        # The cell is escaped markup: drawn, it reads as the folder's name, brackets and all.
        line = "".join(segment.text for segment in screen.table.render_line(1))
        assert "[b]x[i]\\x1b]0;pwned" in line
        assert screen.skipped == ["loop: a symbolic link loop"]
        assert "Skipped 1 folder(s): loop: a symbolic link loop" in _shown(screen)


def test_the_run_source_deletes_only_inside_its_runs_root(tmp_path: Path) -> None:
    root, other = tmp_path / "runs", tmp_path / "other"
    inside = write_run(root, "20240101-000001-a", overfitting_history(2))
    outside = write_run(other, "20240101-000001-b", overfitting_history(2))
    source = LocalRunsSource(root)
    with pytest.raises(NotARunDirectory, match="not inside the runs folder"):
        source.delete(outside)
    (root / "link").symlink_to(outside)
    with pytest.raises(NotARunDirectory, match="symbolic link"):
        source.delete(root / "link")
    (root / "proj").mkdir()
    (root / "proj" / "notes.txt").write_text("not a run")
    with pytest.raises(ValueError, match="is not a run directory"):
        source.delete(root / "proj")
    assert outside.is_dir() and (root / "proj" / "notes.txt").is_file()
    source.delete(inside)
    assert not inside.exists()


async def test_the_runs_screen_refuses_a_listed_run_swapped_for_a_link_elsewhere(tmp_path: Path) -> None:
    root, other = tmp_path / "runs", tmp_path / "other"
    listed = write_run(root, "20240101-000001-a", overfitting_history(2))
    outside = write_run(other, "20240101-000001-b", overfitting_history(2))
    screen = RunsScreen(LocalRunsSource(root), refresh_seconds=None)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        # After the listing, the run folder is replaced by a link to a run elsewhere: the row's path
        # now leads outside the runs folder, and deleting through it must not follow.
        shutil.rmtree(listed)
        listed.symlink_to(outside)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: "symbolic link" in _shown(screen))
        assert outside.is_dir() and (outside / "events.jsonl").is_file() and listed.is_symlink()


async def test_monitor_says_which_epoch_best_keras_holds_and_shows_errors_literally(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "run-1", overfitting_history(6), final=None, epochs=10)
    append_event(run_dir, BestSaved(epoch=4, monitor="val_loss", value=0.4))
    append_event(run_dir, RunFailed(status="failed", error=f"boom {HOSTILE}"))
    screen = _monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.run.best_saved_epoch == 4
        assert "best.keras holds epoch 4." in screen.flags_panel.text
        text = screen.flags_panel.text + screen.header.text
        assert "\x1b" not in text and "[b]x[i]" in screen.flags_panel.text


async def test_monitor_says_plainly_when_a_crash_left_best_keras_behind(tmp_path: Path) -> None:
    # val_loss is best at epoch 4; the trainer saved epoch 2 and was killed before the next save.
    run_dir = write_run(tmp_path, "run-1", overfitting_history(6), final=None, pid=999_999_999, epochs=10)
    append_event(run_dir, BestSaved(epoch=2, monitor="val_loss", value=0.6))
    screen = _monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert screen.run.state == "crashed"
        assert "best.keras holds epoch 2, not the best epoch 4: the run ended before it could save the best one." in (
            screen.flags_panel.text
        )


async def test_a_fifo_as_event_log_is_reported_and_blocks_no_thread(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, "run-1", [], final=None, epochs=10)
    (run_dir / "events.jsonl").unlink()
    os.mkfifo(run_dir / "events.jsonl")
    screen = _monitor(run_dir)
    async with ScreenApp(screen).run_test(size=(120, 40)) as pilot:
        # Posted after a poll returns: a tail thread stuck in open() on the FIFO would never post it.
        await wait_until(pilot, lambda: "cannot be read" in _shown(screen))
        assert "events.jsonl: is a FIFO (named pipe), not a regular file" in _shown(screen)


async def test_setup_shows_a_hostile_description_escaped_and_keeps_it_unless_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input

    from tuitrain import presets
    from tuitrain.ui.app import TuitrainApp
    from tuitrain.workspace import read_for_editing

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.toml"
    path.write_text('name = "evil"\ndescription = "[b]x[/b] \\u001b]0;pwned\\u0007"\n[dataset]\nname = "digits"\n')
    exp = read_for_editing(path)
    app = TuitrainApp(source=FakeSource(tmp_path / "runs"), initial=exp, preset_name="evil", preset_path=path,
                      preset_source="file")  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        setup = app.setup
        part = await setup.form.reveal("description")
        shown = part.query_one(Input).value
        assert shown == "[b]x[/b] \\x1b]0;pwned\\x07"  # escaped in the editor, markup as typed
        assert setup.validation.experiment.description == exp.description  # the value itself is kept
        assert not setup.dirty
        assert presets.to_toml(setup.validation.experiment) == presets.to_toml(exp)
