"""The runs folder: list runs, find one by name, prefix or "latest", and delete one safely.

Listing never stops at one bad entry: a run folder that cannot be read (permission denied, a symbolic
link loop, a FIFO where a run file belongs) is skipped with a one-line note, and the rest are listed.

Deleting removes only a run directory directly inside the runs root it was listed from, after
resolving symbolic links on both sides: a path elsewhere, a symbolic link, the root itself or a folder
that is not a run is refused with one line, and so is a run whose trainer still runs.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.fsutil import os_error_text
from tuitrain.runs.events import one_line
from tuitrain.runs.layout import is_run_dir, runs_root, safe_child
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


class RunsRootError(ValueError):
    """The runs root exists but is not a folder that can be read (one line says what it is)."""


class NotARunDirectory(ValueError):
    """A delete was asked for something that is not a run directory inside the runs root."""


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs list.

    ``best_val_loss`` / ``best_val_accuracy``: (epoch, value) or None. ``duration``: seconds or None.
    ``error``: what could not be read (a broken experiment file, damaged event lines), if anything.
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
    notes: tuple[str, ...] = ()
    """Every problem found in the run's files, one line each (``error`` joins them)."""

    @classmethod
    def from_record(cls, record: RunRecord) -> RunSummary:
        """The summary of a loaded run."""
        problems = record.notes
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
            notes=tuple(problems),
        )


@dataclass(frozen=True)
class RunsScan:
    """What a look at the runs root found: the runs (newest first) and the entries it had to skip."""

    runs: list[RunSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """One line per folder that could not be read (``"NAME: permission denied"``)."""


def _check_root(root: Path) -> bool:
    """True if ``root`` is a folder to list, False if it does not exist; RunsRootError otherwise."""
    try:
        mode = os.stat(root).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise RunsRootError(f"the runs folder {root} cannot be read: {os_error_text(exc)}") from None
    if not stat.S_ISDIR(mode):
        raise RunsRootError(f"the runs folder {root} is a file, not a folder: pass --runs-dir DIR of a folder")
    return True


def _scan_dirs(root: Path) -> tuple[list[Path], list[str]]:
    """The run directories directly under ``root`` and notes on entries that could not be examined."""
    if not _check_root(root):
        return [], []
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise RunsRootError(f"the runs folder {root} cannot be read: {os_error_text(exc)}") from None
    found: list[Path] = []
    skipped: list[str] = []
    for entry in entries:
        # Hidden names are temp files of atomic writes or the user's own; never runs (new_run_dir never
        # makes one).
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if is_run_dir(path):
                found.append(path)
        except OSError as exc:
            skipped.append(f"{entry.name}: {os_error_text(exc)}")
    return found, skipped


def _run_dirs(root: Path) -> list[Path]:
    """The run directories directly under ``root`` (hidden and unreadable folders skipped)."""
    try:
        return _scan_dirs(root)[0]
    except RunsRootError:
        return []


def _sort_time(summary: RunSummary) -> float:
    if summary.started_at is not None:
        return summary.started_at
    try:
        return summary.run_dir.stat().st_mtime
    except OSError:
        return 0.0


def scan_runs(root: Path | str) -> RunsScan:
    """Every run under ``root`` (newest first) and a note per folder that could not be read.

    A missing root has no runs. Raises :class:`RunsRootError` only for a root that is not a readable
    folder; never for a run.
    """
    dirs, skipped = _scan_dirs(Path(root).expanduser())
    summaries = []
    for run_dir in dirs:
        try:
            summaries.append(RunSummary.from_record(load_run(run_dir)))
        except (OSError, ValueError, RuntimeError) as exc:
            # load_run reports damage in the record; what is left is a folder that cannot be read at all.
            text = os_error_text(exc) if isinstance(exc, OSError) else str(exc)
            skipped.append(one_line(f"{run_dir.name}: {text}"))
    summaries.sort(key=lambda s: (_sort_time(s), s.name), reverse=True)
    return RunsScan(summaries, skipped)


def list_runs(root: Path | str) -> list[RunSummary]:
    """A summary of every run under ``root``, newest first (see :func:`scan_runs`, which also says what it skipped)."""
    return scan_runs(root).runs


def _looks_like_path(ref: str) -> bool:
    return os.sep in ref or (os.altsep is not None and os.altsep in ref) or ref.startswith("~")


def _is_run_or_not_found(path: Path) -> bool:
    """:func:`_is_run_dir`, with a folder that cannot be examined raised as :class:`RunNotFound`."""
    try:
        return is_run_dir(path)
    except OSError as exc:
        raise RunNotFound(f"{path} cannot be read: {os_error_text(exc)}") from None


def resolve_run(root: Path | str, ref: str | Path) -> Path:
    """The run directory ``ref`` names: an exact name under ``root``, a unique prefix, ``"latest"``, or a path.

    A name must stay inside ``root`` (see :func:`~tuitrain.runs.layout.safe_child`); a path (with a
    ``/``) is taken as given and must be a run directory. Raises :class:`RunNotFound` (or its subclass
    :class:`AmbiguousRun`) with a one-line message, also for a symbolic link loop or a folder that
    cannot be read.
    """
    base = Path(root).expanduser()
    text = str(ref).strip()
    if not text:
        raise RunNotFound("no run named: give a run name, a unique start of one, 'latest', or a path")
    try:
        if text == LATEST:
            runs = list_runs(base)
            if not runs:
                raise RunNotFound(f"no runs in {base}")
            return runs[0].run_dir
        if isinstance(ref, Path) or _looks_like_path(text):
            path = Path(text).expanduser()
            if not _is_run_or_not_found(path):
                raise RunNotFound(
                    f"{path} is not a run directory (it has no events.jsonl, status.json or experiment.toml)"
                )
            return path.absolute()
        try:
            exact = safe_child(base, text)
        except ValueError as exc:
            raise RunNotFound(str(exc)) from None
        if _is_run_or_not_found(exact):
            return exact
        matches = sorted(p for p in _scan_dirs(base)[0] if p.name.startswith(text))
    except RunsRootError as exc:
        raise RunNotFound(str(exc)) from None
    except (OSError, RuntimeError) as exc:
        # Resolving a symbolic link loop raises (RuntimeError before Python 3.13, OSError after).
        why = os_error_text(exc) if isinstance(exc, OSError) else "a symbolic link loop"
        raise RunNotFound(f"{text!r} cannot be used as a run: {why}") from None
    if len(matches) == 1:
        return base.resolve() / matches[0].name
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


def deletable_run(root: Path | str, ref: str | Path, *, force: bool = False) -> Path:
    """The resolved run directory :func:`delete_run` would remove for ``ref``, or the reason it would not.

    Raises :class:`RunNotFound`, :class:`NotARunDirectory` or :class:`RunBusy` (see :func:`delete_run`);
    deletes nothing, so a command can check before it asks "delete?".
    """
    base = Path(root).expanduser()
    target = resolve_run(base, ref)  # RunNotFound (a ValueError) when nothing matches
    try:
        base_real = base.resolve()
        if target.is_symlink():
            raise NotARunDirectory(f"{target} is a symbolic link: remove the link itself, not the run it points to")
        resolved = target.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        why = os_error_text(exc) if isinstance(exc, OSError) else "a symbolic link loop"
        raise NotARunDirectory(f"{ref} cannot be deleted: {why}") from None
    if resolved.parent != base_real:
        raise NotARunDirectory(
            f"{resolved} is not inside the runs folder {base_real}: refusing to delete it "
            "(pass --runs-dir of the runs folder it belongs to)"
        )
    try:
        is_run = is_run_dir(resolved)
    except OSError as exc:
        raise NotARunDirectory(f"{resolved} cannot be read: {os_error_text(exc)}: nothing deleted") from None
    if not is_run:
        raise NotARunDirectory(f"{resolved} is not a run directory: refusing to delete it")
    if not force:
        record = load_run(resolved)
        # A live trainer, or one on another host that cannot be checked; a "pending" run with no
        # trainer recorded has nothing to stop.
        if record.state in ACTIVE_STATES and (record.trainer_alive or record.host):
            pid = record.status.pid if record.status is not None else None
            who = f"on {record.host}" if record.host else (f"pid {pid}" if pid else "starting")
            raise RunBusy(f"run {resolved.name} is still training ({who}): stop it first, then delete it")
    return resolved


def delete_run(root: Path | str, ref: str | Path | None = None, *, force: bool = False) -> Path:
    """Delete one run directory inside a runs root and return its (resolved) path.

    ``delete_run(root, ref)`` deletes the run ``ref`` names (a name, a unique prefix, ``"latest"`` or a
    path, as :func:`resolve_run`); ``delete_run(run_dir)`` deletes ``run_dir`` from the default runs
    root (``$TUITRAIN_RUNS``, else ``./runs``). Either way the run must resolve (symbolic links
    followed on both sides) to a folder directly inside the root: anything else, a symbolic link, or a
    folder that is not a run directory is refused with :class:`NotARunDirectory` (a ValueError), a
    reference that names no run with :class:`RunNotFound` (a ValueError too), and a run whose trainer
    runs (or may run, on another host) with :class:`RunBusy` unless ``force``.
    """
    if ref is None:
        root, ref = runs_root(None), root
    resolved = deletable_run(root, ref, force=force)
    # rmtree itself refuses a symbolic link and removes links inside the run, never what they point to.
    shutil.rmtree(resolved)
    return resolved
