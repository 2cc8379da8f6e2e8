"""A real headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by selenium) on ``tuitrain serve``.

What the page received is recorded by a spy on the page's WebSocket (installed before any of the page's
scripts run): textual-serve sends the dashboard's terminal output to the page over it, and xterm.js
draws that on a canvas, where the DOM has no text to read. The spy's record, stripped of escape codes,
is the text the browser was given to draw.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,900",
    # No network: the page links a web font; nothing but this machine resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

SPY = """
(() => {
  window.__received = "";
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  function Spied(...args) {
    const socket = new Native(...args);
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") { window.__received += event.data; }
      else if (event.data instanceof ArrayBuffer) { window.__received += decoder.decode(event.data, {stream: true}); }
      else if (event.data instanceof Blob) {
        event.data.arrayBuffer().then((b) => { window.__received += decoder.decode(b, {stream: true}); });
      }
    });
    return socket;
  }
  Spied.prototype = Native.prototype;
  Object.assign(Spied, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Spied;
})();
"""

_ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b.")


def missing_browser() -> str | None:
    """Why the browser test can't run here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: the browser test needs Debian's Chromium "
            "(apt-get install -y chromium chromium-driver; .ci/run does that)"
        )
    return None


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], timeout: float, what: str, step: float = 0.25, seen: Callable[[], str] | None = None
) -> Any:
    """Poll ``condition`` until it returns something true; fail naming ``what`` after ``timeout`` s (and
    showing the end of ``seen()``, e.g. what the browser was sent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    tail = " ".join(seen().split())[-1500:] if seen is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f"; seen: {tail}" if tail else ""))


@contextmanager
def serving(args: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``tuitrain serve --port PORT ARGS...`` in a process of its own, until the block ends."""
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "tuitrain", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    try:
        wait_until(lambda: _listening(port) or server.poll() is not None, 60, "the server to listen")
        assert server.poll() is None, log.read_text(errors="replace")
        yield server
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Browser:
    """A headless Chromium page with the WebSocket spy, and keys typed into the terminal."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="tuitrain-chromium-")
        options = Options()
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"]:
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "chromium"
        self.driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SPY})
        # A headless page never has the window's focus; a user's tab has. Textual draws its footer
        # (the keys) only while it has the focus.
        self.driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})

    def open(self, url: str) -> None:
        """Load ``url``."""
        self.driver.get(url)

    def received_text(self) -> str:
        """Everything the page was sent to draw so far, escape codes removed."""
        raw = self.driver.execute_script("return window.__received || ''")
        return _ESCAPES.sub("", raw)

    def focus_terminal(self) -> None:
        """Give the terminal the keyboard focus, as a user's click into the page does.

        Without a click: a click at the hidden input's place would land on the app's top-left corner.
        """
        self.driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")

    def press(self, *keys: str, ctrl: bool = False) -> None:
        """Type ``keys`` into the terminal, with Ctrl held if asked."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        self.focus_terminal()
        chain = ActionChains(self.driver)
        if ctrl:
            chain.key_down(Keys.CONTROL)
        chain.send_keys(*keys)
        if ctrl:
            chain.key_up(Keys.CONTROL)
        chain.perform()

    def screenshot(self, path: Path) -> Path:
        """Save the page as a PNG."""
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        """Quit Chromium and remove its profile."""
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
