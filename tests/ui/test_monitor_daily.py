"""The monitor as a daily tool at 80x24: header lr and GPU, LR chart on a key, the trainer log, `n` with one metric."""

from __future__ import annotations

from pathlib import Path

from runfiles import FakeSource, ScreenApp, epoch_events, experiment, overfitting_history, started_event, wait_until
from textual.widgets._toast import Toast

from tuitrain.analysis import Flag
from tuitrain.runs.events import BatchProgress, EpochEnded, GpuUsage, RunFinished
from tuitrain.runs.logtail import LogTail, read_tail
from tuitrain.ui.live_run import LiveRun
from tuitrain.ui.screens.log_view import LogScreen
from tuitrain.ui.screens.monitor import MonitorScreen, curve_mode_text
from tuitrain.ui.widgets.run_panels import RunHeader


def finished_source(run_dir: Path) -> FakeSource:
    source = FakeSource(exp=experiment(epochs=10, patience=2))
    history = [
        {"loss": h["loss"], "val_loss": h["val_loss"], "accuracy": h["accuracy"]} for h in overfitting_history(10)
    ]
    source.events(run_dir).add(
        [started_event(), *epoch_events(history), RunFinished(status="finished", epochs_done=10, time=1020.0)]
    )
    return source


def test_header_keeps_lr_and_gpu_at_80_columns() -> None:
    run = LiveRun(Path("runs/20261130-033205-digits-overfit-with-sgd-cosine"), epochs=40)
    run.apply(started_event(epochs=40).model_copy(update={"device": "CPU: AMD EPYC 7B13 64-Core Processor (2 cores)"}))
    gpu = GpuUsage(memory_used=3 * 2**30, memory_total=16 * 2**30, utilization=87.0)
    for epoch, lr in ((1, 0.1), (2, 0.05)):
        run.apply(
            EpochEnded(epoch=epoch, logs={"loss": 1.0}, learning_rate=lr, epoch_seconds=1.0, time=1000.0, gpu=gpu)
        )
    first = RunHeader.format(run, 1010.0, 80).plain.splitlines()[0]
    assert len(first) <= 78 and "lr 0.1→0.05" in first and "GPU 3.0/16G 87%" in first
    assert "CPU" not in first and first.count("…") == 1  # the device left out, the long name cut at its end


def test_no_eta_from_the_first_batches() -> None:
    run = LiveRun(Path("r"), epochs=10)
    run.apply(started_event(epochs=10))
    run.apply(BatchProgress(epoch=1, step=1, steps=100, time=1005.0))
    assert run.eta(1005.0) is None  # 1% of an epoch (tracing included) says nothing yet
    run.apply(BatchProgress(epoch=1, step=50, steps=100, time=1010.0))
    assert run.eta(1010.0) is not None


def test_curve_mode_line_has_a_shorter_form() -> None:
    assert curve_mode_text(False, True, 80) == "curves: raw (m: smoothed)  y: outliers cut (z: all)"
    assert len(curve_mode_text(False, True, 37)) <= 37 and "(z)" in curve_mode_text(False, True, 37)


def test_log_tail_reads_only_the_end_and_shows_control_characters(tmp_path: Path) -> None:
    log = tmp_path / "trainer.log"
    log.write_bytes(b"old line\n" * 20000 + b"last \x1b[2J\x1b]0;pwned\x07 line\n")
    tail = read_tail(log, max_bytes=1024)
    assert tail.skipped > 0 and len(tail.text) <= 1024
    assert "\x1b" not in tail.text and "\x07" not in tail.text and tail.text.endswith("line\n")
    assert read_tail(tmp_path / "traceback.txt").problem == "not written (yet)"


async def test_keys_for_lr_chart_log_and_one_metric_at_80x24(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = finished_source(run_dir)
    source.log_tails[run_dir] = [
        LogTail("traceback.txt", problem="not written (yet)"),
        LogTail("trainer.log", "[b]x\n"),
    ]
    screen = MonitorScreen(run_dir, source, clock=lambda: 1030.0)
    async with ScreenApp(screen).run_test(size=(80, 24)) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        assert not screen.lr_chart.display
        await pilot.press("L")
        await pilot.pause()
        assert screen.lr_chart.display and screen.lr_chart.region.height > 0
        assert screen.lr_chart._label(screen.lr_chart.series["learning_rate"]) == "learning rate"

        await pilot.press("n")
        await pilot.pause()
        assert any("one metric besides loss" in n.message for n in pilot.app._notifications)

        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogScreen))
        shown = str(pilot.app.screen.query_one("#log-text").content)
        assert "[b]x" in shown and "not written (yet)" in shown


async def test_a_list_of_flags_that_scrolls_says_so_and_notices_stay_off_the_analysis(tmp_path: Path) -> None:
    run_dir = tmp_path / "run-1"
    source = finished_source(run_dir)
    screen = MonitorScreen(run_dir, source, clock=lambda: 1030.0)
    async with ScreenApp(screen).run_test(size=(80, 24), notifications=True) as pilot:
        await screen.tail_worker.wait()
        await pilot.pause()
        flags = [Flag(epoch=e, criterion=f"c{e}", severity="warning", message="x " * 50) for e in range(1, 6)]
        screen.flags_panel.show("Summary.", flags)
        await pilot.pause()
        await pilot.pause()
        more = screen.flags_panel.query_one("#flags-more")
        assert more.display and "more lines below" in str(more.content)
        flags_list = screen.flags_panel.query_one("#flags-list")
        flags_list.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert not more.display

        screen.notify("A long notice " * 8, title="Event log", timeout=30)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query(Toast)))
        await pilot.pause()
        toasts = list(pilot.app.screen.query(Toast))
        analysis = screen.flags_panel.region
        for toast in toasts:
            assert not toast.region.overlaps(analysis), (toast.region, analysis)
