"""The end of a run's text files (``trainer.log``, ``traceback.txt``) for reading on a screen.

A log can be gigabytes (a trainer printing every batch): only its last :data:`LOG_TAIL_BYTES` are
read, from a seek, never the whole file. The text is the trainer's output, anyone's bytes: it is
decoded leniently and every control character but newline and tab is shown as a visible ``�``, so it
cannot move the cursor, change colours or retitle the terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tuitrain.runs.layout import RunPaths

LOG_TAIL_BYTES = 64 * 1024
"""How much of the end of a log is read."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class LogTail:
    """The end of one file: ``text`` (safe to show), ``skipped`` bytes before it, ``problem`` if unreadable."""

    name: str
    text: str = ""
    skipped: int = 0
    problem: str | None = None


def safe_text(raw: bytes) -> str:
    """``raw`` decoded (bad bytes replaced), carriage returns as line ends, other control characters as ``�``."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("�", text)


def read_tail(path: Path, max_bytes: int = LOG_TAIL_BYTES) -> LogTail:
    """The last ``max_bytes`` of ``path``, starting at a whole line; missing or unreadable files say so."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            start = max(0, size - max_bytes)
            fh.seek(start)
            raw = fh.read(max_bytes)
    except FileNotFoundError:
        return LogTail(path.name, problem="not written (yet)")
    except OSError as exc:
        return LogTail(path.name, problem=f"cannot read it: {exc.strerror or exc}")
    if start:
        cut = raw.find(b"\n")
        if 0 <= cut < len(raw) - 1:
            start, raw = start + cut + 1, raw[cut + 1 :]
    return LogTail(path.name, safe_text(raw), start)


def run_logs(run_dir: Path | str, max_bytes: int = LOG_TAIL_BYTES) -> list[LogTail]:
    """The tails of the run's ``traceback.txt`` (first: why it failed) and ``trainer.log``."""
    paths = RunPaths(Path(run_dir))
    return [read_tail(paths.traceback, max_bytes), read_tail(paths.trainer_log, max_bytes)]
