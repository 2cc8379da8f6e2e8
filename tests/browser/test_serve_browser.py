"""``tuitrain serve`` in a real browser: the page opens on the setup screen, keys typed into it start a
run, and the monitor it then shows has epochs.

Needs Debian's Chromium (``apt-get install -y chromium chromium-driver``; ``.ci/run`` installs it) and
selenium (the ``test`` extra); skipped, with the reason, where either is missing. Set
``TUITRAIN_BROWSER_SHOTS=DIR`` to keep the screenshots (the README's come from here).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from browserkit import Browser, free_port, missing_browser, png_size, serving, wait_until

from tuitrain import presets, runs
from tuitrain.launcher import stop_run

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))]

EPOCHS = 6


def _preset(tmp_path: Path) -> Path:
    exp = presets.load("digits-overfit", [f"training.epochs={EPOCHS}", 'name="browser-digits"']).experiment
    path = tmp_path / "browser-digits.toml"
    path.write_text(presets.to_toml(exp), encoding="utf-8")
    return path


def _keep(shot: Path) -> None:
    folder = os.environ.get("TUITRAIN_BROWSER_SHOTS")
    if folder:
        shutil.copyfile(shot, Path(folder) / f"browser-{shot.name}")


def test_the_dashboard_in_a_browser_starts_a_run_from_typed_keys(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    port = free_port()
    with serving(["--preset", str(_preset(tmp_path)), "--runs-dir", str(runs_dir)], port, tmp_path / "serve.log"):
        browser = Browser()
        try:
            browser.open(f"http://127.0.0.1:{port}/")
            # The setup screen: the preset list, the form, the status line saying it can start.
            wait_until(
                lambda: all(w in browser.received_text() for w in ("Presets", "browser-digits", "ready to start")),
                90,
                "the setup screen",
            )
            # The whole form (the digits fields come last) and, once the page has the focus, the
            # footer's keys; then a moment for xterm.js to paint them.
            browser.focus_terminal()
            wait_until(
                lambda: all(w in browser.received_text() for w in ("test_fraction", "Save")),
                60,
                "the form",
                seen=browser.received_text,
            )
            time.sleep(1.5)
            setup = browser.screenshot(tmp_path / "setup.png")
            width, height = png_size(setup)
            assert width >= 800 and height >= 400 and setup.stat().st_size > 20_000  # a drawn screen, not blank
            _keep(setup)
            assert not runs_dir.exists() or not any(runs_dir.iterdir())

            browser.press("r", ctrl=True)  # Ctrl+R: start this experiment

            (run_dir,) = wait_until(lambda: list(runs_dir.glob("*-browser-digits")), 60, "a run directory")
            shown = wait_until(
                lambda: re.findall(rf"epoch ([1-9]\d*)/{EPOCHS}", browser.received_text()), 180, "an epoch"
            )
            assert int(shown[-1]) >= 1
            wait_until(lambda: runs.load_run(run_dir).state == "finished", 180, "the run to finish")
            wait_until(lambda: f"epoch {EPOCHS}/{EPOCHS}" in browser.received_text(), 30, "the last epoch shown")
            time.sleep(1.5)
            _keep(browser.screenshot(tmp_path / "monitor.png"))
            assert len(runs.load_run(run_dir).epoch_events) == EPOCHS
        finally:
            browser.close()
            for run_dir in runs_dir.glob("*"):
                stop_run(run_dir)
