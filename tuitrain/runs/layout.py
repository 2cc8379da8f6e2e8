"""Where things live: the runs root, the files of one run directory, and safe run-directory names."""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from tuitrain.text import ascii_fold

RUNS_ENV = "TUITRAIN_RUNS"
"""Environment variable naming the runs root (below ``--runs-dir``, above the default ``./runs``)."""
DEFAULT_RUNS_DIR = "runs"
MAX_NAME_LENGTH = 64
"""Longest experiment-name part of a run directory name (file systems allow 255 bytes in all)."""

# Allow-list, not a deny-list: anything outside it becomes "-" (DESIGN.md section 10).
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class RunPaths:
    """The files of one run directory (``root``); nothing here touches the disk."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def experiment(self) -> Path:
        """The fully resolved experiment, as TOML."""
        return self.root / "experiment.toml"

    @property
    def events(self) -> Path:
        """The append-only event log, one JSON event per line."""
        return self.root / "events.jsonl"

    @property
    def status(self) -> Path:
        """The run's current status (replaced atomically)."""
        return self.root / "status.json"

    @property
    def best_model(self) -> Path:
        """The model at the best epoch by the monitored metric."""
        return self.root / "best.keras"

    @property
    def final_model(self) -> Path:
        """The model as training left it."""
        return self.root / "final.keras"

    @property
    def history_csv(self) -> Path:
        """One row per finished epoch (rewritten atomically after each)."""
        return self.root / "history.csv"

    @property
    def lr_find(self) -> Path:
        """The settings of a learning-rate range test; a run directory holding it is such a test."""
        return self.root / "lr_find.json"

    @property
    def tensorboard(self) -> Path:
        """TensorBoard event files: ``train/`` and ``validation/`` scalars per epoch (Keras' layout)."""
        return self.root / "tensorboard"

    @property
    def traceback(self) -> Path:
        """The full traceback of a failed run (the event carries only its last line)."""
        return self.root / "traceback.txt"

    @property
    def trainer_log(self) -> Path:
        """The trainer process's stdout and stderr."""
        return self.root / "trainer.log"


RUN_MARKERS = ("experiment.toml", "events.jsonl", "status.json")
"""A directory holding at least one of these is a run directory."""


def is_run_dir(path: Path | str) -> bool:
    """True if ``path`` is a folder holding one of the files every run starts with.

    Raises OSError when that cannot be checked (permission denied, a symbolic link loop), where
    ``Path.is_dir`` would quietly say False; a missing path or a file is simply not a run.
    """
    path = Path(path)
    try:
        if not stat.S_ISDIR(os.stat(path).st_mode):
            return False
    except (FileNotFoundError, NotADirectoryError):
        return False
    for marker in RUN_MARKERS:
        try:
            os.stat(path / marker)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return True
    return False


def looks_like_run(path: Path | str) -> bool:
    """:func:`is_run_dir`, False (never an error) for a folder that cannot be examined."""
    try:
        return is_run_dir(path)
    except OSError:
        return False


def runs_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The runs root: ``explicit`` (``--runs-dir``), else ``$TUITRAIN_RUNS``, else ``./runs``."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    from_env = os.environ.get(RUNS_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(DEFAULT_RUNS_DIR)


def sanitize_name(name: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """``name`` reduced to letters, digits, ``-``, ``_`` and ``.``; no leading dot or dash; never empty.

    Accented letters keep their base letter ("größe" -> "grosse"); anything else becomes "-".
    """
    cleaned = _UNSAFE.sub("-", ascii_fold(name.strip()))
    # A leading dot would hide the directory; a leading dash reads as an option on command lines.
    cleaned = cleaned.lstrip(".-")[:max_length].rstrip(".-")
    return cleaned or "run"


def new_run_dir(root: str | os.PathLike[str], name: str, *, now: float | None = None) -> Path:
    """Create and return a fresh run directory ``root/YYYYMMDD-HHMMSS-<name>`` (local time).

    ``name`` (the experiment name) passes :func:`sanitize_name` first. If that directory exists (two runs
    in the same second), ``-2``, ``-3``, ... is appended; creation uses ``exist_ok=False`` so two
    processes racing for one name never share a directory.
    """
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime(_TIMESTAMP_FORMAT, time.localtime(now))
    base = f"{stamp}-{sanitize_name(name)}"
    for attempt in range(1, 10_000):
        candidate = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir(exist_ok=False)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"cannot find a free run directory name for {base!r} in {root}: clean up old runs")


def safe_child(root: str | os.PathLike[str], name: str) -> Path:
    """The path ``root/name`` (``root`` resolved) for a run name a user typed; ValueError if it escapes ``root``.

    ``name`` must be one path component: absolute paths, separators, ``.``/``..`` and symbolic links
    that resolve outside ``root`` are refused. The directory need not exist.
    """
    text = str(name)
    if not text or text in (".", ".."):
        raise ValueError(f"{text!r} is not a run name: give the name of a folder in the runs folder")
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    if any(sep in text for sep in separators) or Path(text).is_absolute() or "\0" in text:
        raise ValueError(
            f"{text!r} is not a run name: give the name of a folder in the runs folder, without '/' or '..'"
        )
    base = Path(root).expanduser().resolve()
    target = (base / text).resolve()
    if target.parent != base:
        raise ValueError(f"run {text!r} resolves to {target}, outside the runs folder {base}: refusing to use it")
    # The link itself, not its target: deleting "link" must not delete the run it points to.
    return base / text
