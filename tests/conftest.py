"""Suite-wide isolation: no network, no user folders, no real Keras cache."""

from __future__ import annotations

import os

import pytest
from textual.pilot import Pilot

# Set before anything imports TensorFlow (including trainer subprocesses, which inherit the env).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees empty user folders and may never download a dataset."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TUITRAIN_OFFLINE", "1")
    monkeypatch.setenv("TUITRAIN_PRESETS_DIR", str(home / "presets"))
    monkeypatch.setenv("TUITRAIN_RUNS", str(home / "runs"))
    monkeypatch.setenv("KERAS_HOME", str(home / "keras"))
    monkeypatch.delenv("TUITRAIN_DATA", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


# ``Pilot.pause()`` waits for the messages queued when it is called; what their handlers post (a Select's
# Changed, then the form's FormEdited, then a revalidation) and widgets they mount are left for later.
# On a loaded CI machine one pause then returns before a chain of two or three hops has run, and a test
# reads a stale screen (stop 17 failed CI that way). Every plain ``pause()`` in the suite therefore lets
# the app work until no queue holds a message and every widget on the screen is mounted, a bounded
# number of times (timers keep posting, so a live screen may never be still).
_plain_pause = Pilot.pause
_SETTLE_ROUNDS = 25


def _settled(pilot: Pilot) -> bool:
    app = pilot.app
    try:
        screen = app.screen
    except Exception:  # no screen yet, or the app has exited
        return True
    if app.message_queue_size:
        return False
    return all(w.message_queue_size == 0 and w.is_mounted for w in screen.walk_children(with_self=True))


async def _settling_pause(self: Pilot, delay: float | None = None) -> None:
    await _plain_pause(self, delay)
    if delay is not None:
        return
    for _ in range(_SETTLE_ROUNDS):
        if _settled(self):
            return
        await _plain_pause(self, None)


Pilot.pause = _settling_pause  # type: ignore[method-assign]
