"""The runs folder: list runs, find one by name, prefix or "latest", and delete one safely."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.runs.events import one_line
from tuitrain.runs.layout import looks_like_run, safe_child
from tuitrain.runs.note import RunNote, read_note
from tuitrain.runs.record import RunRecord, load_run
from tuitrain.runs.status import ACTIVE_STATES, RunState

LATEST = "latest"
"""The run reference meaning the newest run."""


class RunNotFound(ValueError):
    """No run matches what the user asked for (the message says what was looked for, and where)."""


class AmbiguousRun(RunNotFound):
    """A prefix matches several runs (the message lists some of them)."""


class RunBusy(RuntimeError):
    """The run's trainer still runs, so the run cannot be deleted."""


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs list.

    ``best_val_loss`` / ``best_val_accuracy``: (epoch, value) or None. ``duration``: seconds or None.
    ``error``: what could not be read (a broken experiment file, damaged event lines), if anything.
    ``note``: the user's note and tags (empty when none).
    """

    run_dir: Path
    name: str
    state: RunState
    state_label: str
    reason: str | None
    dataset: str | None
    experiment_name: str | None
    epochs_done: int
    epochs_planned: int | None
    best_val_loss: tuple[int, float] | None
    best_val_accuracy: tuple[int, float] | None
    duration: float | None
    started_at: float | None
    error: str | None = None
    trainer_alive: bool | None = None
    note: RunNote = field(default_factory=RunNote)

    @classmethod
    def from_record(cls, record: RunRecord) -> RunSummary:
        """The summary of a loaded run."""
        problems = []
        if record.experiment_error:
            problems.append(record.experiment_error)
        if record.bad_lines:
            problems.append(f"{len(record.bad_lines)} unreadable line(s) in events.jsonl skipped")
        return cls(
            run_dir=record.path,
            name=record.run_id,
            state=record.state,
            state_label=record.state_label,
            reason=record.reason,
            dataset=record.dataset,
            experiment_name=record.experiment_name,
            epochs_done=record.epochs_done,
            epochs_planned=record.epochs_planned,
            best_val_loss=record.best_val_loss,
            best_val_accuracy=record.best_val_accuracy,
            duration=record.duration,
            started_at=record.started_at,
            error="; ".join(problems) or None,
            trainer_alive=record.trainer_alive,
            note=read_note(record.path),
        )

    @classmethod
    def unreadable(cls, run_dir: Path, error: str) -> RunSummary:
        """The row of a run directory that could not be read at all."""
        return cls(
            run_dir=run_dir,
            name=run_dir.name,
            state="failed",
            state_label="failed",
            reason=error,
            dataset=None,
            experiment_name=None,
            epochs_done=0,
            epochs_planned=None,
            best_val_loss=None,
            best_val_accuracy=None,
            duration=None,
            started_at=None,
            error=error,
        )


def _run_dirs(root: Path) -> list[Path]:
    """The run directories directly under ``root`` (hidden folders and other folders skipped)."""
    try:
        entries = list(os.scandir(root))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        # Hidden names are temp files of atomic writes or the user's own; never runs (new_run_dir never
        # makes one).
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if looks_like_run(path):
            found.append(path)
    return found


def _sort_time(summary: RunSummary) -> float:
    if summary.started_at is not None:
        return summary.started_at
    try:
        return summary.run_dir.stat().st_mtime
    except OSError:
        return 0.0


def list_runs(root: Path | str) -> list[RunSummary]:
    """A summary of every run under ``root``, newest first; a missing root has none. Never raises for a run.

    A run directory that cannot be read at all is listed with state "failed" and the error.
    """
    summaries = []
    for run_dir in _run_dirs(Path(root).expanduser()):
        try:
            summaries.append(RunSummary.from_record(load_run(run_dir)))
        except (OSError, ValueError) as exc:
            summaries.append(RunSummary.unreadable(run_dir, one_line(f"cannot read {run_dir.name}: {exc}")))
    summaries.sort(key=lambda s: (_sort_time(s), s.name), reverse=True)
    return summaries


def _looks_like_path(ref: str) -> bool:
    return os.sep in ref or (os.altsep is not None and os.altsep in ref) or ref.startswith("~")


def resolve_run(root: Path | str, ref: str | Path) -> Path:
    """The run directory ``ref`` names: an exact name under ``root``, a unique prefix, ``"latest"``, or a path.

    A name must stay inside ``root`` (see :func:`~tuitrain.runs.layout.safe_child`); a path (with a
    ``/``) is taken as given and must be a run directory. Raises :class:`RunNotFound` (or its subclass
    :class:`AmbiguousRun`) with a one-line message.
    """
    base = Path(root).expanduser()
    text = str(ref).strip()
    if not text:
        raise RunNotFound("no run named: give a run name, a unique start of one, 'latest', or a path")
    if text == LATEST:
        runs = list_runs(base)
        if not runs:
            raise RunNotFound(f"no runs in {base}")
        return runs[0].run_dir
    if isinstance(ref, Path) or _looks_like_path(text):
        path = Path(text).expanduser()
        if not looks_like_run(path):
            raise RunNotFound(f"{path} is not a run directory (it has no events.jsonl, status.json or experiment.toml)")
        return path.absolute()
    try:
        exact = safe_child(base, text)
    except ValueError as exc:
        raise RunNotFound(str(exc)) from None
    if exact.is_dir():
        return exact
    matches = sorted(p for p in _run_dirs(base) if p.name.startswith(text))
    if len(matches) == 1:
        return safe_child(base, matches[0].name)
    if not matches:
        raise RunNotFound(f"no run named {text!r} (or starting so) in {base}")
    shown = ", ".join(p.name for p in matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise AmbiguousRun(f"{text!r} matches {len(matches)} runs in {base} ({shown}): give more of the name")


def latest_running(root: Path | str) -> Path | None:
    """The newest run whose trainer is at work ("running", or "pending" with a live trainer), if any."""
    for summary in list_runs(root):
        if summary.state == "running" or (summary.state == "pending" and summary.trainer_alive):
            return summary.run_dir
    return None


def delete_run(root: Path | str, ref: str | Path | None = None, *, force: bool = False) -> Path:
    """Delete a run directory and return its path.

    ``delete_run(root, ref)`` deletes the run ``ref`` names (as :func:`resolve_run`), which must be a
    folder directly inside ``root``; ``delete_run(run_dir)`` deletes that run directory. Refused
    (ValueError) for a symbolic link, a folder outside ``root``, or one that is not a run directory;
    refused (:class:`RunBusy`) while its trainer runs (or may run, on another host) unless ``force``.
    """
    if ref is None:
        target = Path(root).expanduser().absolute()
        base = target.parent
    else:
        base = Path(root).expanduser()
        target = resolve_run(base, ref)
    if target.is_symlink():
        raise ValueError(f"{target} is a symbolic link: remove the link itself, not the run it points to")
    resolved = target.resolve()
    if resolved.parent != base.resolve():
        raise ValueError(f"{target} is not inside the runs folder {base}: refusing to delete it")
    if not looks_like_run(resolved):
        raise ValueError(f"{resolved} is not a run directory: refusing to delete it")
    if not force:
        record = load_run(resolved)
        # A live trainer, or one on another host that cannot be checked; a "pending" run with no
        # trainer recorded has nothing to stop.
        if record.state in ACTIVE_STATES and (record.trainer_alive or record.host):
            pid = record.status.pid if record.status is not None else None
            who = f"on {record.host}" if record.host else (f"pid {pid}" if pid else "starting")
            raise RunBusy(f"run {resolved.name} is still training ({who}): stop it first, then delete it")
    shutil.rmtree(resolved)
    return resolved
